"""The engine's live view of Pods and Nodes.

API objects stay the dicts a user would ``kubectl get -o json``; :class:`Pod` and
:class:`Node` wrap them with the few fields the engine touches on every event (phase,
binding, summed requests) so hot paths never re-parse manifests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.kube.labels import Selector, label_selector_as_selector
from pytest_simkube.kube.pods import Taint, Toleration
from pytest_simkube.kube.quantity import quantity_milli_value, quantity_value
from pytest_simkube.kube.requests import CPU, MEMORY, pod_resources

KubeObject = dict[str, Any]


_REQUESTS_CACHE: dict[int, tuple[object, object, object, tuple[int, int]]] = {}


def json_copy(value: Any) -> Any:
    """Deep copy of JSON-shaped data (dicts, lists, tuples, scalars), several times faster
    than ``copy.deepcopy``; tuples (msgpack arrays) become lists as in JSON."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_copy(v) for v in value]
    return value


def pod_requests(spec: KubeObject) -> tuple[int, int]:
    """Cached on the identity of the containers lists: pods of one template share them."""
    containers, inits, overhead = spec.get("containers"), spec.get("initContainers"), spec.get("overhead")
    cached = _REQUESTS_CACHE.get(id(containers))
    if cached is not None and cached[0] is containers and cached[1] is inits and cached[2] is overhead:
        return cached[3]
    value = _pod_requests(spec)
    if containers is not None:
        if len(_REQUESTS_CACHE) > 100_000:
            _REQUESTS_CACHE.clear()
        _REQUESTS_CACHE[id(containers)] = (containers, inits, overhead, value)
    return value


def _pod_requests(spec: KubeObject) -> tuple[int, int]:
    """(CPU millicores, memory bytes) the scheduler accounts for a pod: upstream
    ``resource.PodRequests`` (containers, sidecar and init containers, overhead), computed by
    :func:`pytest_simkube.kube.requests.pod_resources`. Raises ``RequestsError``."""
    requests = pod_resources(spec).requests
    return requests.get(CPU, 0), requests.get(MEMORY, 0)


@dataclass(eq=False, slots=True)
class Pod:
    """A pod in the store. ``key`` is ``"namespace/name"``."""

    key: str
    manifest: KubeObject
    created_at: float
    owner_kind: str = ""
    owner_name: str = ""
    cpu: int = 0
    memory: int = 0
    priority: int = 0
    phase: str = "Pending"
    node: str | None = None
    bound_at: float | None = None
    running_at: float | None = None
    deleted: bool = False
    attempts: int = 0
    lifecycle_seq: int = 0
    lifecycle_owner: tuple[str, str] | None = None
    run_seconds: float | None = None
    revision: str = ""
    """Controller revision the pod was made from (template hash)."""
    ordinal: int = -1
    timers: list[Any] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return self.key.partition("/")[0]

    @property
    def name(self) -> str:
        return self.key.partition("/")[2]

    @property
    def owner(self) -> str:
        return f"{self.owner_kind}/{self.namespace}/{self.owner_name}" if self.owner_kind else ""

    @property
    def active(self) -> bool:
        """Counted by controllers: not deleted and not terminal (upstream ``IsPodActive``)."""
        return not self.deleted and self.phase not in ("Succeeded", "Failed")

    @property
    def ready(self) -> bool:
        return self.phase == "Running" and not self.deleted


@dataclass(eq=False, slots=True)
class Node:
    name: str
    manifest: KubeObject
    group: str = ""
    cpu: int = 0
    memory: int = 0
    max_pods: int = 110
    ready: bool = False
    added_at: float = 0.0
    removing: bool = False
    pods: set[str] = field(default_factory=set)

    @property
    def labels(self) -> dict[str, str]:
        return (self.manifest.get("metadata") or {}).get("labels") or {}

    @property
    def taints(self) -> list[KubeObject]:
        return (self.manifest.get("spec") or {}).get("taints") or []


def node_allocatable(node: KubeObject) -> tuple[int, int, int]:
    """(CPU millicores, memory bytes, pods) from ``status.allocatable``, else ``capacity``."""
    status = node.get("status") or {}
    alloc = status.get("allocatable") or status.get("capacity") or {}
    return (
        quantity_milli_value(alloc.get("cpu", 0)),
        quantity_value(alloc.get("memory", 0)),
        quantity_value(alloc.get("pods", 110)),
    )


def tolerates(tolerations: list[KubeObject], taint: KubeObject) -> bool:
    """Whether any toleration tolerates ``taint`` (``Toleration.ToleratesTaint``, via
    :class:`pytest_simkube.kube.pods.Toleration`)."""
    target = Taint(taint.get("key", ""), taint.get("value", ""), taint.get("effect", ""))
    return any(
        Toleration(t.get("key", ""), t.get("operator") or "Equal", t.get("value", ""), t.get("effect", ""))
        .tolerates(target)
        for t in tolerations
    )


def untolerated_taint(tolerations: list[KubeObject], taints: list[KubeObject],
                      effects: tuple[str, ...] = ("NoSchedule", "NoExecute")) -> KubeObject | None:
    for taint in taints:
        if taint.get("effect") in effects and not tolerates(tolerations, taint):
            return taint
    return None


def match_expression(labels: dict[str, str], expr: KubeObject) -> bool:
    """One ``NodeSelectorRequirement`` (``In``, ``NotIn``, ``Exists``, ``DoesNotExist``, ``Gt``,
    ``Lt``) against node labels or fields (``nodeaffinity`` semantics, not a label selector's)."""
    key, op = expr.get("key", ""), expr.get("operator", "")
    values = expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            left, right = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return left > right if op == "Gt" else left < right
    return False


_SELECTORS: dict[int, tuple[KubeObject, Selector]] = {}


def match_label_selector(selector: KubeObject | None, labels: dict[str, str]) -> bool:
    """Whether a ``metav1.LabelSelector`` (``None`` or ``{}`` = every pod) selects ``labels``.

    The matching itself is :mod:`pytest_simkube.kube.labels` (the scheduler's); this only
    compiles each selector object once. Raises ``LabelSelectorError`` for a malformed one.
    """
    if not selector:
        return True
    cached = _SELECTORS.get(id(selector))
    if cached is None or cached[0] is not selector:
        if len(_SELECTORS) > 10_000:
            _SELECTORS.clear()
        cached = _SELECTORS[id(selector)] = (selector, label_selector_as_selector(selector))
    return cached[1].matches(labels)


def node_matches_pod(node_name: str, node_labels: dict[str, str], spec: KubeObject) -> bool:
    """nodeSelector and required node affinity (upstream ``nodeaffinity.GetRequiredNodeAffinity``)."""
    for key, value in (spec.get("nodeSelector") or {}).items():
        if node_labels.get(key) != value:
            return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms")
    if not terms:
        return True
    fields = {"metadata.name": node_name}
    for term in terms:
        exprs = term.get("matchExpressions") or []
        field_exprs = term.get("matchFields") or []
        if not exprs and not field_exprs:
            continue
        if all(match_expression(node_labels, e) for e in exprs) and all(
            match_expression(fields, e) for e in field_exprs
        ):
            return True
    return False
