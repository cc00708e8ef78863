"""Per-node counts of pods matching a predicate, kept up to date as pods come and go.

PodTopologySpread and InterPodAffinity both ask, every cycle, "how many pods on each node
match this selector in these namespaces?".  kube-scheduler answers by walking every pod of
every node (``countPodsMatchSelector``, ``processExistingPod``); over thousands of cycles that
is the hot path.  Here the first question about a predicate scans the snapshot once, and
from then on the :class:`PodMatchIndex` (a snapshot listener) adjusts the per-slot count
array on each pod add/remove, so a cycle reads an array instead of walking pods.

The index also keeps the pods that carry inter-pod affinity terms per slot (upstream
``NodeInfo.PodsWithAffinity`` / ``PodsWithRequiredAntiAffinity``), which InterPodAffinity
walks instead of all pods.

One index serves every plugin instance that looks at the same snapshot.  Predicates are
kept in a bounded LRU so short-lived selectors do not accumulate.
"""

from __future__ import annotations

import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

from pytest_simkube.engine.scheduler.plugins.pod_affinity_terms import affinity_terms_or_empty
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo

PodPredicate = Callable[[PodInfo], bool]

MAX_PREDICATES = 512
"""How many distinct predicates keep live counters before the least recently used is dropped."""


class PodMatchIndex:
    """Live per-slot counters of matching pods for registered predicates (a SnapshotListener)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot_ref = weakref.ref(snapshot)
        self._counters: OrderedDict[Hashable, tuple[PodPredicate, np.ndarray]] = OrderedDict()
        self.with_affinity: dict[int, dict[str, PodInfo]] = {}
        self.with_required_anti_affinity: dict[int, dict[str, PodInfo]] = {}
        self.namespaces: Counter[str] = Counter()
        """Pods per namespace, so callers can fingerprint the namespaces that exist."""
        for pod in snapshot.pods.values():
            slot = snapshot.slot_of(pod.node_name)
            if slot is not None:
                self._track_affinity(pod, slot, add=True)
            self.namespaces[pod.namespace] += 1
        snapshot.subscribe(self)

    # --- queries --------------------------------------------------------------------------

    def counts(self, key: Hashable, predicate: PodPredicate) -> np.ndarray:
        """int64 array over slots: pods on each node for which ``predicate`` holds.

        ``key`` identifies the predicate (equal keys must mean equal predicates).  The array
        is live and shared: read it, never modify it.
        """
        entry = self._counters.get(key)
        snapshot = self._snapshot_ref()
        if snapshot is None:
            raise RuntimeError("the snapshot of this index is gone")
        if entry is not None:
            self._counters.move_to_end(key)
            counts = entry[1]
            if len(counts) < snapshot.capacity:
                counts = np.concatenate([counts, np.zeros(snapshot.capacity - len(counts), dtype=np.int64)])
                self._counters[key] = (predicate, counts)
            return counts
        counts = np.zeros(snapshot.capacity, dtype=np.int64)
        for pod in snapshot.pods.values():
            if predicate(pod):
                slot = snapshot.slot_of(pod.node_name)
                if slot is not None:
                    counts[slot] += 1
        self._counters[key] = (predicate, counts)
        if len(self._counters) > MAX_PREDICATES:
            self._counters.popitem(last=False)
        return counts

    def pods_with_affinity(self) -> list[tuple[int, PodInfo]]:
        """(slot, pod) for every pod with any pod (anti-)affinity term, in slot order."""
        return [(slot, pod) for slot in sorted(self.with_affinity)
                for pod in self.with_affinity[slot].values()]

    def pods_with_required_anti_affinity(self) -> list[tuple[int, PodInfo]]:
        return [(slot, pod) for slot in sorted(self.with_required_anti_affinity)
                for pod in self.with_required_anti_affinity[slot].values()]

    # --- SnapshotListener -----------------------------------------------------------------

    def on_node_added(self, snapshot: Snapshot, slot: int) -> None:
        return None

    def on_node_removed(self, snapshot: Snapshot, slot: int) -> None:
        return None

    def on_pod_added(self, snapshot: Snapshot, pod: PodInfo, slot: int) -> None:
        self._update(pod, slot, 1)
        self._track_affinity(pod, slot, add=True)
        self.namespaces[pod.namespace] += 1

    def on_pod_removed(self, snapshot: Snapshot, pod: PodInfo, slot: int) -> None:
        self._update(pod, slot, -1)
        self._track_affinity(pod, slot, add=False)
        self.namespaces[pod.namespace] -= 1
        if self.namespaces[pod.namespace] <= 0:
            del self.namespaces[pod.namespace]

    def _update(self, pod: PodInfo, slot: int, delta: int) -> None:
        for key, (predicate, counts) in list(self._counters.items()):
            if predicate(pod):
                if slot >= len(counts):
                    grown = np.zeros(max(slot + 1, 2 * len(counts)), dtype=np.int64)
                    grown[:len(counts)] = counts
                    self._counters[key] = (predicate, grown)
                    counts = grown
                counts[slot] += delta

    def _track_affinity(self, pod: PodInfo, slot: int, add: bool) -> None:
        terms = affinity_terms_or_empty(pod)
        if not terms.has_any:
            return
        for table, wanted in ((self.with_affinity, True),
                              (self.with_required_anti_affinity, bool(terms.required_anti_affinity))):
            if not wanted:
                continue
            if add:
                table.setdefault(slot, {})[pod.key] = pod
            else:
                pods = table.get(slot)
                if pods is not None:
                    pods.pop(pod.key, None)
                    if not pods:
                        del table[slot]


_INDEXES: weakref.WeakKeyDictionary[Snapshot, PodMatchIndex] = weakref.WeakKeyDictionary()


def pod_match_index(snapshot: Snapshot) -> PodMatchIndex:
    """The snapshot's shared index, created (and subscribed) on first use."""
    index = _INDEXES.get(snapshot)
    if index is None:
        index = PodMatchIndex(snapshot)
        _INDEXES[snapshot] = index
    return index
