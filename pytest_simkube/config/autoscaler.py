"""cluster-autoscaler options under test, named and defaulted exactly like CA's flags.

A scenario's ``config.autoscaler`` is the autoscaler half of the proposed change, so the
names are CA's own flags (``scale-down-unneeded-time``) or their camelCase spelling
(``scaleDownUnneededTime``), and every default is the one a real cluster-autoscaler
starts with. The embedded autoscaler model reads these values; the live engine passes
:meth:`AutoscalerOptions.to_flags` to a real cluster-autoscaler binary.

Upstream: kubernetes/autoscaler ``cluster-autoscaler/config/flags/flags.go`` (flag names
and defaults) and ``cluster-autoscaler/config/const.go`` (``DefaultScanInterval`` 10s,
``DefaultScaleDownUnneededTime`` 10m, ``DefaultScaleDownUnreadyTime`` 20m,
``DefaultScaleDownUtilizationThreshold`` 0.5, ``DefaultScaleDownDelayAfterFailure`` 3m,
``DefaultMaxClusterCores`` 320000, ``DefaultMaxClusterMemory`` 6400000 GiB); the expander
default is ``least-waste`` since the flag changed from ``random`` (flags.go at HEAD).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.errors import ConfigError
from pytest_simkube.kube.duration import DurationError, format_duration, parse_duration
from pytest_simkube.yamlstrict import did_you_mean

# Upstream expander names (cluster-autoscaler/expander/expander.go AvailableExpanders).
EXPANDERS = ("random", "most-pods", "least-waste", "price", "priority", "least-nodes", "grpc")
ESTIMATORS = ("binpacking",)


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One CA flag: its name on the command line, value kind, default and meaning."""

    flag: str
    kind: str  # duration | float | int | bool | str | minmax | expander
    default: Any
    help: str

    @property
    def attribute(self) -> str:
        return self.flag.replace("-", "_")

    @property
    def camel(self) -> str:
        head, *rest = self.flag.split("-")
        return head + "".join(part.capitalize() for part in rest)


