"""A pod parsed once into the fields the scheduler reads on every cycle.

kube-scheduler wraps each pod in ``framework.PodInfo`` (pkg/scheduler/framework/types.go) so
plugins do not re-parse affinity terms and requests; :class:`PodInfo` plays the same role.
The original manifest stays available as ``PodInfo.raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pytest_simkube.errors import InputError
from pytest_simkube.kube.requests import PodResources, RequestsError, pod_resources


class Toleration(NamedTuple):
    """``v1.Toleration``; ``operator`` defaults to Equal as the API does."""

    key: str
    operator: str
    value: str
    effect: str

    def tolerates(self, taint: Taint) -> bool:
        """``Toleration.ToleratesTaint`` (k8s.io/api/core/v1/toleration.go)."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        if self.operator in ("Equal", ""):
            return self.value == taint.value
        return False


class Taint(NamedTuple):
    """``v1.Taint`` without the time it was added."""

    key: str
    value: str
    effect: str

    def display(self) -> str:
        """The ``{key: value}`` form used in TaintToleration's failure reason."""
        return f"{{{self.key}: {self.value}}}"


class HostPort(NamedTuple):
    """One ``containerPort`` with a ``hostPort`` (only those conflict between pods)."""

    ip: str
    protocol: str
    port: int


class PodParseError(InputError, ValueError):
    """The pod (or node taint list) is malformed; ``where`` is the path inside the object.

    ``obj`` names the object (``pod default/web``) once its name is known.  The file is not
    known here: readers that know it re-raise ``where`` and ``message`` under their own path
    (``input.pods[3].spec.containers[0]``); uncaught, the error still prints as one line.
    """

    def __init__(self, where: str, message: str, obj: str | None = None) -> None:
        self.obj = obj
        super().__init__(None, where, message)

    def format(self) -> str:
        parts = [p for p in (self.source, self.obj, self.where) if p]
        return ": ".join([*parts, self.message])


def _list_of_maps(raw: Any, where: str) -> list[Mapping[str, Any]]:
    """A list field whose items are maps (absent means empty); anything else names the place."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise PodParseError(where, f"expected a list, got {type(raw).__name__}")
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise PodParseError(f"{where}[{i}]", f"expected a map, got {type(item).__name__}")
    return raw


def _string_map(raw: Any, where: str) -> dict[str, str]:
    """Labels / nodeSelector: a map of strings (absent means empty)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise PodParseError(where, f"expected a map, got {type(raw).__name__}")
    return {str(k): str(v) for k, v in raw.items()}


_STRING_MAP = "string map"
_LABEL_SELECTOR: dict[str, Any] = {
    "matchLabels": _STRING_MAP,
    "matchExpressions": [{"key": str, "operator": str, "values": [str]}],
}
_NODE_SELECTOR_TERM: dict[str, Any] = {
    "matchExpressions": [{"key": str, "operator": str, "values": [str]}],
    "matchFields": [{"key": str, "operator": str, "values": [str]}],
}
_POD_AFFINITY_TERM: dict[str, Any] = {
    "labelSelector": _LABEL_SELECTOR,
    "namespaceSelector": _LABEL_SELECTOR,
    "namespaces": [str],
    "topologyKey": str,
    "matchLabelKeys": [str],
    "mismatchLabelKeys": [str],
}
_POD_AFFINITY: dict[str, Any] = {
    "requiredDuringSchedulingIgnoredDuringExecution": [_POD_AFFINITY_TERM],
    "preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": int, "podAffinityTerm": _POD_AFFINITY_TERM}
    ],
}
_AFFINITY: dict[str, Any] = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [_NODE_SELECTOR_TERM]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": int, "preference": _NODE_SELECTOR_TERM}
        ],
    },
    "podAffinity": _POD_AFFINITY,
    "podAntiAffinity": _POD_AFFINITY,
}
_SPREAD_CONSTRAINTS: list[Any] = [{
    "maxSkew": int,
    "topologyKey": str,
    "whenUnsatisfiable": str,
    "labelSelector": _LABEL_SELECTOR,
    "minDomains": int,
    "nodeAffinityPolicy": str,
    "nodeTaintsPolicy": str,
    "matchLabelKeys": [str],
}]
"""The shapes of the v1 types the plugins read (unknown fields are ignored, absent is fine).

The API server's decoder rejects an object whose fields have the wrong JSON type; checking
the shapes here once gives the same guarantee to hand-written inputs, so plugins can read them
without re-checking.  Values (operators, skews) are validated by the plugins, as upstream."""


