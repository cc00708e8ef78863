"""The scheduler's view of the cluster: nodes as NumPy rows, pods attached to nodes.

kube-scheduler keeps a ``NodeInfo`` per node (pkg/scheduler/framework/types.go) and takes a
snapshot of them before each cycle.  Here one :class:`Snapshot` object is kept *live*: the
cluster engine applies every change incrementally (``add_node``, ``update_node``,
``remove_node``, ``add_pod``, ``remove_pod``) and each scheduling cycle reads it directly,
so thousands of cycles never copy the cluster.

Layout
------
* Each node occupies a *slot* (row index) that stays fixed while the node exists; a removed
  node's slot is recycled later.  ``order()`` gives the live slots in the scheduler's node
  order (the order nodes were added), which is what the rotating start index walks over.
* Per slot arrays (length ``capacity``; read only the rows in ``order()``):
  ``allocatable[slot, col]`` and ``requested[slot, col]`` (int64, scheduler units: cpu in
  millicores, bytes, counts) with ``resource_column(name)`` giving ``col``.  They are views of
  resource-major storage, so ``allocatable_of(col)[slots]`` / ``requested_of(col)[slots]``
  gather one resource for many nodes from contiguous memory (the fast path for plugins);
  ``non_zero_requested[slot, 0|1]`` (cpu millicores / memory bytes, with the 100m/200MiB
  default per container, used by the scorers); ``pod_count``; ``allowed_pods``;
  ``unschedulable`` (``spec.unschedulable``); ``taint_set`` (index into ``taint_sets``, the
  distinct taint tuples, so a taint filter is decided once per distinct set).
* Labels: ``label_codes(key)`` is an int32 array per label key with the code of the node's
  value (``label_vocab(key)`` maps value -> code) or -1 when the node lacks the key; columns
  are built on first use and then maintained incrementally.
* ``node(slot)`` is the :class:`NodeInfo` with the Python-side data: name, labels, taints,
  pods (insertion ordered), used host ports, image sizes.

Host ports are a *set* per node, as upstream's ``HostPortInfo`` (framework/types.go,
``NodeInfo.updateUsedPorts``): removing a pod deletes its (ip, protocol, port) entries even
while another pod on the node declares the same port.  Temporary changes (the preemption dry
run, nominated pods) therefore save the set with ``used_ports_of`` and put it back with
``restore_used_ports``, as upstream runs them on a cloned ``NodeInfo``.

Listeners (``subscribe``) are told about every change so plugins can maintain their own
counters (e.g. matching pods per topology domain) without rescanning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from pytest_simkube.errors import InputError
from pytest_simkube.kube.pods import HostPort, PodInfo, PodParseError, Taint, parse_pod, parse_taints
from pytest_simkube.kube.requests import (
    CPU,
    EPHEMERAL_STORAGE,
    MAX_UNITS,
    MEMORY,
    PODS,
    RequestsError,
    node_allocatable,
)

_CHECKED_AMOUNT = 2**40
"""Pods asking for more than this of a resource are checked against int64 overflow of the node's
sum; smaller requests would need millions of pods on one node to overflow."""

BASE_RESOURCES = (CPU, MEMORY, EPHEMERAL_STORAGE, PODS)
"""Columns 0..3 of ``allocatable`` / ``requested``; extended resources follow."""


class SnapshotError(InputError, ValueError):
    """An inconsistent change (unknown node, duplicate pod) or a malformed object.

    ``where`` is the path inside the object, ``obj`` the object (``node n1``).  The file is
    not known here: readers re-raise ``where`` and ``message`` under their own path.
    """

    def __init__(self, where: str, message: str, obj: str | None = None) -> None:
        self.obj = obj
        super().__init__(None, where, message)

    def format(self) -> str:
        parts = [p for p in (self.source, self.obj, self.where) if p]
        return ": ".join([*parts, self.message])


def normalized_image_name(name: str) -> str:
    """``normalizedImageName`` (imagelocality): no ``:`` after the last ``/`` means ``:latest``."""
    if name.rfind(":") <= name.rfind("/"):
        return f"{name}:latest"
    return name


_MutedChange = tuple[tuple[PodInfo, int] | None, tuple[PodInfo, int] | None]
"""A pod's placement (pod, slot) before a muted block and now; None: not placed."""