_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("scan-interval", "duration", 10.0,
               "How often the cluster is re-evaluated for scale up or down"),
    OptionSpec("expander", "expander", "least-waste",
               "Node group expander(s); a comma list is applied in order, remaining ties broken at random"),
    OptionSpec("estimator", "str", "binpacking", "Resource estimator used in scale-up"),
    OptionSpec("scale-down-enabled", "bool", True, "Should CA scale down the cluster"),
    OptionSpec("scale-down-unready-enabled", "bool", True, "Should CA scale down unready nodes"),
    OptionSpec("scale-down-delay-after-add", "duration", 600.0,
               "How long after scale up that scale down evaluation resumes"),
    OptionSpec("scale-down-delay-after-delete", "duration", 0.0,
               "How long after node deletion that scale down evaluation resumes (0: next loop)"),
    OptionSpec("scale-down-delay-after-failure", "duration", 180.0,
               "How long after scale down failure that scale down evaluation resumes"),
    OptionSpec("scale-down-delay-type-local", "bool", False,
               "Apply the scale-down-delay-after-* flags per node group instead of globally"),
    OptionSpec("scale-down-unneeded-time", "duration", 600.0,
               "How long a node should be unneeded before it is eligible for scale down"),
    OptionSpec("scale-down-unready-time", "duration", 1200.0,
               "How long an unready node should be unneeded before it is eligible for scale down"),
    OptionSpec("scale-down-utilization-threshold", "float", 0.5,
               "Node utilization (max of cpu and memory requests / allocatable) below which a node "
               "can be considered for scale down"),
    OptionSpec("scale-down-gpu-utilization-threshold", "float", 0.5,
               "GPU requests / allocatable below which a GPU node can be considered for scale down"),
    OptionSpec("scale-down-non-empty-candidates-count", "int", 30,
               "Maximum number of non-empty nodes considered per loop for scale down with drain"),
    OptionSpec("scale-down-candidates-pool-ratio", "float", 0.1,
               "Ratio of nodes considered as additional non-empty candidates"),
    OptionSpec("scale-down-candidates-pool-min-count", "int", 50,
               "Minimum number of nodes considered as additional non-empty candidates"),
    OptionSpec("scale-down-simulation-timeout", "duration", 30.0,
               "How long the scale-down simulation may run"),
    OptionSpec("max-empty-bulk-delete", "int", 10,
               "Maximum number of empty nodes deleted at once (removed from recent CA releases: "
               "max-scale-down-parallelism replaces it)"),
    OptionSpec("max-scale-down-parallelism", "int", 10,
               "Maximum number of nodes (empty or drained) deleted in parallel"),
    OptionSpec("max-drain-parallelism", "int", 1,
               "Maximum number of nodes needing drain deleted in parallel"),
    OptionSpec("node-delete-delay-after-taint", "duration", 5.0,
               "How long to wait before deleting a node after tainting it"),
    OptionSpec("max-graceful-termination-sec", "int", 600,
               "Maximum seconds CA waits for pod termination when scaling down a node"),
    OptionSpec("max-pod-eviction-time", "duration", 120.0, "Maximum time CA tries to evict a pod"),
    OptionSpec("max-node-provision-time", "duration", 900.0,
               "Maximum time CA waits for a node to be provisioned"),
    OptionSpec("max-node-startup-time", "duration", 900.0,
               "Maximum time CA waits for a node to become ready"),
    OptionSpec("new-pod-scale-up-delay", "duration", 0.0,
               "Pods younger than this are not considered for scale-up"),
    OptionSpec("max-nodes-per-scaleup", "int", 1000, "Maximum nodes added in a single scale-up"),
    OptionSpec("max-nodegroup-binpacking-duration", "duration", 10.0,
               "Maximum time spent binpacking for one node group"),
    OptionSpec("max-binpacking-time", "duration", 300.0, "Maximum time spent binpacking for one scale-up"),
    OptionSpec("max-nodes-total", "int", 0, "Maximum number of nodes in all node groups (0: unlimited)"),
    OptionSpec("cores-total", "minmax", (0, 320000), "Minimum and maximum cores in the cluster, <min>:<max>"),
    OptionSpec("memory-total", "minmax", (0, 6400000),
               "Minimum and maximum GiB of memory in the cluster, <min>:<max>"),
    OptionSpec("balance-similar-node-groups", "bool", False,
               "Detect similar node groups and balance the number of nodes between them"),
    OptionSpec("expendable-pods-priority-cutoff", "int", -10,
               "Pods with priority below this are expendable: they never trigger scale-up"),
    OptionSpec("initial-node-group-backoff-duration", "duration", 300.0,
               "First backoff after a new node failed to start"),
    OptionSpec("max-node-group-backoff-duration", "duration", 1800.0, "Maximum backoff of a node group"),
    OptionSpec("node-group-backoff-reset-timeout", "duration", 10800.0,
               "Time after the last failed scale-up when the backoff is reset"),
    OptionSpec("max-total-unready-percentage", "float", 45.0,
               "Maximum percentage of unready nodes before CA halts operations"),
    OptionSpec("ok-total-unready-count", "int", 3,
               "Number of unready nodes allowed regardless of percentage"),
    OptionSpec("scale-up-from-zero", "bool", True, "Should CA scale up when there are 0 ready nodes"),
    OptionSpec("parallel-scale-up", "bool", False, "Allow scaling up several node groups at once"),
    OptionSpec("frequent-loops-enabled", "bool", True, "Trigger new loops early when needed"),
    OptionSpec("skip-nodes-with-system-pods", "bool", True,
               "Do not delete nodes running kube-system pods (except DaemonSet and mirror pods)"),
    OptionSpec("skip-nodes-with-local-storage", "bool", True,
               "Never delete nodes with pods using local storage (emptyDir, hostPath)"),
    OptionSpec("skip-nodes-with-custom-controller-pods", "bool", True,
               "Never delete nodes with pods owned by custom controllers"),
    OptionSpec("min-replica-count", "int", 0,
               "Minimum replicas a ReplicaSet must have to allow deleting its pods in scale down"),
    OptionSpec("daemonset-eviction-for-occupied-nodes", "bool", True,
               "Gracefully terminate DaemonSet pods on non-empty nodes being removed"),
    OptionSpec("daemonset-eviction-for-empty-nodes", "bool", False,
               "Gracefully terminate DaemonSet pods on empty nodes being removed"),
    OptionSpec("ignore-daemonsets-utilization", "bool", False,
               "Ignore DaemonSet pods when computing node utilization for scale down"),
    OptionSpec("ignore-mirror-pods-utilization", "bool", False,
               "Ignore mirror pods when computing node utilization for scale down"),
    OptionSpec("enforce-node-group-min-size", "bool", False, "Scale node groups up to their min size"),
    OptionSpec("force-delete-unregistered-nodes", "bool", False,
               "Force-delete long unregistered nodes regardless of the group's min size"),
    OptionSpec("unremovable-node-recheck-timeout", "duration", 300.0,
               "Time before re-checking a node that could not be removed"),
)

