"""A pod parsed once into the fields the scheduler reads on every cycle.

kube-scheduler wraps each pod in ``framework.PodInfo`` (pkg/scheduler/framework/types.go) so
plugins do not re-parse affinity terms and requests; :class:`PodInfo` plays the same role.
The original manifest stays available as ``PodInfo.raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


class PodParseError(ValueError):
    """The pod manifest is malformed; ``where`` is the path inside it."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


def _tolerations(raw: Any) -> tuple[Toleration, ...]:
    out = []
    for i, item in enumerate(raw or []):
        if not isinstance(item, Mapping):
            raise PodParseError(f"spec.tolerations[{i}]", "expected a map")
        out.append(Toleration(str(item.get("key") or ""), str(item.get("operator") or "Equal"),
                              str(item.get("value") or ""), str(item.get("effect") or "")))
    return tuple(out)


def parse_taints(raw: Any, where: str = "spec.taints") -> tuple[Taint, ...]:
    """Node taints in manifest order."""
    out = []
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
    for i, container in enumerate(spec.get("containers") or []):
        for j, port in enumerate((container or {}).get("ports") or []):
            host_port = port.get("hostPort") or 0
            if not isinstance(host_port, int):
                raise PodParseError(f"spec.containers[{i}].ports[{j}].hostPort", "expected an integer")
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
    """Parse a v1.Pod manifest; raises :class:`PodParseError` naming the bad field."""
    if not isinstance(raw, Mapping):
        raise PodParseError("", "a pod must be a map")
    meta = raw.get("metadata") or {}
    spec = raw.get("spec") or {}
    status = raw.get("status") or {}
    if not isinstance(meta, Mapping) or not isinstance(spec, Mapping):
        raise PodParseError("metadata", "metadata and spec must be maps")
    name = meta.get("name")
    if not name or not isinstance(name, str):
        raise PodParseError("metadata.name", "a pod needs a name")
    namespace = str(meta.get("namespace") or "default")
    try:
        resources = pod_resources(spec)
    except RequestsError as exc:
        raise PodParseError(exc.where, str(exc).split(": ", 1)[-1]) from None
    priority = spec.get("priority", 0)
    if priority is None:
        priority = 0
    if not isinstance(priority, int):
        raise PodParseError("spec.priority", "expected an integer")
    affinity = spec.get("affinity") or {}
    if not isinstance(affinity, Mapping):
        raise PodParseError("spec.affinity", "expected a map")
    node_selector = spec.get("nodeSelector") or {}
    if not isinstance(node_selector, Mapping):
        raise PodParseError("spec.nodeSelector", "expected a map")
    labels = meta.get("labels") or {}
    if not isinstance(labels, Mapping):
        raise PodParseError("metadata.labels", "expected a map")
    images = tuple(str((c or {}).get("image") or "") for c in spec.get("containers") or [])
    return PodInfo(
        raw=dict(raw),
        key=f"{namespace}/{name}",
        name=name,
        namespace=namespace,
        uid=str(meta.get("uid") or f"{namespace}/{name}"),
        labels={str(k): str(v) for k, v in labels.items()},
        node_name=str(spec.get("nodeName") or ""),
        priority=priority,
        scheduler_name=str(spec.get("schedulerName") or "default-scheduler"),
        resources=resources,
        tolerations=_tolerations(spec.get("tolerations")),
        node_selector={str(k): str(v) for k, v in node_selector.items()},
        affinity=dict(affinity),
        host_ports=_host_ports(spec),
        images=images,
        scheduling_gates=tuple(str((g or {}).get("name") or "") for g in spec.get("schedulingGates") or []),
        preemption_policy=str(spec.get("preemptionPolicy") or "PreemptLowerPriority"),
        start_time=str(status.get("startTime") or ""),
        creation_timestamp=str(meta.get("creationTimestamp") or ""),
        nominated_node_name=str(status.get("nominatedNodeName") or ""),
        resource_claims=tuple(str((c or {}).get("name") or "") for c in spec.get("resourceClaims") or []),
    )