def _undone(change: _MutedChange) -> bool:
    """The same pod on the same node before and after the block."""
    before, after = change
    return before is not None and after is not None and before[0] is after[0] and before[1] == after[1]


@dataclass(eq=False)
class NodeInfo:
    """Python-side data of one node (the parts that are not arrays)."""

    slot: int
    name: str
    raw: dict[str, Any]
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    unschedulable: bool
    allocatable: dict[str, int]
    images: dict[str, int]
    pods: dict[str, PodInfo] = field(default_factory=dict)
    used_ports: set[HostPort] = field(default_factory=set)


class SnapshotListener(Protocol):
    def on_node_added(self, snapshot: Snapshot, slot: int) -> None: ...
    def on_node_removed(self, snapshot: Snapshot, slot: int) -> None: ...
    def on_pod_added(self, snapshot: Snapshot, pod: PodInfo, slot: int) -> None: ...
    def on_pod_removed(self, snapshot: Snapshot, pod: PodInfo, slot: int) -> None: ...


def _declares_required_anti_affinity(pod: PodInfo) -> bool:
    """Whether the manifest lists required pod anti-affinity terms (well formed or not)."""
    affinity = pod.spec.get("affinity")
    if not isinstance(affinity, Mapping):
        return False
    anti = affinity.get("podAntiAffinity")
    return isinstance(anti, Mapping) and bool(anti.get("requiredDuringSchedulingIgnoredDuringExecution"))


def _node_name(node: Mapping[str, Any]) -> str:
    if not isinstance(node, Mapping):
        raise SnapshotError("", f"a node must be a map, got {type(node).__name__}")
    meta = node.get("metadata")
    if not isinstance(meta, Mapping):
        raise SnapshotError("metadata", "a node needs a metadata map")
    name = meta.get("name")
    if not name or not isinstance(name, str):
        raise SnapshotError("metadata.name", "a node needs a name")
    return name