OPTION_SPECS: dict[str, OptionSpec] = {spec.flag: spec for spec in _OPTIONS}
"""Every supported option by its CA flag name."""

PRIORITIES_KEYS = ("expanderPriorities", "expander-priorities")
"""The priority expander's ConfigMap content (``priorities``), given inline: ``{10: [regex, ...]}``."""

_BY_SPELLING: dict[str, OptionSpec] = {}
for _spec in _OPTIONS:
    _BY_SPELLING[_spec.flag] = _spec
    _BY_SPELLING[_spec.camel] = _spec


@dataclass(frozen=True, slots=True)
class AutoscalerOptions:
    """Resolved cluster-autoscaler settings; durations in seconds.

    ``explicit`` lists the flags the scenario set, so :meth:`to_flags` passes only what the
    user chose and works with CA versions whose defaults or flag sets differ.
    """

    scan_interval: float = 10.0
    expander: str = "least-waste"
    estimator: str = "binpacking"
    scale_down_enabled: bool = True
    scale_down_unready_enabled: bool = True
    scale_down_delay_after_add: float = 600.0
    scale_down_delay_after_delete: float = 0.0
    scale_down_delay_after_failure: float = 180.0
    scale_down_delay_type_local: bool = False
    scale_down_unneeded_time: float = 600.0
    scale_down_unready_time: float = 1200.0
    scale_down_utilization_threshold: float = 0.5
    scale_down_gpu_utilization_threshold: float = 0.5
    scale_down_non_empty_candidates_count: int = 30
    scale_down_candidates_pool_ratio: float = 0.1
    scale_down_candidates_pool_min_count: int = 50
    scale_down_simulation_timeout: float = 30.0
    max_empty_bulk_delete: int = 10
    max_scale_down_parallelism: int = 10
    max_drain_parallelism: int = 1
    node_delete_delay_after_taint: float = 5.0
    max_graceful_termination_sec: int = 600
    max_pod_eviction_time: float = 120.0
    max_node_provision_time: float = 900.0
    max_node_startup_time: float = 900.0
    new_pod_scale_up_delay: float = 0.0
    max_nodes_per_scaleup: int = 1000
    max_nodegroup_binpacking_duration: float = 10.0
    max_binpacking_time: float = 300.0
    max_nodes_total: int = 0
    cores_total: tuple[int, int] = (0, 320000)
    memory_total: tuple[int, int] = (0, 6400000)
    balance_similar_node_groups: bool = False
    expendable_pods_priority_cutoff: int = -10
    initial_node_group_backoff_duration: float = 300.0
    max_node_group_backoff_duration: float = 1800.0
    node_group_backoff_reset_timeout: float = 10800.0
    max_total_unready_percentage: float = 45.0
    ok_total_unready_count: int = 3
    scale_up_from_zero: bool = True
    parallel_scale_up: bool = False
    frequent_loops_enabled: bool = True
    skip_nodes_with_system_pods: bool = True
    skip_nodes_with_local_storage: bool = True
    skip_nodes_with_custom_controller_pods: bool = True
    min_replica_count: int = 0
    daemonset_eviction_for_occupied_nodes: bool = True
    daemonset_eviction_for_empty_nodes: bool = False
    ignore_daemonsets_utilization: bool = False
    ignore_mirror_pods_utilization: bool = False
    enforce_node_group_min_size: bool = False
    force_delete_unregistered_nodes: bool = False
    unremovable_node_recheck_timeout: float = 300.0
    expander_priorities: tuple[tuple[int, tuple[str, ...]], ...] = ()
    """Priority expander tiers, highest priority first: ``((50, ("^gpu-.*",)), (10, (".*",)))``."""
    explicit: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def expanders(self) -> tuple[str, ...]:
        """The expander chain, in the order CA applies it."""
        return tuple(self.expander.split(","))

    @property
    def effective_scale_down_delay_after_delete(self) -> float:
        """Upstream checks the cooldown once per loop, so 0 means "at the next scan"."""
        return max(self.scale_down_delay_after_delete, self.scan_interval)

    def to_flags(self, *, include_defaults: bool = False) -> list[str]:
        """The cluster-autoscaler command-line flags for these settings (``--name=value``).

        By default only the options the scenario set are emitted, in the table's order.
        """
        flags = []
        for spec in _OPTIONS:
            if not include_defaults and spec.flag not in self.explicit:
                continue
            value = getattr(self, spec.attribute)
            flags.append(f"--{spec.flag}={_format_flag_value(spec.kind, value)}")
        return flags

    def priority_expander_configmap(self, namespace: str = "kube-system") -> dict[str, Any] | None:
        """The ``cluster-autoscaler-priority-expander`` ConfigMap the priority expander reads."""
        if not self.expander_priorities:
            return None
        lines = []
        for priority, patterns in self.expander_priorities:
            lines.append(f"{priority}:")
            lines.extend(f"  - {_yaml_quote(pattern)}" for pattern in patterns)
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cluster-autoscaler-priority-expander", "namespace": namespace},
            "data": {"priorities": "\n".join(lines) + "\n"},
        }

    def to_dict(self) -> dict[str, Any]:
        """Every setting by camelCase name with Go-style durations, for ``scenario show``."""
        result: dict[str, Any] = {}
        for spec in _OPTIONS:
            value = getattr(self, spec.attribute)
            if spec.kind == "duration":
                value = format_duration(value)
            elif spec.kind == "minmax":
                value = f"{value[0]}:{value[1]}"
            result[spec.camel] = value
        if self.expander_priorities:
            result["expanderPriorities"] = {p: list(patterns) for p, patterns in self.expander_priorities}
        return result


