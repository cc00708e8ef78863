"""KubeSchedulerConfiguration (``kubescheduler.config.k8s.io/v1``): parse, default, validate.

The scheduler under test is configured with the very file a cluster operator would mount into
kube-scheduler, so this module reproduces what kube-scheduler does with it, in its order:

1. strict decoding (unknown fields are errors, as in the real loader);
2. defaulting (``pkg/scheduler/apis/config/v1/defaults.go``): one ``default-scheduler`` profile
   when none is given, the v1.30 default plugin set merged with the profile's plugins
   (``default_plugins.go`` ``mergePlugins``), plugin args defaulted per type;
3. validation (``pkg/scheduler/apis/config/validation/validation.go`` and
   ``validation_pluginargs.go``) with kube-scheduler's field paths and messages;
4. the framework's MultiPoint expansion (``pkg/scheduler/framework/runtime/framework.go``
   ``expandMultiPointPlugins`` and ``getScoreWeights``), which yields the effective plugin list of
   every extension point and the score weights.

The result is a frozen :class:`SchedulerConfiguration` the engine reads; nothing here schedules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_simkube.errors import ConfigError

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"
DEFAULT_SCHEDULER_NAME = "default-scheduler"

#: Extension points in the order of the framework's ``getExtensionPoints``.
EXTENSION_POINTS: tuple[str, ...] = (
    "preEnqueue",
    "queueSort",
    "preFilter",
    "filter",
    "postFilter",
    "preScore",
    "score",
    "reserve",
    "permit",
    "preBind",
    "bind",
    "postBind",
)

MAX_NODE_SCORE = 100
MAX_TOTAL_SCORE = 2**63 - 1
MAX_CUSTOM_PRIORITY_SCORE = 10

# Which extension points each in-tree plugin of v1.30 implements (what ``reflect.Implements``
# answers in framework.go). The volume plugins are part of the default set; for pods without
# volumes they neither filter nor score anything, but they must appear in the effective lists.
_R = frozenset
IN_TREE_PLUGINS: Mapping[str, frozenset[str]] = {
    "SchedulingGates": _R({"preEnqueue"}),
    "PrioritySort": _R({"queueSort"}),
    "NodeUnschedulable": _R({"filter"}),
    "NodeName": _R({"filter"}),
    "TaintToleration": _R({"filter", "preScore", "score"}),
    "NodeAffinity": _R({"preFilter", "filter", "preScore", "score"}),
    "NodePorts": _R({"preFilter", "filter"}),
    "NodeResourcesFit": _R({"preFilter", "filter", "preScore", "score"}),
    "VolumeRestrictions": _R({"preFilter", "filter"}),
    "EBSLimits": _R({"preFilter", "filter"}),
    "GCEPDLimits": _R({"preFilter", "filter"}),
    "NodeVolumeLimits": _R({"preFilter", "filter"}),
    "AzureDiskLimits": _R({"preFilter", "filter"}),
    "VolumeBinding": _R({"preFilter", "filter", "reserve", "preBind", "preScore", "score"}),
    "VolumeZone": _R({"preFilter", "filter"}),
    "PodTopologySpread": _R({"preFilter", "filter", "preScore", "score"}),
    "InterPodAffinity": _R({"preFilter", "filter", "preScore", "score"}),
    "DefaultPreemption": _R({"postFilter"}),
    "NodeResourcesBalancedAllocation": _R({"preScore", "score"}),
    "ImageLocality": _R({"score"}),
    "DefaultBinder": _R({"bind"}),
    "CinderLimits": _R({"preFilter", "filter"}),
    "DynamicResources": _R({"preEnqueue", "preFilter", "filter", "postFilter", "reserve", "preBind"}),
}

# v1.30 ``getDefaultPlugins``: everything in MultiPoint, in this order, with these weights.
DEFAULT_MULTI_POINT: tuple[tuple[str, int], ...] = (
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("EBSLimits", 0),
    ("GCEPDLimits", 0),
    ("NodeVolumeLimits", 0),
    ("AzureDiskLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
)


# --------------------------------------------------------------------------- plugin args


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    weight: int = 1


@dataclass(frozen=True)
class UtilizationShapePoint:
    utilization: int
    score: int


@dataclass(frozen=True)
class ScoringStrategy:
    type: str = "LeastAllocated"
    resources: tuple[ResourceSpec, ...] = (ResourceSpec("cpu", 1), ResourceSpec("memory", 1))
    #: ``requestedToCapacityRatio.shape``; ``None`` unless the type is RequestedToCapacityRatio.
    shape: tuple[UtilizationShapePoint, ...] | None = None


@dataclass(frozen=True)
class NodeResourcesFitArgs:
    ignored_resources: tuple[str, ...] = ()
    ignored_resource_groups: tuple[str, ...] = ()
    scoring_strategy: ScoringStrategy = field(default_factory=ScoringStrategy)


@dataclass(frozen=True)
class NodeResourcesBalancedAllocationArgs:
    resources: tuple[ResourceSpec, ...] = (ResourceSpec("cpu", 1), ResourceSpec("memory", 1))


@dataclass(frozen=True)
class InterPodAffinityArgs:
    hard_pod_affinity_weight: int = 1
    ignore_preferred_terms_of_existing_pods: bool = False


@dataclass(frozen=True)
class PodTopologySpreadArgs:
    #: Plain ``v1.TopologySpreadConstraint`` dicts, as written in the file.
    default_constraints: tuple[Mapping[str, Any], ...] = ()
    defaulting_type: str = "System"


@dataclass(frozen=True)
class NodeAffinityArgs:
    #: A plain ``v1.NodeAffinity`` dict, or ``None``.
    added_affinity: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DefaultPreemptionArgs:
    min_candidate_nodes_percentage: int = 10
    min_candidate_nodes_absolute: int = 100


@dataclass(frozen=True)
class VolumeBindingArgs:
    bind_timeout_seconds: int = 600


PluginArgs = (
    NodeResourcesFitArgs
    | NodeResourcesBalancedAllocationArgs
    | InterPodAffinityArgs
    | PodTopologySpreadArgs
    | NodeAffinityArgs
    | DefaultPreemptionArgs
    | VolumeBindingArgs
)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Profile:
    """One scheduling profile after defaulting and MultiPoint expansion."""

    scheduler_name: str
    #: Per-profile override; ``None`` means "use the configuration's value".
    percentage_of_nodes_to_score: int | None
    #: Effective plugin names per extension point, in run order.
    plugins: Mapping[str, tuple[str, ...]]
    #: Score weight of every plugin in ``plugins["score"]``.
    score_weights: Mapping[str, int]
    #: Typed, defaulted args of every enabled plugin that takes args.
    plugin_args: Mapping[str, PluginArgs]

    def args(self, plugin: str) -> PluginArgs | None:
        return self.plugin_args.get(plugin)

    def plugins_summary(self) -> dict[str, list[dict[str, Any]]]:
        """The effective lists in the shape kube-scheduler's vectors record (``output.plugins``)."""
        summary: dict[str, list[dict[str, Any]]] = {}
        for point in EXTENSION_POINTS:
            names = self.plugins.get(point, ())
            if not names:
                continue
            if point == "score":
                summary[point] = [{"name": n, "weight": self.score_weights[n]} for n in names]
            else:
                summary[point] = [{"name": n} for n in names]
        return summary