def _map_field(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SnapshotError(where, f"expected a map, got {type(value).__name__}")
    return value


def _node_images(status: Mapping[str, Any]) -> dict[str, int]:
    """``status.images``: image name -> size in bytes (ImageLocality reads it)."""
    raw = status.get("images")
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise SnapshotError("status.images", f"expected a list, got {type(raw).__name__}")
    images: dict[str, int] = {}
    for i, image in enumerate(raw):
        if not isinstance(image, Mapping):
            raise SnapshotError(f"status.images[{i}]", f"expected a map, got {type(image).__name__}")
        size = image.get("sizeBytes") or 0
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_UNITS:
            raise SnapshotError(f"status.images[{i}].sizeBytes", "expected a byte count")
        names = image.get("names") or []
        if not isinstance(names, list):
            raise SnapshotError(f"status.images[{i}].names", "expected a list of image names")
        for image_name in names:
            images[str(image_name)] = size
    return images


class Snapshot:
    """The live node table; see the module docstring for the layout."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = max(1, capacity)
        self.resources: list[str] = list(BASE_RESOURCES)
        self._columns: tuple[str, ...] = BASE_RESOURCES
        """``resources`` as a tuple, replaced when a column is added (pods key their cached
        request rows by it: another snapshot may order its extended resources differently)."""
        self._resource_col = {name: i for i, name in enumerate(self.resources)}
        self._alloc = np.zeros((len(self.resources), self.capacity), dtype=np.int64)
        self._req = np.zeros((len(self.resources), self.capacity), dtype=np.int64)
        self._non_zero = np.zeros((2, self.capacity), dtype=np.int64)
        self.pod_count = np.zeros(self.capacity, dtype=np.int64)
        self.allowed_pods = np.zeros(self.capacity, dtype=np.int64)
        self.unschedulable = np.zeros(self.capacity, dtype=bool)
        self.taint_set = np.zeros(self.capacity, dtype=np.int32)
        self.port_count = np.zeros(self.capacity, dtype=np.int64)
        self.pod_stamp = np.zeros(self.capacity, dtype=np.int64)
        """``generation`` just after the last pod change on the slot (the slot's pods are as
        they were at any generation >= its stamp)."""
        self.taint_sets: list[tuple[Taint, ...]] = [()]
        self._taint_set_ids: dict[tuple[Taint, ...], int] = {(): 0}
        self._nodes: list[NodeInfo | None] = [None] * self.capacity
        self._slot_by_name: dict[str, int] = {}
        self._order: list[int] = []
        self._order_array: np.ndarray | None = None
        self._free: list[int] = []
        self._label_codes: dict[str, np.ndarray] = {}
        self._label_vocab: dict[str, dict[str, int]] = {}
        self.pods: dict[str, PodInfo] = {}
        self.image_node_count: Counter[str] = Counter()
        self.generation = 0
        """Bumped by every change (nodes and pods, and ``touch``): equal generations mean an
        equal snapshot."""
        self.node_set_version = 0
        """Bumped when a node is added or removed (a slot may then name another node)."""
        self.node_version = 0
        """Bumped by every node change (added, updated, removed): node properties changed."""
        self.anti_affinity_version = 0
        """Bumped when a pod declaring required pod anti-affinity is added or removed (other
        pods' filters read such pods on every node)."""
        self._node_cache: dict[Any, Any] = {}
        self._node_cache_version = 0
        self._listeners: list[SnapshotListener] = []
        self._muted: dict[str, _MutedChange] | None = None
        """While muted: pod key -> (its placement before, its placement now)."""
        self._muted_nodes: dict[int, tuple[int, tuple[str, ...], frozenset[HostPort]]] = {}
        """While muted: slot -> (its pod stamp, pod order and used ports before the block)."""
        self.quiet_generations = 0
        """Generations spent in muted blocks that put every node back as it was."""

    # --- queries --------------------------------------------------------------------------

    @property
    def allocatable(self) -> np.ndarray:
        """(capacity, resources) view: ``allocatable[slot, col]``."""
        return self._alloc.T

    @property
    def requested(self) -> np.ndarray:
        """(capacity, resources) view: ``requested[slot, col]`` (sum of the bound pods' requests)."""
        return self._req.T

    @property
    def non_zero_requested(self) -> np.ndarray:
        """(capacity, 2) view: cpu millicores / memory bytes with the per-container defaults."""
        return self._non_zero.T

    def allocatable_of(self, col: int) -> np.ndarray:
        """Allocatable of one resource column for every slot (contiguous; index with slots)."""
        return self._alloc[col]

    def requested_of(self, col: int) -> np.ndarray:
        """Requested amount of one resource column for every slot (contiguous)."""
        return self._req[col]

    def non_zero_requested_of(self, resource: str) -> np.ndarray:
        """Non-zero requested cpu (``"cpu"``) or memory (``"memory"``) for every slot."""
        return self._non_zero[0 if resource == CPU else 1]

    @property
    def num_nodes(self) -> int:
        return len(self._order)

    def order(self) -> np.ndarray:
        """Live slots in scheduler node order (int64 array; do not modify)."""
        if self._order_array is None:
            self._order_array = np.array(self._order, dtype=np.int64)
        return self._order_array

    def node(self, slot: int) -> NodeInfo:
        info = self._nodes[slot]
        if info is None:
            raise SnapshotError("", f"no node in slot {slot}")
        return info

    def nodes(self) -> list[NodeInfo]:
        """NodeInfos in scheduler order."""
        return [self._nodes[s] for s in self._order]  # type: ignore[misc]

    def slot_of(self, name: str) -> int | None:
        return self._slot_by_name.get(name)

    def has_node(self, name: str) -> bool:
        return name in self._slot_by_name

    def node_names(self, slots: Iterable[int]) -> list[str]:
        return [self._nodes[s].name for s in slots]  # type: ignore[union-attr]

    def resource_column(self, name: str, create: bool = False) -> int | None:
        """Column of a resource; with ``create`` a new extended resource gets a zero column."""
        col = self._resource_col.get(name)
        if col is None and create:
            col = len(self.resources)
            self.resources.append(name)
            self._columns = tuple(self.resources)
            self._resource_col[name] = col
            self._alloc = np.vstack([self._alloc, np.zeros((1, self.capacity), dtype=np.int64)])
            self._req = np.vstack([self._req, np.zeros((1, self.capacity), dtype=np.int64)])
        return col

    def label_codes(self, key: str) -> np.ndarray:
        """int32 codes per slot of label ``key`` (-1: node lacks it).  Maintained once built."""
        codes = self._label_codes.get(key)
        if codes is None:
            codes = np.full(self.capacity, -1, dtype=np.int32)
            vocab: dict[str, int] = {}
            for slot in self._order:
                value = self._nodes[slot].labels.get(key)  # type: ignore[union-attr]
                if value is not None:
                    codes[slot] = vocab.setdefault(value, len(vocab))
            self._label_codes[key] = codes
            self._label_vocab[key] = vocab
        return codes

    def label_vocab(self, key: str) -> dict[str, int]:
        """Value -> code for label ``key`` (builds the column if needed)."""
        self.label_codes(key)
        return self._label_vocab[key]

    def free_resources(self, slots: np.ndarray) -> np.ndarray:
        """``allocatable - requested`` for the given slots (rows aligned with ``slots``)."""
        return (self._alloc[:, slots] - self._req[:, slots]).T

    def used_ports_of(self, slot: int) -> frozenset[HostPort]:
        """The node's used host ports, to be put back after a temporary change."""
        return frozenset(self.node(slot).used_ports)

    def restore_used_ports(self, slot: int, ports: Iterable[HostPort]) -> None:
        """Put back a set saved by ``used_ports_of`` (upstream changes a cloned NodeInfo instead)."""
        node = self.node(slot)
        node.used_ports = set(ports)
        self.port_count[slot] = len(node.used_ports)

    def node_cache(self) -> dict[Any, Any]:
        """A dict for answers that depend only on node properties (labels, taints, cordon),
        emptied whenever a node is added, updated or removed; pods never touch it.  Keys
        must name the plugin and everything of the pod the answer depends on."""
        if self._node_cache_version != self.node_version:
            self._node_cache.clear()
            self._node_cache_version = self.node_version
        return self._node_cache

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Pod changes inside the block reach listeners only as their net effect, at the end.

        A preemption dry run removes and re-adds the pods of one node again and again and
        puts them all back; listeners (the pod-match index) would follow every step for no
        net change.  Nothing may read listener state inside the block (Filter plugins and
        PreFilter extensions read cycle state and the node arrays only).
        """
        if self._muted is not None:
            yield
            return
        self._muted = {}
        start = self.generation
        try:
            yield
        finally:
            changes, self._muted = self._muted, None
            net = [change for change in changes.values() if not _undone(change)]
            self._restore_quiet_stamps(net, start)
            for before, after in net:
                if before is not None:
                    for listener in self._listeners:
                        listener.on_pod_removed(self, before[0], before[1])
                if after is not None:
                    for listener in self._listeners:
                        listener.on_pod_added(self, after[0], after[1])

    @property
    def content_version(self) -> int:
        """``generation`` without the muted blocks that changed nothing: equal content
        versions mean the same pods on the same nodes even if a dry run came and went."""
        return self.generation - self.quiet_generations

    def _remember_muted_node(self, slot: int, node: NodeInfo) -> None:
        if slot not in self._muted_nodes:
            before = (int(self.pod_stamp[slot]), tuple(node.pods), frozenset(node.used_ports))
            self._muted_nodes[slot] = before

    def _restore_quiet_stamps(self, net: list[_MutedChange], start: int) -> None:
        """Give the nodes a muted block left as it found them (same pods in the same order,
        same used ports) their pod stamps back, so verdicts scoped to them stay valid; when
        every node is back, the block's generations count as quiet (``content_version``).
        ``net`` holds the placements the block did not undo."""
        touched, self._muted_nodes = self._muted_nodes, {}
        changed: set[int] = set()
        for before, after in net:
            if before is not None:
                changed.add(before[1])
            if after is not None:
                changed.add(after[1])
        for slot, (stamp, order, ports) in touched.items():
            node = self._nodes[slot]
            if slot in changed or node is None or tuple(node.pods) != order or node.used_ports != ports:
                changed.add(slot)
                continue
            self.pod_stamp[slot] = stamp
        if not changed:
            self.quiet_generations += self.generation - start

    def _note_muted(self, pod: PodInfo, slot: int, added: bool) -> None:
        muted = self._muted
        assert muted is not None
        entry = muted.get(pod.key)
        before = entry[0] if entry is not None else (None if added else (pod, slot))
        muted[pod.key] = (before, (pod, slot) if added else None)

    def touch(self, slot: int) -> None:
        """Mark the node's pods as changed without changing them: what counts on the node
        besides its bound pods (the pods nominated to it) changed.  Bumps ``generation``."""
        self.generation += 1
        self.pod_stamp[slot] = self.generation

    def reorder_pods(self, slot: int, keys: Sequence[str]) -> None:
        """Put the node's pods in the order ``keys`` (the same pods; nothing else changes)."""
        node = self.node(slot)
        if list(node.pods) != list(keys):
            node.pods = {key: node.pods[key] for key in keys}

    def subscribe(self, listener: SnapshotListener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: SnapshotListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- node changes ---------------------------------------------------------------------

    def _grow(self) -> None:
        new = self.capacity * 2
        extra = new - self.capacity

        def pad(arr: np.ndarray, fill: Any = 0) -> np.ndarray:
            shape = (extra, *arr.shape[1:])
            return np.concatenate([arr, np.full(shape, fill, dtype=arr.dtype)])

        self._alloc = np.ascontiguousarray(pad(self._alloc.T).T)
        self._req = np.ascontiguousarray(pad(self._req.T).T)
        self._non_zero = np.ascontiguousarray(pad(self._non_zero.T).T)
        self.pod_count = pad(self.pod_count)
        self.allowed_pods = pad(self.allowed_pods)
        self.unschedulable = pad(self.unschedulable, False)
        self.taint_set = pad(self.taint_set)
        self.port_count = pad(self.port_count)
        self.pod_stamp = pad(self.pod_stamp)
        for key, codes in self._label_codes.items():
            self._label_codes[key] = pad(codes, -1)
        self._nodes.extend([None] * extra)
        self.capacity = new
        self.node_version += 1

    def _parse_node(self, node: Mapping[str, Any], slot: int) -> NodeInfo:
        name = _node_name(node)
        try:
            return self._parse_named_node(node, name, slot)
        except SnapshotError as exc:
            raise SnapshotError(exc.where or "", exc.message, obj=f"node {name}") from None
        except (RequestsError, PodParseError) as exc:
            raise SnapshotError(exc.where or "", exc.message, obj=f"node {name}") from None

    @staticmethod
    def _parse_named_node(node: Mapping[str, Any], name: str, slot: int) -> NodeInfo:
        meta = _map_field(node, "metadata", "metadata")
        spec = _map_field(node, "spec", "spec")
        status = _map_field(node, "status", "status")
        allocatable = node_allocatable(status)
        taints = parse_taints(spec.get("taints"))
        images = _node_images(status)
        labels_raw = _map_field(meta, "labels", "metadata.labels")
        labels = {str(k): str(v) for k, v in labels_raw.items()}
        return NodeInfo(slot=slot, name=name, raw=dict(node), labels=labels, taints=taints,
                        unschedulable=bool(spec.get("unschedulable")), allocatable=allocatable, images=images)

    def _write_node_row(self, info: NodeInfo) -> None:
        slot = info.slot
        self.allocatable[slot, :] = 0
        for name, value in info.allocatable.items():
            if name == PODS:
                continue
            col = self.resource_column(name, create=True)
            self.allocatable[slot, col] = value
        self.allowed_pods[slot] = info.allocatable.get(PODS, 0)
        self.allocatable[slot, self._resource_col[PODS]] = self.allowed_pods[slot]
        self.unschedulable[slot] = info.unschedulable
        taint_id = self._taint_set_ids.get(info.taints)
        if taint_id is None:
            taint_id = self._taint_set_ids[info.taints] = len(self.taint_sets)
            self.taint_sets.append(info.taints)
        self.taint_set[slot] = taint_id
        for key, codes in self._label_codes.items():
            value = info.labels.get(key)
            codes[slot] = -1 if value is None else self._label_vocab[key].setdefault(
                value, len(self._label_vocab[key]))
        for image_name in info.images:
            self.image_node_count[image_name] += 1

    def _check_not_muted(self) -> None:
        if self._muted is not None:
            raise SnapshotError("", "nodes cannot change while pod changes are muted")

    def add_node(self, node: Mapping[str, Any]) -> int:
        """Add a v1.Node manifest at the end of the node order; returns its slot."""
        self._check_not_muted()
        name = _node_name(node)
        if name in self._slot_by_name:
            raise SnapshotError("metadata.name", f"node {name!r} already exists")
        if self._free:
            slot = self._free.pop()
        else:
            if len(self._order) >= self.capacity:
                self._grow()
            slot = len(self._order)
            while self._nodes[slot] is not None:
                slot += 1
        info = self._parse_node(node, slot)
        self._nodes[slot] = info
        self._slot_by_name[name] = slot
        self._order.append(slot)
        self._order_array = None
        self.requested[slot, :] = 0
        self.non_zero_requested[slot, :] = 0
        self.pod_count[slot] = 0
        self.port_count[slot] = 0
        self._write_node_row(info)
        self.generation += 1
        self.node_set_version += 1
        self.node_version += 1
        for listener in self._listeners:
            listener.on_node_added(self, slot)
        return slot

    def update_node(self, node: Mapping[str, Any]) -> int:
        """Replace a node's labels/taints/allocatable/images, keeping its pods and position."""
        self._check_not_muted()
        name = _node_name(node)
        slot = self._slot_by_name.get(name)
        if slot is None:
            return self.add_node(node)
        old = self.node(slot)
        for listener in self._listeners:
            listener.on_node_removed(self, slot)
        for image_name in old.images:
            self.image_node_count[image_name] -= 1
            if self.image_node_count[image_name] <= 0:
                del self.image_node_count[image_name]
        info = self._parse_node(node, slot)
        info.pods = old.pods
        info.used_ports = old.used_ports
        self._nodes[slot] = info
        self._write_node_row(info)
        self.generation += 1
        self.node_version += 1
        for listener in self._listeners:
            listener.on_node_added(self, slot)
        return slot

    def remove_node(self, name: str) -> list[PodInfo]:
        """Remove a node and the pods bound to it; returns those pods."""
        self._check_not_muted()
        slot = self._slot_by_name.get(name)
        if slot is None:
            raise SnapshotError("", f"node {name!r} is not in the snapshot")
        info = self.node(slot)
        removed = list(info.pods.values())
        for pod in removed:
            self.remove_pod(pod.key)
        for listener in self._listeners:
            listener.on_node_removed(self, slot)
        for image_name in info.images:
            self.image_node_count[image_name] -= 1
            if self.image_node_count[image_name] <= 0:
                del self.image_node_count[image_name]
        self._nodes[slot] = None
        del self._slot_by_name[name]
        self._order.remove(slot)
        self._order_array = None
        self._free.append(slot)
        self.allocatable[slot, :] = 0
        self.allowed_pods[slot] = 0
        self.unschedulable[slot] = False
        self.taint_set[slot] = 0
        for codes in self._label_codes.values():
            codes[slot] = -1
        self.generation += 1
        self.node_set_version += 1
        self.node_version += 1
        return removed

    # --- pod changes ----------------------------------------------------------------------

    def request_vector(self, pod: PodInfo) -> np.ndarray:
        """The pod's requests as a row aligned with ``resources`` (adds columns as needed)."""
        return self._request_row(pod)[0]

    def _request_row(self, pod: PodInfo) -> tuple[np.ndarray, bool]:
        """The request row and whether any amount is large enough to check for overflow,
        cached on the pod for this column layout."""
        cached = pod.extra.get("_request_vector")
        if cached is not None and (cached[0] is self._columns or cached[0] == self._columns):
            return cached[1], cached[2]
        for name in pod.requests:
            if name != PODS:
                self.resource_column(name, create=True)
        vec = np.zeros(len(self.resources), dtype=np.int64)
        for name, value in pod.requests.items():
            if name != PODS:
                vec[self._resource_col[name]] = value
        large = int(vec.max(initial=0)) > _CHECKED_AMOUNT
        pod.extra["_request_vector"] = (self._columns, vec, large)
        return vec, large

    def add_pod(self, pod: PodInfo | Mapping[str, Any], node_name: str | None = None) -> PodInfo:
        """Account a pod on its node (``spec.nodeName`` or ``node_name``); returns the PodInfo."""
        info = pod if isinstance(pod, PodInfo) else parse_pod(pod)
        target = node_name or info.node_name
        if not target:
            raise SnapshotError("spec.nodeName", f"pod {info.key} is not bound to a node")
        slot = self._slot_by_name.get(target)
        if slot is None:
            raise SnapshotError("spec.nodeName", f"pod {info.key} is bound to unknown node {target!r}")
        if info.key in self.pods:
            raise SnapshotError("metadata.name", f"pod {info.key} is already in the snapshot")
        info.node_name = target
        vec, large = self._request_row(info)
        if large:
            self._check_room(info, slot, vec)
        node = self.node(slot)
        if self._muted is not None:
            self._remember_muted_node(slot, node)
        self._req[:, slot] += vec
        resources = info.resources
        self._non_zero[0, slot] += resources.non_zero_milli_cpu
        self._non_zero[1, slot] += resources.non_zero_memory
        self.pod_count[slot] += 1
        node.pods[info.key] = info
        # Upstream HostPortInfo.Add: a set insert (framework/types.go).
        node.used_ports.update(info.host_ports)
        self.port_count[slot] = len(node.used_ports)
        self.pods[info.key] = info
        self.generation += 1
        self.pod_stamp[slot] = self.generation
        if _declares_required_anti_affinity(info):
            self.anti_affinity_version += 1
        if self._muted is not None:
            self._note_muted(info, slot, True)
            return info
        for listener in self._listeners:
            listener.on_pod_added(self, info, slot)
        return info

    def _check_room(self, info: PodInfo, slot: int, vec: np.ndarray) -> None:
        """Refuse a sum the int64 columns cannot hold (only huge requests get here)."""
        used = self._req[: len(vec), slot].tolist()
        for name, have, add in zip(self.resources, used, vec.tolist(), strict=False):
            if add > 0 and have > MAX_UNITS - add:
                raise SnapshotError("spec", f"{name} requested on node {self.node(slot).name!r} would exceed "
                                    "2^63-1", obj=f"pod {info.key}")

    def remove_pod(self, key: str) -> PodInfo:
        """Release a pod's resources on its node; returns the PodInfo."""
        info = self.pods.pop(key, None)
        if info is None:
            raise SnapshotError("", f"pod {key} is not in the snapshot")
        slot = self._slot_by_name[info.node_name]
        node = self.node(slot)
        if self._muted is not None:
            self._remember_muted_node(slot, node)
        self._req[:, slot] -= self._request_row(info)[0]
        self._non_zero[0, slot] -= info.resources.non_zero_milli_cpu
        self._non_zero[1, slot] -= info.resources.non_zero_memory
        self.pod_count[slot] -= 1
        del node.pods[key]
        # Upstream HostPortInfo.Remove deletes the entry even when another pod still uses it.
        node.used_ports.difference_update(info.host_ports)
        self.port_count[slot] = len(node.used_ports)
        self.generation += 1
        self.pod_stamp[slot] = self.generation
        if _declares_required_anti_affinity(info):
            self.anti_affinity_version += 1
        if self._muted is not None:
            self._note_muted(info, slot, False)
            return info
        for listener in self._listeners:
            listener.on_pod_removed(self, info, slot)
        return info

    @classmethod
    def from_objects(cls, nodes: Iterable[Mapping[str, Any]], pods: Iterable[PodInfo | Mapping[str, Any]] = ()
                     ) -> Snapshot:
        """A snapshot of ``nodes`` (in order) with the bound ``pods`` accounted."""
        node_list = list(nodes)
        snapshot = cls(capacity=max(64, len(node_list)))
        for node in node_list:
            snapshot.add_node(node)
        for pod in pods:
            snapshot.add_pod(pod)
        return snapshot