def default_autoscaler_options() -> AutoscalerOptions:
    return AutoscalerOptions()


def parse_autoscaler_options(
    mapping: Mapping[str, Any] | None,
    source: str | None,
    where: str = "config.autoscaler",
    *,
    lines: Mapping[str, int] | None = None,
) -> AutoscalerOptions:
    """Validate ``mapping`` (CA flag names in kebab or camelCase) into :class:`AutoscalerOptions`.

    ``lines`` maps key paths (``config.autoscaler.expander``) to source lines so errors
    point at the line; without it errors name the key path only.
    """

    def fail(path: str, message: str) -> ConfigError:
        line = lines.get(path) if lines else None
        return ConfigError(source, f"line {line}, key '{path}'" if line else path, message)

    if mapping is None:
        return AutoscalerOptions()
    if not isinstance(mapping, Mapping):
        raise fail(where, f"expected a mapping of cluster-autoscaler options, got {_type_name(mapping)}")
    values: dict[str, Any] = {}
    seen: dict[str, str] = {}
    priorities: tuple[tuple[int, tuple[str, ...]], ...] = ()
    for key, raw in mapping.items():
        path = f"{where}.{key}"
        if key in PRIORITIES_KEYS:
            priorities = _parse_priorities(raw, path, fail)
            continue
        spec = _BY_SPELLING.get(key) if isinstance(key, str) else None
        if spec is None:
            raise fail(path, _unknown_option_message(key))
        if spec.flag in seen:
            raise fail(path, f"option {spec.flag!r} is given twice (as {seen[spec.flag]!r} and {key!r})")
        seen[spec.flag] = key
        values[spec.attribute] = _convert(spec, raw, path, fail)
    options = AutoscalerOptions(**values, expander_priorities=priorities, explicit=frozenset(seen))
    _check_consistency(options, where, seen, fail)
    return options


def _convert(spec: OptionSpec, raw: Any, path: str, fail) -> Any:
    kind = spec.kind
    if kind == "duration":
        try:
            return parse_duration(raw)
        except DurationError as exc:
            raise fail(path, str(exc)) from None
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        raise fail(path, f"expected true or false, got {raw!r}")
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        raise fail(path, f"expected an integer, got {raw!r}")
    if kind == "float":
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            if spec.flag.endswith("utilization-threshold") and not 0 <= raw <= 1:
                raise fail(path, f"must be between 0 and 1, got {raw!r}")
            if raw < 0:
                raise fail(path, f"must not be negative, got {raw!r}")
            return float(raw)
        raise fail(path, f"expected a number, got {raw!r}")
    if kind == "minmax":
        return _parse_min_max(raw, path, fail)
    if kind == "expander":
        return _parse_expander(raw, path, fail)
    if not isinstance(raw, str):
        raise fail(path, f"expected a string, got {raw!r}")
    if spec.flag == "estimator" and raw not in ESTIMATORS:
        raise fail(path, f"unknown estimator {raw!r} (available: {', '.join(ESTIMATORS)})")
    return raw


