"""The object store: API objects keyed like the API server keys them, plus watches.

Workload objects (Deployments, ReplicaSets, Jobs, ...) are stored as dicts under
``kind -> "namespace/name"``; Pods and Nodes as :class:`~pytest_simkube.engine.objects.Pod`
and :class:`~pytest_simkube.engine.objects.Node` because every event touches them. Pods are
also indexed by controlling owner so a controller finds its pods in O(its pods).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from pytest_simkube.engine.objects import KubeObject, Node, Pod

Watcher = Callable[[str, str, KubeObject | None], None]
"""``watcher(verb, key, obj)`` with verb ``added``/``updated``/``deleted``."""


def object_key(obj: KubeObject) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name', '')}" if ns else meta.get("name", "")


def _controller_owner(obj: KubeObject) -> tuple[str, str] | None:
    meta = obj.get("metadata") or {}
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("kind", ""), f"{meta.get('namespace', '')}/{ref.get('name', '')}"
    return None


class ObjectStore:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, KubeObject]] = defaultdict(dict)
        self._children: dict[tuple[str, str, str], dict[str, KubeObject]] = defaultdict(dict)
        self._by_namespace: dict[tuple[str, str], dict[str, KubeObject]] = defaultdict(dict)
        self.pods: dict[str, Pod] = {}
        self.nodes: dict[str, Node] = {}
        self._by_owner: dict[tuple[str, str], dict[str, Pod]] = defaultdict(dict)
        self._watchers: dict[str, list[Watcher]] = defaultdict(list)
        self._versioned_kinds: frozenset[str] = frozenset()
        self._versions: dict[str, int] = defaultdict(int)

    # -- generic objects ----------------------------------------------------------
    def watch(self, kind: str, watcher: Watcher) -> None:
        self._watchers[kind].append(watcher)

    def get(self, kind: str, key: str) -> KubeObject | None:
        return self.objects[kind].get(key)

    def list(self, kind: str) -> list[KubeObject]:
        return list(self.objects[kind].values())

    def list_namespaced(self, kind: str, namespace: str) -> list[KubeObject]:
        """Objects of ``kind`` in ``namespace`` (a lister's ``List(namespace)``), in
        insertion order; what the scheduler asks for Services and pod controllers."""
        return list(self._by_namespace.get((kind, namespace), {}).values())

    def put(self, kind: str, obj: KubeObject) -> str:
        key = object_key(obj)
        if kind in self._versioned_kinds:
            self._versions[(obj.get("metadata") or {}).get("namespace") or ""] += 1
        old = self.objects[kind].get(key)
        verb = "updated" if old is not None else "added"
        if old is not None:
            self._unindex(kind, key, old)
        self.objects[kind][key] = obj
        self._by_namespace[(kind, (obj.get("metadata") or {}).get("namespace") or "")][key] = obj
        owner = _controller_owner(obj)
        if owner is not None:
            self._children[(kind, *owner)][key] = obj
        for watcher in self._watchers[kind]:
            watcher(verb, key, obj)
        return key

    def remove(self, kind: str, key: str) -> KubeObject | None:
        obj = self.objects[kind].pop(key, None)
        if obj is not None:
            if kind in self._versioned_kinds:
                self._versions[(obj.get("metadata") or {}).get("namespace") or ""] += 1
            self._unindex(kind, key, obj)
            for watcher in self._watchers[kind]:
                watcher("deleted", key, obj)
        return obj

    def count_versions(self, kinds: Iterable[str]) -> None:
        """Count changes to objects of ``kinds`` per namespace (see :meth:`version`)."""
        self._versioned_kinds = self._versioned_kinds | frozenset(kinds)

    def version(self, namespace: str) -> int:
        """A counter of puts and removals of the counted kinds in ``namespace``: equal values
        mean none of those objects there changed in between (what a cache of them checks)."""
        return self._versions.get(namespace, 0)

    def children(self, kind: str, owner_kind: str, owner_key: str) -> list[KubeObject]:
        """Objects of ``kind`` whose controlling owner is ``owner_kind`` ``owner_key``
        ("namespace/name"), in insertion order."""
        return list(self._children.get((kind, owner_kind, owner_key), {}).values())

    def _unindex(self, kind: str, key: str, obj: KubeObject) -> None:
        self._by_namespace.get((kind, (obj.get("metadata") or {}).get("namespace") or ""), {}).pop(key, None)
        owner = _controller_owner(obj)
        if owner is not None:
            self._children.get((kind, *owner), {}).pop(key, None)

    # -- pods ---------------------------------------------------------------------
    def add_pod(self, pod: Pod) -> None:
        self.pods[pod.key] = pod
        if pod.owner_kind:
            self._by_owner[(pod.owner_kind, f"{pod.namespace}/{pod.owner_name}")][pod.key] = pod

    def drop_pod(self, pod: Pod) -> None:
        self.pods.pop(pod.key, None)
        if pod.owner_kind:
            owned = self._by_owner.get((pod.owner_kind, f"{pod.namespace}/{pod.owner_name}"))
            if owned is not None:
                owned.pop(pod.key, None)

    def pods_of(self, owner_kind: str, owner_key: str) -> list[Pod]:
        """Pods whose controlling owner is ``owner_kind`` ``owner_key``, in creation order."""
        return list(self._by_owner.get((owner_kind, owner_key), {}).values())