def check_shape(value: Any, shape: Any, where: str) -> None:
    """Raise :class:`PodParseError` at the first field whose JSON type differs from ``shape``."""
    if value is None:
        return
    if shape is str:
        if not isinstance(value, str):
            raise PodParseError(where, f"expected a string, got {type(value).__name__}")
    elif shape is int:
        if not isinstance(value, int) or isinstance(value, bool) or not -(2**31) <= value < 2**31:
            raise PodParseError(where, "expected a 32-bit integer")
    elif shape == _STRING_MAP:
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise PodParseError(where, "expected a map of strings")
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise PodParseError(where, f"expected a list, got {type(value).__name__}")
        for i, item in enumerate(value):
            if item is None and isinstance(shape[0], dict):
                raise PodParseError(f"{where}[{i}]", "expected a map")
            check_shape(item, shape[0], f"{where}[{i}]")
    else:
        if not isinstance(value, Mapping):
            raise PodParseError(where, f"expected a map, got {type(value).__name__}")
        for key, inner in shape.items():
            check_shape(value.get(key), inner, f"{where}.{key}")


def _tolerations(raw: Any) -> tuple[Toleration, ...]:
    out = []
    if raw is not None and not isinstance(raw, list):
        raise PodParseError("spec.tolerations", f"expected a list, got {type(raw).__name__}")
    for i, item in enumerate(raw or []):
        if not isinstance(item, Mapping):
            raise PodParseError(f"spec.tolerations[{i}]", "expected a map")
        for name in ("key", "operator", "value", "effect"):
            if item.get(name) is not None and not isinstance(item[name], str):
                raise PodParseError(f"spec.tolerations[{i}].{name}", "expected a string")
        out.append(Toleration(item.get("key") or "", item.get("operator") or "Equal",
                              item.get("value") or "", item.get("effect") or ""))
    return tuple(out)


def parse_taints(raw: Any, where: str = "spec.taints") -> tuple[Taint, ...]:
    """Node taints in manifest order."""
    out = []
    if raw is not None and not isinstance(raw, list):
        raise PodParseError(where, f"expected a list, got {type(raw).__name__}")
    for i, item in enumerate(raw or []):
        if not isinstance(item, Mapping) or "key" not in item:
            raise PodParseError(f"{where}[{i}]", "expected a map with a key")
        effect = str(item.get("effect") or "")
        if effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise PodParseError(f"{where}[{i}].effect", f"unsupported taint effect {effect!r}")
        out.append(Taint(str(item.get("key") or ""), str(item.get("value") or ""), effect))
    return tuple(out)


def _host_ports(spec: Mapping[str, Any]) -> tuple[HostPort, ...]:
    """``schedutil.GetHostPorts``-like: every container's ports with a non-zero hostPort.

    v1.30 ``NodePorts`` considers app containers only (init containers joined later).
    """
    out = []
    for i, container in enumerate(_list_of_maps(spec.get("containers"), "spec.containers")):
        for j, port in enumerate(_list_of_maps(container.get("ports"), f"spec.containers[{i}].ports")):
            host_port = port.get("hostPort") or 0
            if not isinstance(host_port, int) or isinstance(host_port, bool) or host_port > 65535:
                raise PodParseError(f"spec.containers[{i}].ports[{j}].hostPort", "expected a port number")
            if host_port <= 0:
                continue
            out.append(HostPort(str(port.get("hostIP") or "0.0.0.0"), str(port.get("protocol") or "TCP"),
                                host_port))
    return tuple(out)