def _parse_expander(raw: Any, path: str, fail) -> str:
    names = raw if isinstance(raw, list) else raw.split(",") if isinstance(raw, str) else None
    if not names or not all(isinstance(name, str) and name.strip() for name in names):
        raise fail(path, f"expected an expander name or a comma-separated list, got {raw!r}")
    names = [name.strip() for name in names]
    for name in names:
        if name not in EXPANDERS:
            raise fail(path, f"unknown expander {name!r}{did_you_mean(name, EXPANDERS)}; "
                             f"available: {', '.join(EXPANDERS)}")
    if len(set(names)) != len(names):
        raise fail(path, f"expander {raw!r} lists the same expander twice")
    return ",".join(names)


def _parse_min_max(raw: Any, path: str, fail) -> tuple[int, int]:
    # cluster-autoscaler/config/flags/flags.go parseMinMaxFlag + validateMinMaxFlag.
    if not isinstance(raw, str) or raw.count(":") != 1:
        raise fail(path, f"expected '<min>:<max>', got {raw!r}")
    low_text, high_text = raw.split(":")
    try:
        low, high = int(low_text), int(high_text)
    except ValueError:
        raise fail(path, f"expected integers in '<min>:<max>', got {raw!r}") from None
    if low < 0:
        raise fail(path, "min size must be greater or equal to 0")
    if high < low:
        raise fail(path, "max size must be greater or equal to min size")
    return low, high


def _parse_priorities(raw: Any, path: str, fail) -> tuple[tuple[int, tuple[str, ...]], ...]:
    # expander/priority/priority.go: a map of integer priority -> list of regexes matched
    # against node group ids; the highest matching priority wins.
    if not isinstance(raw, Mapping) or not raw:
        raise fail(path, f"expected a mapping of priority -> list of node-group regexes, got {raw!r}")
    tiers = []
    for priority, patterns in raw.items():
        tier_path = f"{path}.{priority}"
        try:
            level = int(priority) if not isinstance(priority, bool) else None
        except (TypeError, ValueError):
            level = None
        if level is None:
            raise fail(tier_path, f"priority must be an integer, got {priority!r}")
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not patterns:
            raise fail(tier_path, f"expected a list of regular expressions, got {patterns!r}")
        for index, pattern in enumerate(patterns):
            if not isinstance(pattern, str):
                raise fail(f"{tier_path}[{index}]", f"expected a regular expression string, got {pattern!r}")
            try:
                re.compile(pattern)
            except re.error as exc:
                message = f"invalid regular expression {pattern!r}: {exc}"
                raise fail(f"{tier_path}[{index}]", message) from None
        tiers.append((level, tuple(patterns)))
    tiers.sort(key=lambda tier: -tier[0])
    return tuple(tiers)


def _check_consistency(options: AutoscalerOptions, where: str, seen: Mapping[str, str], fail) -> None:
    if "priority" in options.expanders and not options.expander_priorities:
        path = f"{where}.{seen.get('expander', 'expander')}"
        raise fail(path, "the priority expander needs 'expanderPriorities' (priority -> node-group regexes), "
                         "the content of the cluster-autoscaler-priority-expander ConfigMap")
    if options.scan_interval <= 0:
        raise fail(f"{where}.{seen.get('scan-interval', 'scanInterval')}", "scan interval must be positive")
    if options.max_drain_parallelism > options.max_scale_down_parallelism and "max-drain-parallelism" in seen:
        raise fail(f"{where}.{seen['max-drain-parallelism']}",
                   "max-drain-parallelism cannot exceed max-scale-down-parallelism "
                   f"({options.max_scale_down_parallelism})")


def _unknown_option_message(key: Any) -> str:
    if not isinstance(key, str):
        return f"option names must be strings, got {key!r}"
    candidates = [*_BY_SPELLING, *PRIORITIES_KEYS]
    spelling = [c for c in candidates if ("-" in c) == ("-" in key)] or candidates
    return f"unknown cluster-autoscaler option {key!r}{did_you_mean(key, spelling)}"