@dataclass(frozen=True)
class SchedulerConfiguration:
    """A defaulted, validated KubeSchedulerConfiguration v1."""

    profiles: tuple[Profile, ...]
    parallelism: int = 16
    #: 0 means adaptive (``max(5, 50 - N/125)`` percent), as in kube-scheduler.
    percentage_of_nodes_to_score: int = 0
    pod_initial_backoff_seconds: int = 1
    pod_max_backoff_seconds: int = 10

    def profile(self, scheduler_name: str) -> Profile | None:
        for prof in self.profiles:
            if prof.scheduler_name == scheduler_name:
                return prof
        return None

    def percentage_for(self, profile: Profile) -> int:
        """The percentage a profile uses: its own when set, else the global one."""
        if profile.percentage_of_nodes_to_score is not None:
            return profile.percentage_of_nodes_to_score
        return self.percentage_of_nodes_to_score


# --------------------------------------------------------------------------- field errors


class _FieldErrors:
    """Collects errors in apimachinery's ``field.Error`` wording: ``path: Invalid value: v: detail``."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, body: str) -> None:
        self.items.append((path, body))

    def invalid(self, path: str, value: Any, detail: str) -> None:
        self.add(path, f"Invalid value: {_go_value(value)}: {detail}")

    def required(self, path: str, detail: str = "") -> None:
        self.add(path, f"Required value: {detail}" if detail else "Required value")

    def not_supported(self, path: str, value: Any, supported: Iterable[str]) -> None:
        values = ", ".join(f'"{s}"' for s in supported)
        self.add(path, f"Unsupported value: {_go_value(value)}: supported values: {values}")

    def duplicate(self, path: str, value: Any) -> None:
        self.add(path, f"Duplicate value: {_go_value(value)}")

    def forbidden(self, path: str, detail: str) -> None:
        self.add(path, f"Forbidden: {detail}")

    def raise_if_any(self, source: str) -> None:
        if not self.items:
            return
        path, body = self.items[0]
        message = body
        if len(self.items) > 1:
            rest = "; ".join(f"{p}: {b}" for p, b in self.items[1:])
            message = f"{body} (and {len(self.items) - 1} more: {rest})"
        raise ConfigError(source, path or None, message)


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


# --------------------------------------------------------------------------- strict decoding


class _Reader:
    """Strict, typed access to a decoded YAML/JSON mapping with field paths for errors."""

    def __init__(self, source: str) -> None:
        self.source = source
        #: (plugin name, path of its args) while plugin args are decoded.
        self.args_of: tuple[str, str] | None = None

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(self.source, where or None, message)

    def mapping(self, value: Any, where: str, allowed: Iterable[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_kind(value)}")
        allowed_set = set(allowed)
        for key in value:
            if key not in allowed_set:
                path = f"{where}.{key}" if where else str(key)
                raise self.fail(path, self._unknown_field_message(path))
        return value

    def _unknown_field_message(self, path: str) -> str:
        """The strict decoder's wording; inside plugin args the path is relative to the args."""
        if self.args_of is not None and path.startswith(self.args_of[1] + "."):
            plugin, prefix = self.args_of
            relative = path[len(prefix) + 1 :]
            return (
                f"strict decoding error: decoding args for plugin {plugin}: "
                f'strict decoding error: unknown field "{relative}"'
            )
        return f'strict decoding error: unknown field "{path}"'

    def integer(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise self.fail(where, f"expected an integer, got {_kind(value)}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected a boolean, got {_kind(value)}")
        return value

    def sequence(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_TOP_LEVEL_FIELDS = (
    "apiVersion",
    "kind",
    "parallelism",
    "leaderElection",
    "clientConnection",
    "enableProfiling",
    "enableContentionProfiling",
    "percentageOfNodesToScore",
    "podInitialBackoffSeconds",
    "podMaxBackoffSeconds",
    "profiles",
    "extenders",
    "delayCacheUntilActive",
)
_PROFILE_FIELDS = ("schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig")


@dataclass
class _RawPluginSet:
    enabled: list[tuple[str, int]] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


@dataclass
class _RawProfile:
    scheduler_name: str
    percentage: int | None
    plugin_sets: dict[str, _RawPluginSet]
    multi_point: _RawPluginSet
    plugin_config: list[tuple[str, Any]]
    has_plugins: bool


def _read_plugin_set(r: _Reader, value: Any, where: str) -> _RawPluginSet:
    data = r.mapping(value, where, ("enabled", "disabled"))
    out = _RawPluginSet()
    for i, item in enumerate(r.sequence(data.get("enabled"), f"{where}.enabled")):
        p = f"{where}.enabled[{i}]"
        entry = r.mapping(item, p, ("name", "weight"))
        name = r.string(entry.get("name", ""), f"{p}.name")
        weight = r.integer(entry.get("weight", 0), f"{p}.weight")
        out.enabled.append((name, weight))
    for i, item in enumerate(r.sequence(data.get("disabled"), f"{where}.disabled")):
        p = f"{where}.disabled[{i}]"
        entry = r.mapping(item, p, ("name", "weight"))
        out.disabled.append(r.string(entry.get("name", ""), f"{p}.name"))
    return out


def _read_profile(r: _Reader, value: Any, where: str) -> _RawProfile:
    data = r.mapping(value, where, _PROFILE_FIELDS)
    name = r.string(data.get("schedulerName", DEFAULT_SCHEDULER_NAME), f"{where}.schedulerName")
    pct = data.get("percentageOfNodesToScore")
    percentage = None if pct is None else r.integer(pct, f"{where}.percentageOfNodesToScore")
    plugins_raw = data.get("plugins")
    plugins = r.mapping(plugins_raw, f"{where}.plugins", ("multiPoint", *EXTENSION_POINTS))
    sets = {
        point: _read_plugin_set(r, plugins.get(point), f"{where}.plugins.{point}")
        for point in EXTENSION_POINTS
    }
    multi_point = _read_plugin_set(r, plugins.get("multiPoint"), f"{where}.plugins.multiPoint")
    plugin_config: list[tuple[str, Any]] = []
    for i, item in enumerate(r.sequence(data.get("pluginConfig"), f"{where}.pluginConfig")):
        p = f"{where}.pluginConfig[{i}]"
        entry = r.mapping(item, p, ("name", "args"))
        plugin_config.append((r.string(entry.get("name", ""), f"{p}.name"), entry.get("args")))
    return _RawProfile(name, percentage, sets, multi_point, plugin_config, plugins_raw is not None)


# --------------------------------------------------------------------------- plugin args decoding


def _args_header(r: _Reader, data: dict[str, Any], where: str, kind: str) -> None:
    api_version = data.get("apiVersion")
    if api_version is not None and api_version != API_VERSION:
        raise r.fail(f"{where}.apiVersion", f'unsupported apiVersion "{api_version}", want "{API_VERSION}"')
    args_kind = data.get("kind")
    if args_kind is not None and args_kind != kind:
        raise r.fail(f"{where}.kind", f'args of kind "{args_kind}" do not match plugin args "{kind}"')


def _resource_specs(r: _Reader, value: Any, where: str) -> list[ResourceSpec]:
    specs = []
    for i, item in enumerate(r.sequence(value, where)):
        p = f"{where}[{i}]"
        entry = r.mapping(item, p, ("name", "weight"))
        specs.append(
            ResourceSpec(
                r.string(entry.get("name", ""), f"{p}.name"), r.integer(entry.get("weight", 0), f"{p}.weight")
            )
        )
    return specs


def _decode_fit_args(r: _Reader, value: Any, where: str, errs: _FieldErrors) -> NodeResourcesFitArgs:
    data = r.mapping(
        value, where, ("apiVersion", "kind", "ignoredResources", "ignoredResourceGroups", "scoringStrategy")
    )
    _args_header(r, data, where, "NodeResourcesFitArgs")
    ignored = [
        r.string(v, f"{where}.ignoredResources[{i}]")
        for i, v in enumerate(r.sequence(data.get("ignoredResources"), f"{where}.ignoredResources"))
    ]
    groups_path = f"{where}.ignoredResourceGroups"
    groups = [
        r.string(v, f"{groups_path}[{i}]")
        for i, v in enumerate(r.sequence(data.get("ignoredResourceGroups"), groups_path))
    ]
    for i, name in enumerate(ignored):
        _validate_label_name(errs, f"{where}.ignoredResources[{i}]", name)
    for i, group in enumerate(groups):
        p = f"{groups_path}[{i}]"
        if "/" in group:
            errs.invalid(p, group, "resource group name can't contain '/'")
        _validate_label_name(errs, p, group)

    sp = f"{where}.scoringStrategy"
    raw = data.get("scoringStrategy")
    if raw is None:
        # SetDefaults_NodeResourcesFitArgs: LeastAllocated over cpu and memory.
        return NodeResourcesFitArgs(tuple(ignored), tuple(groups), ScoringStrategy())
    strategy = r.mapping(raw, sp, ("type", "resources", "requestedToCapacityRatio"))
    kind = r.string(strategy.get("type", ""), f"{sp}.type")
    resources = _resource_specs(r, strategy.get("resources"), f"{sp}.resources")
    if not resources:
        resources = [ResourceSpec("cpu", 1), ResourceSpec("memory", 1)]
    resources = [ResourceSpec(res.name, res.weight or 1) for res in resources]
    shape: list[UtilizationShapePoint] | None = None
    rtc = strategy.get("requestedToCapacityRatio")
    if rtc is not None:
        rtc_data = r.mapping(rtc, f"{sp}.requestedToCapacityRatio", ("shape",))
        shape = []
        shape_path = f"{sp}.requestedToCapacityRatio.shape"
        for i, item in enumerate(r.sequence(rtc_data.get("shape"), shape_path)):
            p = f"{shape_path}[{i}]"
            point = r.mapping(item, p, ("utilization", "score"))
            shape.append(
                UtilizationShapePoint(
                    r.integer(point.get("utilization", 0), f"{p}.utilization"),
                    r.integer(point.get("score", 0), f"{p}.score"),
                )
            )

    supported = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")
    if kind not in supported:
        errs.not_supported(f"{sp}.type", kind, supported)
    for i, res in enumerate(resources):
        if res.weight <= 0 or res.weight > 100:
            errs.invalid(
                f"{sp}.resources[{i}].weight",
                res.weight,
                f"resource weight of {res.name} not in valid range (0, 100]",
            )
    if kind == "RequestedToCapacityRatio":
        if shape is None:
            errs.required(
                f"{sp}.requestedToCapacityRatio", "must be specified when type is RequestedToCapacityRatio"
            )
        else:
            _validate_function_shape(errs, shape, f"{sp}.requestedToCapacityRatio.shape")
    elif shape is not None:
        errs.forbidden(
            f"{sp}.requestedToCapacityRatio", "must be nil when type is not RequestedToCapacityRatio"
        )
    return NodeResourcesFitArgs(
        tuple(ignored),
        tuple(groups),
        ScoringStrategy(kind, tuple(resources), None if shape is None else tuple(shape)),
    )


def _validate_function_shape(errs: _FieldErrors, shape: list[UtilizationShapePoint], path: str) -> None:
    if not shape:
        errs.required(path, "at least one point must be specified")
        return
    for i in range(1, len(shape)):
        if shape[i - 1].utilization >= shape[i].utilization:
            errs.invalid(
                f"{path}[{i}].utilization", shape[i].utilization, "values must be sorted in increasing order"
            )
            break
    for i, point in enumerate(shape):
        if not 0 <= point.utilization <= 100:
            errs.invalid(f"{path}[{i}].utilization", point.utilization, "not in valid range [0, 100]")
        if not 0 <= point.score <= MAX_CUSTOM_PRIORITY_SCORE:
            errs.invalid(
                f"{path}[{i}].score", point.score, f"not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"
            )


def _decode_balanced_args(
    r: _Reader, value: Any, where: str, errs: _FieldErrors
) -> NodeResourcesBalancedAllocationArgs:
    data = r.mapping(value, where, ("apiVersion", "kind", "resources"))
    _args_header(r, data, where, "NodeResourcesBalancedAllocationArgs")
    resources = _resource_specs(r, data.get("resources"), f"{where}.resources")
    if not resources:
        return NodeResourcesBalancedAllocationArgs()
    resources = [ResourceSpec(res.name, res.weight or 1) for res in resources]
    seen: set[str] = set()
    for i, res in enumerate(resources):
        if res.name in seen:
            errs.duplicate(f"{where}.resources[{i}].name", res.name)
        seen.add(res.name)
        if res.weight != 1:
            errs.invalid(f"{where}.resources[{i}].weight", res.weight, "must be 1")
    return NodeResourcesBalancedAllocationArgs(tuple(resources))


def _decode_inter_pod_affinity_args(
    r: _Reader, value: Any, where: str, errs: _FieldErrors
) -> InterPodAffinityArgs:
    data = r.mapping(
        value, where, ("apiVersion", "kind", "hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods")
    )
    _args_header(r, data, where, "InterPodAffinityArgs")
    raw_weight = data.get("hardPodAffinityWeight")
    weight = 1 if raw_weight is None else r.integer(raw_weight, f"{where}.hardPodAffinityWeight")
    if not 0 <= weight <= 100:
        errs.invalid(f"{where}.hardPodAffinityWeight", weight, "not in valid range [0, 100]")
    ignore = data.get("ignorePreferredTermsOfExistingPods", False)
    return InterPodAffinityArgs(weight, r.boolean(ignore, f"{where}.ignorePreferredTermsOfExistingPods"))


_LABEL_NAME_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _validate_label_name(errs: _FieldErrors, path: str, name: str) -> None:
    """``metav1validation.ValidateLabelName``: an optional DNS prefix and a qualified name."""
    prefix, _, local = name.rpartition("/")
    if "/" in local or name.count("/") > 1:
        errs.invalid(path, name, "a qualified name must consist of alphanumeric characters, '-', '_' or '.'")
        return
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.match(prefix)):
        errs.invalid(path, name, "prefix part must be a valid DNS subdomain")
    if not local or len(local) > 63 or not _LABEL_NAME_RE.match(local):
        errs.invalid(
            path,
            name,
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character",
        )


def _decode_topology_spread_args(
    r: _Reader, value: Any, where: str, errs: _FieldErrors
) -> PodTopologySpreadArgs:
    data = r.mapping(value, where, ("apiVersion", "kind", "defaultConstraints", "defaultingType"))
    _args_header(r, data, where, "PodTopologySpreadArgs")
    defaulting = r.string(data.get("defaultingType") or "System", f"{where}.defaultingType")
    cp = f"{where}.defaultConstraints"
    constraints: list[dict[str, Any]] = []
    for i, item in enumerate(r.sequence(data.get("defaultConstraints"), cp)):
        constraints.append(
            r.mapping(
                item,
                f"{cp}[{i}]",
                (
                    "maxSkew",
                    "topologyKey",
                    "whenUnsatisfiable",
                    "labelSelector",
                    "minDomains",
                    "nodeAffinityPolicy",
                    "nodeTaintsPolicy",
                    "matchLabelKeys",
                ),
            )
        )
    if defaulting not in ("System", "List"):
        errs.not_supported(f"{where}.defaultingType", defaulting, ("System", "List"))
    elif defaulting == "System" and constraints:
        errs.invalid(f"{where}.defaultingType", defaulting, "when .defaultConstraints are not empty")
    for i, c in enumerate(constraints):
        p = f"{cp}[{i}]"
        max_skew = r.integer(c.get("maxSkew", 0), f"{p}.maxSkew")
        if max_skew <= 0:
            errs.invalid(f"{p}.maxSkew", max_skew, "not in valid range (0, inf)")
        key = r.string(c.get("topologyKey", ""), f"{p}.topologyKey")
        if not key:
            errs.required(f"{p}.topologyKey", "can not be empty")
        else:
            _validate_label_name(errs, f"{p}.topologyKey", key)
        action = r.string(c.get("whenUnsatisfiable", ""), f"{p}.whenUnsatisfiable")
        if not action:
            errs.required(f"{p}.whenUnsatisfiable", "can not be empty")
        elif action not in ("DoNotSchedule", "ScheduleAnyway"):
            errs.not_supported(f"{p}.whenUnsatisfiable", action, ("DoNotSchedule", "ScheduleAnyway"))
        if c.get("labelSelector") is not None:
            errs.forbidden(
                f"{p}.labelSelector", "constraint must not define a selector, as they deduced for each pod"
            )
        for j in range(i):
            other = constraints[j]
            if other.get("topologyKey") == key and other.get("whenUnsatisfiable") == action:
                errs.duplicate(f"{cp}[{i}]", f"{{{key}, {action}}}")
                break
    return PodTopologySpreadArgs(tuple(constraints), defaulting)


def _decode_node_affinity_args(r: _Reader, value: Any, where: str, errs: _FieldErrors) -> NodeAffinityArgs:
    data = r.mapping(value, where, ("apiVersion", "kind", "addedAffinity"))
    _args_header(r, data, where, "NodeAffinityArgs")
    added = data.get("addedAffinity")
    if added is None:
        return NodeAffinityArgs(None)
    ap = f"{where}.addedAffinity"
    affinity = r.mapping(
        added,
        ap,
        ("requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution"),
    )
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is not None:
        rp = f"{ap}.requiredDuringSchedulingIgnoredDuringExecution"
        req = r.mapping(required, rp, ("nodeSelectorTerms",))
        for i, term in enumerate(r.sequence(req.get("nodeSelectorTerms"), f"{rp}.nodeSelectorTerms")):
            _validate_node_selector_term(r, errs, term, f"{rp}.nodeSelectorTerms[{i}]")
    preferred = affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
    pp = f"{ap}.preferredDuringSchedulingIgnoredDuringExecution"
    for i, item in enumerate(r.sequence(preferred, pp)):
        entry = r.mapping(item, f"{pp}[{i}]", ("weight", "preference"))
        weight = r.integer(entry.get("weight", 0), f"{pp}[{i}].weight")
        if not 1 <= weight <= 100:
            errs.invalid(f"{pp}[{i}].weight", weight, "must be in the range 1-100")
        _validate_node_selector_term(r, errs, entry.get("preference"), f"{pp}[{i}].preference")
    return NodeAffinityArgs(affinity)


def _validate_node_selector_term(r: _Reader, errs: _FieldErrors, term: Any, where: str) -> None:
    data = r.mapping(term, where, ("matchExpressions", "matchFields"))
    for kind in ("matchExpressions", "matchFields"):
        for j, expr in enumerate(r.sequence(data.get(kind), f"{where}.{kind}")):
            p = f"{where}.{kind}[{j}]"
            e = r.mapping(expr, p, ("key", "operator", "values"))
            op = r.string(e.get("operator", ""), f"{p}.operator")
            values = r.sequence(e.get("values"), f"{p}.values")
            if op in ("In", "NotIn") and not values:
                errs.required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'")
            elif op in ("Exists", "DoesNotExist") and values:
                errs.forbidden(
                    f"{p}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                )
            elif op in ("Gt", "Lt") and len(values) != 1:
                errs.required(f"{p}.values", "must be specified single value when `operator` is 'Lt' or 'Gt'")
            elif op not in ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"):
                errs.invalid(f"{p}.operator", op, "not a valid selector operator")


def _decode_preemption_args(r: _Reader, value: Any, where: str, errs: _FieldErrors) -> DefaultPreemptionArgs:
    data = r.mapping(
        value, where, ("apiVersion", "kind", "minCandidateNodesPercentage", "minCandidateNodesAbsolute")
    )
    _args_header(r, data, where, "DefaultPreemptionArgs")
    pct_raw = data.get("minCandidateNodesPercentage")
    abs_raw = data.get("minCandidateNodesAbsolute")
    pct = 10 if pct_raw is None else r.integer(pct_raw, f"{where}.minCandidateNodesPercentage")
    absolute = 100 if abs_raw is None else r.integer(abs_raw, f"{where}.minCandidateNodesAbsolute")
    pct_path, abs_path = f"{where}.minCandidateNodesPercentage", f"{where}.minCandidateNodesAbsolute"
    if not 0 <= pct <= 100:
        errs.invalid(pct_path, pct, "not in valid range [0, 100]")
    if absolute < 0:
        errs.invalid(abs_path, absolute, "not in valid range [0, inf)")
    if pct == 0 and absolute == 0:
        errs.invalid(pct_path, pct, "cannot be zero at the same time as minCandidateNodesAbsolute")
        errs.invalid(abs_path, absolute, "cannot be zero at the same time as minCandidateNodesPercentage")
    return DefaultPreemptionArgs(pct, absolute)


def _decode_volume_binding_args(r: _Reader, value: Any, where: str, errs: _FieldErrors) -> VolumeBindingArgs:
    data = r.mapping(value, where, ("apiVersion", "kind", "bindTimeoutSeconds", "shape"))
    _args_header(r, data, where, "VolumeBindingArgs")
    raw = data.get("bindTimeoutSeconds")
    timeout = 600 if raw is None else r.integer(raw, f"{where}.bindTimeoutSeconds")
    if timeout < 0:
        errs.invalid(
            f"{where}.bindTimeoutSeconds",
            timeout,
            "invalid BindTimeoutSeconds, should not be a negative value",
        )
    if data.get("shape") is not None:
        errs.invalid(
            f"{where}.shape",
            "...",
            "unexpected field `shape`, remove it or turn on the feature gate VolumeCapacityPriority",
        )
    return VolumeBindingArgs(timeout)


_ArgsDecoder = Callable[[_Reader, Any, str, _FieldErrors], PluginArgs]
_ARGS_DECODERS: Mapping[str, _ArgsDecoder] = {
    "NodeResourcesFit": _decode_fit_args,
    "NodeResourcesBalancedAllocation": _decode_balanced_args,
    "InterPodAffinity": _decode_inter_pod_affinity_args,
    "PodTopologySpread": _decode_topology_spread_args,
    "NodeAffinity": _decode_node_affinity_args,
    "DefaultPreemption": _decode_preemption_args,
    "VolumeBinding": _decode_volume_binding_args,
}


# --------------------------------------------------------------------------- merging and expansion


def _merge_plugin_set(default: _RawPluginSet, custom: _RawPluginSet) -> _RawPluginSet:
    """``mergePluginSet`` (v1 default_plugins.go): custom entries override defaults in place."""
    disabled = list(custom.disabled) + list(default.disabled)
    disabled_set = set(disabled)
    custom_index = {name: (i, (name, w)) for i, (name, w) in enumerate(custom.enabled)}
    replaced: set[int] = set()
    enabled: list[tuple[str, int]] = []
    if "*" not in disabled_set:
        for entry in default.enabled:
            if entry[0] in disabled_set:
                continue
            if entry[0] in custom_index:
                index, entry = custom_index[entry[0]]
                replaced.add(index)
            enabled.append(entry)
    for i, entry in enumerate(custom.enabled):
        if i not in replaced:
            enabled.append(entry)
    return _RawPluginSet(enabled, disabled)


def _expand(
    profile_where: str,
    merged: dict[str, _RawPluginSet],
    multi_point: _RawPluginSet,
    errs: _FieldErrors,
) -> dict[str, tuple[str, ...]]:
    """``updatePluginList`` then ``expandMultiPointPlugins`` (framework/runtime/framework.go)."""
    result: dict[str, tuple[str, ...]] = {}
    for name, _ in multi_point.enabled:
        if name not in IN_TREE_PLUGINS:
            # expandMultiPointPlugins fails on the first extension point it expands.
            errs.add(f"{profile_where}.plugins.multiPoint", f'PreEnqueuePlugin "{name}" does not exist')
    for point in EXTENSION_POINTS:
        ps = merged[point]
        iface = _interface(point)
        seen: list[str] = []
        for name, _ in ps.enabled:
            points = IN_TREE_PLUGINS.get(name)
            if points is None:
                errs.add(f"{profile_where}.plugins.{point}", f'{iface} "{name}" does not exist')
                continue
            if point not in points:
                errs.add(
                    f"{profile_where}.plugins.{point}", f'plugin "{name}" does not extend {iface} plugin'
                )
                continue
            if name in seen:
                errs.add(
                    f"{profile_where}.plugins.{point}", f'plugin "{name}" already registered as "{iface}"'
                )
                continue
            seen.append(name)
        disabled = set(ps.disabled)
        if "*" in disabled:
            result[point] = tuple(seen)
            continue
        overrides: list[str] = []
        from_multi: list[str] = []
        for name, _ in multi_point.enabled:
            points = IN_TREE_PLUGINS.get(name)
            if points is None or point not in points or name in disabled:
                continue
            if name in seen:
                if name not in overrides:
                    overrides.append(name)
                continue
            if name in from_multi:
                errs.add(
                    f"{profile_where}.plugins.multiPoint", f'plugin "{name}" already registered as "{iface}"'
                )
                continue
            from_multi.append(name)
        ordered = [n for n in seen if n in overrides] + from_multi + [n for n in seen if n not in overrides]
        result[point] = tuple(dict.fromkeys(ordered))
    return result


def _interface(point: str) -> str:
    """The framework interface of an extension point, as upstream names it in errors."""
    return point[0].upper() + point[1:] + "Plugin"


def _score_weights(
    profile_where: str, score_enabled: list[tuple[str, int]], multi_point: _RawPluginSet, errs: _FieldErrors
) -> dict[str, int]:
    """``getScoreWeights``: the Score entry's weight wins over MultiPoint's; 0 means 1."""
    weights: dict[str, int] = {}
    total = 0
    for name, weight in [*score_enabled, *multi_point.enabled]:
        if "score" not in IN_TREE_PLUGINS.get(name, frozenset()) or name in weights:
            continue
        weights[name] = weight or 1
        if weights[name] * MAX_NODE_SCORE > MAX_TOTAL_SCORE - total:
            errs.add(f"{profile_where}.plugins.score", "total score of Score plugins could overflow")
        total += weights[name] * MAX_NODE_SCORE
    return weights


def _build_profile(r: _Reader, raw: _RawProfile, where: str, errs: _FieldErrors) -> Profile:
    default_multi = _RawPluginSet(list(DEFAULT_MULTI_POINT), [])
    multi_point = _merge_plugin_set(default_multi, raw.multi_point)
    empty = _RawPluginSet()
    merged = {point: _merge_plugin_set(empty, raw.plugin_sets[point]) for point in EXTENSION_POINTS}
    plugins = _expand(where, merged, multi_point, errs)
    weights = _score_weights(where, merged["score"].enabled, multi_point, errs)
    score_weights = {name: weights.get(name, 1) for name in plugins["score"]}

    if len(plugins["queueSort"]) != 1:
        errs.add(
            f"{where}.plugins.queueSort",
            f'only one queue sort plugin required for profile with scheduler name "{raw.scheduler_name}", '
            f"but got {len(plugins['queueSort'])}",
        )
    if not plugins["bind"]:
        errs.add(
            f"{where}.plugins.bind",
            f'at least one bind plugin is needed for profile with scheduler name "{raw.scheduler_name}"',
        )

    args: dict[str, PluginArgs] = {}
    seen_config: set[str] = set()
    for i, (name, value) in enumerate(raw.plugin_config):
        p = f"{where}.pluginConfig[{i}]"
        if name in seen_config:
            errs.duplicate(p, name)
            continue
        seen_config.add(name)
        decoder = _ARGS_DECODERS.get(name)
        if decoder is None:
            if name not in IN_TREE_PLUGINS:
                errs.add(f"{p}.name", f'plugin "{name}" does not exist')
            elif value:
                errs.invalid(f"{p}.args", "...", "has to match plugin args")
            continue
        r.args_of = (name, f"{p}.args")
        try:
            args[name] = decoder(r, value, f"{p}.args", errs)
        finally:
            r.args_of = None
    enabled_names = {n for names in plugins.values() for n in names}
    for name, decoder in _ARGS_DECODERS.items():
        if name in enabled_names and name not in args:
            args[name] = decoder(r, None, "", _FieldErrors())
    return Profile(
        scheduler_name=raw.scheduler_name,
        percentage_of_nodes_to_score=raw.percentage,
        plugins=plugins,
        score_weights=score_weights,
        plugin_args={k: v for k, v in args.items() if k in enabled_names},
    )


# --------------------------------------------------------------------------- public API


def parse_scheduler_config(data: Any, source: str) -> SchedulerConfiguration:
    """Decode, default and validate a KubeSchedulerConfiguration v1 document.

    Raises :class:`ConfigError` naming ``source``, the field path and kube-scheduler's message.
    """
    r = _Reader(source)
    if not isinstance(data, dict):
        raise r.fail("", f"expected a KubeSchedulerConfiguration object, got {_kind(data)}")
    top = r.mapping(data, "", _TOP_LEVEL_FIELDS)
    api_version = top.get("apiVersion")
    if api_version != API_VERSION:
        raise r.fail("apiVersion", f'unsupported apiVersion {_go_value(api_version)}, want "{API_VERSION}"')
    if top.get("kind") != KIND:
        raise r.fail("kind", f'unsupported kind {_go_value(top.get("kind"))}, want "{KIND}"')
    if top.get("extenders"):
        raise r.fail("extenders", "scheduler extenders are not supported by the embedded scheduler")

    errs = _FieldErrors()
    parallelism = r.integer(top.get("parallelism", 16), "parallelism")
    pct_raw = top.get("percentageOfNodesToScore")
    percentage = 0 if pct_raw is None else r.integer(pct_raw, "percentageOfNodesToScore")
    initial = r.integer(top.get("podInitialBackoffSeconds", 1), "podInitialBackoffSeconds")
    maximum = r.integer(top.get("podMaxBackoffSeconds", 10), "podMaxBackoffSeconds")
    for key in ("leaderElection", "clientConnection"):
        if key in top and top[key] is not None and not isinstance(top[key], dict):
            raise r.fail(key, f"expected an object, got {_kind(top[key])}")

    raw_profiles = [
        _read_profile(r, item, f"profiles[{i}]")
        for i, item in enumerate(r.sequence(top.get("profiles"), "profiles"))
    ]
    if not raw_profiles:
        raw_profiles = [
            _RawProfile(
                DEFAULT_SCHEDULER_NAME,
                None,
                {p: _RawPluginSet() for p in EXTENSION_POINTS},
                _RawPluginSet(),
                [],
                False,
            )
        ]

    if parallelism <= 0:
        errs.invalid("parallelism", parallelism, "should be an integer value greater than zero")
    profiles: list[Profile] = []
    names: dict[str, int] = {}
    for i, raw in enumerate(raw_profiles):
        where = f"profiles[{i}]"
        if not raw.scheduler_name:
            errs.required(f"{where}.schedulerName")
        if raw.percentage is not None and not 0 <= raw.percentage <= 100:
            errs.invalid(f"{where}.percentageOfNodesToScore", raw.percentage, "not in valid range [0-100]")
        profiles.append(_build_profile(r, raw, where, errs))
        if raw.scheduler_name in names:
            errs.duplicate(f"{where}.schedulerName", f"profiles[{names[raw.scheduler_name]}].schedulerName")
        names[raw.scheduler_name] = i
    for i, prof in enumerate(profiles[1:], start=1):
        if prof.plugins["queueSort"] != profiles[0].plugins["queueSort"]:
            errs.invalid(
                f"profiles[{i}].plugins.queueSort",
                list(prof.plugins["queueSort"]),
                "must be the same for all profiles",
            )
    if not 0 <= percentage <= 100:
        errs.invalid("percentageOfNodesToScore", percentage, "not in valid range [0-100]")
    if initial <= 0:
        errs.invalid("podInitialBackoffSeconds", initial, "must be greater than 0")
    if maximum < initial:
        errs.invalid(
            "podMaxBackoffSeconds", maximum, "must be greater than or equal to PodInitialBackoffSeconds"
        )
    errs.raise_if_any(source)
    return SchedulerConfiguration(
        profiles=tuple(profiles),
        parallelism=parallelism,
        percentage_of_nodes_to_score=percentage,
        pod_initial_backoff_seconds=initial,
        pod_max_backoff_seconds=maximum,
    )


def parse_scheduler_config_text(text: str, source: str) -> SchedulerConfiguration:
    """Parse YAML (or JSON, which is YAML) text; a syntax error names the line."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, where, f"invalid YAML: {problem}") from None
    return parse_scheduler_config(data, source)


def load_scheduler_config(path: str | Path) -> SchedulerConfiguration:
    """Read a KubeSchedulerConfiguration file (YAML or JSON)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(p), None, f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(str(p), None, "not a UTF-8 text file") from None
    return parse_scheduler_config_text(text, str(p))


def default_scheduler_config() -> SchedulerConfiguration:
    """What kube-scheduler runs with when given no configuration file."""
    return parse_scheduler_config({"apiVersion": API_VERSION, "kind": KIND}, "<default>")


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int) -> int:
    """``numFeasibleNodesToFind`` (schedule_one.go): how many feasible nodes end the search."""
    if num_all_nodes < 100:
        return num_all_nodes
    if percentage == 0:
        percentage = max(5, 50 - num_all_nodes // 125)
    return max(100, num_all_nodes * percentage // 100)


__all__ = [
    "API_VERSION",
    "DEFAULT_SCHEDULER_NAME",
    "EXTENSION_POINTS",
    "DefaultPreemptionArgs",
    "InterPodAffinityArgs",
    "NodeAffinityArgs",
    "NodeResourcesBalancedAllocationArgs",
    "NodeResourcesFitArgs",
    "PodTopologySpreadArgs",
    "Profile",
    "ResourceSpec",
    "SchedulerConfiguration",
    "ScoringStrategy",
    "UtilizationShapePoint",
    "VolumeBindingArgs",
    "default_scheduler_config",
    "load_scheduler_config",
    "num_feasible_nodes_to_find",
    "parse_scheduler_config",
    "parse_scheduler_config_text",
]