@dataclass(eq=False)
class PodInfo:
    """The parsed pod; identity is ``key`` (``namespace/name``)."""

    raw: dict[str, Any]
    key: str
    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    node_name: str
    priority: int
    scheduler_name: str
    resources: PodResources
    tolerations: tuple[Toleration, ...]
    node_selector: dict[str, str]
    affinity: dict[str, Any]
    host_ports: tuple[HostPort, ...]
    images: tuple[str, ...]
    scheduling_gates: tuple[str, ...]
    preemption_policy: str
    start_time: str
    creation_timestamp: str
    nominated_node_name: str
    resource_claims: tuple[str, ...]
    """Names of the pod's DRA ``spec.resourceClaims`` (not modelled; explanations say so)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Per-plugin caches keyed by plugin name (e.g. parsed affinity terms)."""

    @property
    def requests(self) -> Mapping[str, int]:
        return self.resources.requests

    @property
    def spec(self) -> dict[str, Any]:
        return self.raw.get("spec") or {}


def parse_pod(raw: Mapping[str, Any]) -> PodInfo:
    """Parse a v1.Pod manifest; raises :class:`PodParseError` naming the pod and the bad field."""
    if not isinstance(raw, Mapping):
        raise PodParseError("", "a pod must be a map")
    meta = raw.get("metadata") or {}
    if not isinstance(meta, Mapping):
        raise PodParseError("metadata", "expected a map")
    name = meta.get("name")
    if not name or not isinstance(name, str):
        raise PodParseError("metadata.name", "a pod needs a name")
    namespace = meta.get("namespace") or "default"
    if not isinstance(namespace, str):
        raise PodParseError("metadata.namespace", "expected a string")
    try:
        return _parse_named_pod(raw, meta, name, namespace)
    except PodParseError as exc:
        raise PodParseError(exc.where, exc.message, obj=f"pod {namespace}/{name}") from None
    except RequestsError as exc:
        raise PodParseError(exc.where or "", exc.message, obj=f"pod {namespace}/{name}") from None


def _parse_named_pod(raw: Mapping[str, Any], meta: Mapping[str, Any], name: str, namespace: str) -> PodInfo:
    spec = raw.get("spec") or {}
    status = raw.get("status") or {}
    if not isinstance(spec, Mapping):
        raise PodParseError("spec", "expected a map")
    if not isinstance(status, Mapping):
        raise PodParseError("status", "expected a map")
    resources = pod_resources(spec)
    priority = spec.get("priority", 0)
    if priority is None:
        priority = 0
    if not isinstance(priority, int) or isinstance(priority, bool) or not -(2**31) <= priority < 2**31:
        raise PodParseError("spec.priority", "expected a 32-bit integer")
    affinity = spec.get("affinity") or {}
    check_shape(affinity, _AFFINITY, "spec.affinity")
    check_shape(spec.get("topologySpreadConstraints"), _SPREAD_CONSTRAINTS, "spec.topologySpreadConstraints")
    node_selector = _string_map(spec.get("nodeSelector"), "spec.nodeSelector")
    labels = _string_map(meta.get("labels"), "metadata.labels")
    containers = _list_of_maps(spec.get("containers"), "spec.containers")
    images = tuple(str(c.get("image") or "") for c in containers)
    gates = _list_of_maps(spec.get("schedulingGates"), "spec.schedulingGates")
    claims = _list_of_maps(spec.get("resourceClaims"), "spec.resourceClaims")
    return PodInfo(
        raw=dict(raw),
        key=f"{namespace}/{name}",
        name=name,
        namespace=namespace,
        uid=str(meta.get("uid") or f"{namespace}/{name}"),
        labels=labels,
        node_name=str(spec.get("nodeName") or ""),
        priority=priority,
        scheduler_name=str(spec.get("schedulerName") or "default-scheduler"),
        resources=resources,
        tolerations=_tolerations(spec.get("tolerations")),
        node_selector=node_selector,
        affinity=dict(affinity),
        host_ports=_host_ports(spec),
        images=images,
        scheduling_gates=tuple(str(g.get("name") or "") for g in gates),
        preemption_policy=str(spec.get("preemptionPolicy") or "PreemptLowerPriority"),
        start_time=str(status.get("startTime") or ""),
        creation_timestamp=str(meta.get("creationTimestamp") or ""),
        nominated_node_name=str(status.get("nominatedNodeName") or ""),
        resource_claims=tuple(str(c.get("name") or "") for c in claims),
    )