def _format_flag_value(kind: str, value: Any) -> str:
    if kind == "duration":
        return format_duration(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "minmax":
        return f"{value[0]}:{value[1]}"
    if kind == "float":
        return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(float(value))
    return str(value)


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _type_name(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"{type(value).__name__} {value!r}"


def option_names() -> list[str]:
    """Every accepted spelling, for documentation and completion."""
    return sorted(_BY_SPELLING)



# Per-node-group overrides: cluster-autoscaler's NodeGroupAutoscalingOptions
# (config/autoscaling_options.go), served by a cloud provider's NodeGroupGetOptions; the
# externalgrpc proto carries exactly these (AUTOSCALER.md §5.1).
_GROUP_OPTIONS: dict[str, str] = {
    "scaleDownUtilizationThreshold": "scale-down-utilization-threshold",
    "scaleDownGpuUtilizationThreshold": "scale-down-gpu-utilization-threshold",
    "scaleDownUnneededTime": "scale-down-unneeded-time",
    "scaleDownUnreadyTime": "scale-down-unready-time",
    "maxNodeProvisionTime": "max-node-provision-time",
    "ignoreDaemonSetsUtilization": "ignore-daemonsets-utilization",
}
GROUP_OPTION_KEYS = (*_GROUP_OPTIONS, "zeroOrMaxNodeScaling")


@dataclass(frozen=True, slots=True)
class NodeGroupAutoscalingOptions:
    """One node group's overrides; ``None`` means "the cluster-wide value"."""

    scale_down_utilization_threshold: float | None = None
    scale_down_gpu_utilization_threshold: float | None = None
    scale_down_unneeded_time: float | None = None
    scale_down_unready_time: float | None = None
    max_node_provision_time: float | None = None
    ignore_daemonsets_utilization: bool | None = None
    zero_or_max_node_scaling: bool = False

    def resolve(self, defaults: AutoscalerOptions) -> NodeGroupAutoscalingOptions:
        """Every field filled: the override, else the cluster-wide option."""
        values = {}
        for flag in _GROUP_OPTIONS.values():
            attribute = flag.replace("-", "_")
            own = getattr(self, attribute)
            values[attribute] = getattr(defaults, attribute) if own is None else own
        return NodeGroupAutoscalingOptions(**values, zero_or_max_node_scaling=self.zero_or_max_node_scaling)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for camel, flag in _GROUP_OPTIONS.items():
            value = getattr(self, flag.replace("-", "_"))
            if value is not None:
                result[camel] = format_duration(value) if OPTION_SPECS[flag].kind == "duration" else value
        if self.zero_or_max_node_scaling:
            result["zeroOrMaxNodeScaling"] = True
        return result


def parse_node_group_options(
    mapping: Mapping[str, Any] | None,
    source: str | None,
    where: str,
    *,
    lines: Mapping[str, int] | None = None,
) -> NodeGroupAutoscalingOptions:
    """A node group's ``autoscaling`` overrides (camelCase, as in NodeGroupAutoscalingOptions)."""

    def fail(path: str, message: str) -> ConfigError:
        line = lines.get(path) if lines else None
        return ConfigError(source, f"line {line}, key '{path}'" if line else path, message)

    if mapping is None:
        return NodeGroupAutoscalingOptions()
    if not isinstance(mapping, Mapping):
        raise fail(where, f"expected a mapping of node group autoscaling options, got {_type_name(mapping)}")
    values: dict[str, Any] = {}
    for key, raw in mapping.items():
        path = f"{where}.{key}"
        if key == "zeroOrMaxNodeScaling":
            if not isinstance(raw, bool):
                raise fail(path, f"expected true or false, got {raw!r}")
            values["zero_or_max_node_scaling"] = raw
            continue
        flag = _GROUP_OPTIONS.get(key) if isinstance(key, str) else None
        if flag is None:
            known = ", ".join(GROUP_OPTION_KEYS)
            suggestion = did_you_mean(str(key), GROUP_OPTION_KEYS, f" (known: {known})")
            raise fail(path, f"unknown node group autoscaling option {key!r}{suggestion}")
        values[flag.replace("-", "_")] = _convert(OPTION_SPECS[flag], raw, path, fail)
    return NodeGroupAutoscalingOptions(**values)
