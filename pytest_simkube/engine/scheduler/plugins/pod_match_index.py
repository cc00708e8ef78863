"""Per-node counts of pods matching a predicate, kept up to date as pods come and go.

PodTopologySpread and InterPodAffinity both ask, every cycle, "how many pods on each node
match this selector in these namespaces?".  kube-scheduler answers by walking every pod of
every node (``countPodsMatchSelector``, ``processExistingPod``); over thousands of cycles that
is the hot path.  Here the first question about a predicate scans the pods it could match
once, and from then on the :class:`PodMatchIndex` (a snapshot listener) adjusts the per-slot
count array on each pod add/remove, so a cycle reads an array instead of walking pods.  The
index also keeps the bound pods by namespace and by (namespace, label, value), so that first
scan only visits the pods carrying the predicate's hinted label (a Deployment's replicas
rather than every pod of the cluster).

The index also counts, per node, the pods *carrying* each distinct inter-pod affinity term
(upstream walks ``NodeInfo.PodsWithAffinity`` for this).  Replicas of one workload carry
identical terms, so a cycle evaluates each distinct term against the incoming pod once and
weighs the per-node carrier counts, instead of visiting every such pod.

One index serves every plugin instance that looks at the same snapshot.  Predicates are
kept in a bounded LRU so short-lived selectors do not accumulate, and each predicate may
name the namespaces it can match so a pod add only evaluates the predicates of its namespace.
"""

from __future__ import annotations

import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from pytest_simkube.engine.scheduler.plugins.pod_affinity_terms import AffinityTerm, affinity_terms_or_empty
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.labels import DOUBLE_EQUALS, EQUALS, IN, Selector
from pytest_simkube.kube.pods import PodInfo

PodPredicate = Callable[[PodInfo], bool]

MAX_PREDICATES = 256
"""How many distinct predicates keep live counters before the least recently used is dropped."""

REQUIRED_AFFINITY = "requiredAffinity"
REQUIRED_ANTI_AFFINITY = "requiredAntiAffinity"
PREFERRED_AFFINITY = "preferredAffinity"
PREFERRED_ANTI_AFFINITY = "preferredAntiAffinity"

_CARRIED_KEY = "InterPodAffinity/carried"
CarrierKey = tuple[str, AffinityTerm, int]
"""(term list name, term, weight): one distinct term as carried by existing pods."""


LabelHint = tuple[str, frozenset[str]]
"""(label key, values): a predicate is false for pods whose label ``key`` is not one of ``values``."""

_Bucket = tuple[str | None, str | None, str | None]
"""(namespace, label key, label value); None means "any"."""


def selector_hint(selector: Selector) -> LabelHint | None:
    """A label every pod the selector matches must carry with one of a few values, if any.

    Taken from the first ``key=value`` or ``key in (...)`` requirement; the index uses it to
    evaluate a predicate only for pods that carry such a label.
    """
    if selector.matches_nothing:
        return None
    for r in selector.requirements:
        if r.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return r.key, frozenset(r.values)
    return None


@dataclass
class _Counter:
    predicate: PodPredicate
    counts: np.ndarray
    buckets: tuple[_Bucket, ...]
    domains: dict[str, np.ndarray] = field(default_factory=dict)
    """Per topology key: the counts summed per domain code (missing label last)."""
    domains_version: int = -1
    """``Snapshot.node_version`` the domain sums were built at (labels decide domains)."""


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    """``array`` padded with zeros (False) to at least ``size`` entries."""
    if len(array) >= size:
        return array
    out = np.zeros(max(size, 2 * len(array)), dtype=array.dtype)
    out[:len(array)] = array
    return out


_INTERNED: weakref.WeakValueDictionary[AffinityTerm, AffinityTerm] = weakref.WeakValueDictionary()


def _intern(term: AffinityTerm) -> AffinityTerm:
    """One shared object per distinct term, so dict lookups hit on identity, not deep equality."""
    return _INTERNED.setdefault(term, term)


def _carried_terms(pod: PodInfo) -> tuple[CarrierKey, ...]:
    """The pod's terms as carrier keys, computed once per pod (cached on the PodInfo)."""
    cached = pod.extra.get(_CARRIED_KEY)
    if cached is not None:
        return cached
    terms = affinity_terms_or_empty(pod)
    keys: tuple[CarrierKey, ...] = ()
    if terms.has_any:
        keys = (tuple((REQUIRED_AFFINITY, _intern(t), 1) for t in terms.required_affinity)
                + tuple((REQUIRED_ANTI_AFFINITY, _intern(t), 1) for t in terms.required_anti_affinity)
                + tuple((PREFERRED_AFFINITY, _intern(w.term), w.weight) for w in terms.preferred_affinity)
                + tuple((PREFERRED_ANTI_AFFINITY, _intern(w.term), w.weight)
                        for w in terms.preferred_anti_affinity))
    pod.extra[_CARRIED_KEY] = keys
    return keys


class PodMatchIndex:
    """Live per-slot counters of matching pods and of affinity-term carriers (a SnapshotListener)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot_ref = weakref.ref(snapshot)
        self._counters: OrderedDict[Hashable, _Counter] = OrderedDict()
        self._buckets: dict[_Bucket, set[Hashable]] = {}
        self._carriers: dict[CarrierKey, np.ndarray] = {}
        self._carriers_by_kind: dict[str, dict[CarrierKey, None]] = {}
        self._carrier_buckets: dict[tuple[str, str | None, str | None], dict[CarrierKey, None]] = {}
        self._carrier_totals: Counter[CarrierKey] = Counter()
        self.namespaces: Counter[str] = Counter()
        """Pods per namespace, so callers can fingerprint the namespaces that exist."""
        self._pods_by_namespace: dict[str, dict[str, PodInfo]] = {}
        self._pods_by_label: dict[tuple[str, str, str], dict[str, PodInfo]] = {}
        self._filed = False
        """Pods are filed by namespace and label once a first count needs it (many snapshots,
        like the autoscaler's what-if clusters, never ask)."""
        self.unlabeled = np.zeros(snapshot.capacity, dtype=bool)
        """Slots of nodes without any label (InterPodAffinity scoring ignores their pods)."""
        for slot in snapshot.order().tolist():
            self.unlabeled[slot] = not snapshot.node(slot).labels
        for pod in snapshot.pods.values():
            slot = snapshot.slot_of(pod.node_name)
            if slot is not None:
                self._carry(pod, slot, 1)
            self.namespaces[pod.namespace] += 1
        snapshot.subscribe(self)

    def _snapshot(self) -> Snapshot:
        snapshot = self._snapshot_ref()
        if snapshot is None:
            raise RuntimeError("the snapshot of this index is gone")
        return snapshot

    # --- queries --------------------------------------------------------------------------

    def counts(self, key: Hashable, predicate: PodPredicate, namespaces: Iterable[str] | None = None,
               label_hint: LabelHint | None = None) -> np.ndarray:
        """int64 array over slots: pods on each node for which ``predicate`` holds.

        ``key`` identifies the predicate (equal keys must mean equal predicates).
        ``namespaces``, when given, promises the predicate is false outside them;
        ``label_hint`` promises it is false for pods without one of the hinted label values
        (see :func:`selector_hint`).  Both only make pod adds cheaper.  The array is live and
        shared: read it, never modify it.
        """
        snapshot = self._snapshot()
        entry = self._counters.get(key)
        if entry is not None:
            self._counters.move_to_end(key)
            entry.counts = _grown(entry.counts, snapshot.capacity)
            return entry.counts
        counts = np.zeros(snapshot.capacity, dtype=np.int64)
        for pod in self._candidates(snapshot, namespaces, label_hint):
            if predicate(pod):
                slot = snapshot.slot_of(pod.node_name)
                if slot is not None:
                    counts[slot] += 1
        spaces: tuple[str | None, ...] = (None,) if namespaces is None else tuple(namespaces)
        pairs: list[tuple[str | None, str | None]] = (
            [(None, None)] if label_hint is None else [(label_hint[0], v) for v in label_hint[1]])
        buckets = tuple((ns, k, v) for ns in spaces for k, v in pairs)
        self._counters[key] = _Counter(predicate, counts, buckets)
        for bucket in buckets:
            self._buckets.setdefault(bucket, set()).add(key)
        if len(self._counters) > MAX_PREDICATES:
            old_key, old = self._counters.popitem(last=False)
            for bucket in old.buckets:
                self._buckets[bucket].discard(old_key)
        return counts

    def domain_counts(self, key: Hashable, topology_key: str) -> np.ndarray:
        """Matching pods per domain of ``topology_key`` over every node, for a predicate
        :meth:`counts` already knows: index = the label's value code, the last entry
        counts nodes without the label.  Kept up to date on pod changes; rebuilt after a
        node change.  Read it, never modify it."""
        snapshot = self._snapshot()
        entry = self._counters[key]
        if entry.domains_version != snapshot.node_version:
            entry.domains = {}
            entry.domains_version = snapshot.node_version
        sums = entry.domains.get(topology_key)
        if sums is None:
            order = snapshot.order()
            missing = len(snapshot.label_vocab(topology_key))
            codes = snapshot.label_codes(topology_key)[order]
            codes = np.where(codes < 0, missing, codes)
            entry.counts = _grown(entry.counts, snapshot.capacity)
            sums = np.bincount(codes, weights=entry.counts[order], minlength=missing + 1).astype(np.int64)
            entry.domains[topology_key] = sums
        return sums

    def _candidates(self, snapshot: Snapshot, namespaces: Iterable[str] | None,
                    label_hint: LabelHint | None) -> Iterable[PodInfo]:
        """The bound pods a predicate with these promises can match (each pod once)."""
        if not self._filed:
            self._filed = True
            for pod in snapshot.pods.values():
                self._file(pod)
        if namespaces is None:
            if label_hint is None:
                return snapshot.pods.values()
            spaces: Iterable[str] = list(self._pods_by_namespace)
        else:
            spaces = dict.fromkeys(namespaces)
        if label_hint is None:
            return [pod for ns in spaces for pod in self._pods_by_namespace.get(ns, {}).values()]
        key, values = label_hint
        return [pod for ns in spaces for value in sorted(values)
                for pod in self._pods_by_label.get((ns, key, value), {}).values()]

    def _file(self, pod: PodInfo) -> None:
        self._pods_by_namespace.setdefault(pod.namespace, {})[pod.key] = pod
        for k, v in pod.labels.items():
            self._pods_by_label.setdefault((pod.namespace, k, v), {})[pod.key] = pod

    def _unfile(self, pod: PodInfo) -> None:
        bucket = self._pods_by_namespace.get(pod.namespace)
        if bucket is not None and bucket.pop(pod.key, None) is not None and not bucket:
            del self._pods_by_namespace[pod.namespace]
        for k, v in pod.labels.items():
            bucket = self._pods_by_label.get((pod.namespace, k, v))
            if bucket is not None and bucket.pop(pod.key, None) is not None and not bucket:
                del self._pods_by_label[(pod.namespace, k, v)]

    def carriers(self, kind: str, labels: Mapping[str, str] | None = None
                 ) -> list[tuple[AffinityTerm, int, np.ndarray]]:
        """(term, weight, carrier count per slot) for the distinct terms of list ``kind``.

        With ``labels`` (the incoming pod's), terms whose selector needs a label value the
        pod lacks are left out: they cannot select it (:func:`selector_hint`).  Callers
        still check each returned term with ``AffinityTerm.matches``.
        """
        size = self._snapshot().capacity
        buckets = self._carrier_buckets
        if labels is None:
            keys: Iterable[CarrierKey] = self._carriers_by_kind.get(kind, {})
        else:
            found: dict[CarrierKey, None] = dict(buckets.get((kind, None, None), {}))
            for k, v in labels.items():
                hinted = buckets.get((kind, k, v))
                if hinted:
                    found.update(hinted)
            keys = found
        out = []
        for key in keys:
            counts = self._carriers[key]
            if len(counts) < size:
                counts = self._carriers[key] = _grown(counts, size)
            out.append((key[1], key[2], counts))
        return out

    # --- SnapshotListener -----------------------------------------------------------------

    def on_node_added(self, snapshot: Snapshot, slot: int) -> None:
        self.unlabeled = _grown(self.unlabeled, snapshot.capacity)
        self.unlabeled[slot] = not snapshot.node(slot).labels

    def on_node_removed(self, snapshot: Snapshot, slot: int) -> None:
        if slot < len(self.unlabeled):
            self.unlabeled[slot] = False

    def on_pod_added(self, snapshot: Snapshot, pod: PodInfo, slot: int) -> None:
        self._update(pod, slot, 1)
        self._carry(pod, slot, 1)
        self.namespaces[pod.namespace] += 1
        if self._filed:
            self._file(pod)

    def on_pod_removed(self, snapshot: Snapshot, pod: PodInfo, slot: int) -> None:
        self._update(pod, slot, -1)
        self._carry(pod, slot, -1)
        self.namespaces[pod.namespace] -= 1
        if self.namespaces[pod.namespace] <= 0:
            del self.namespaces[pod.namespace]
        if self._filed:
            self._unfile(pod)

    def _update(self, pod: PodInfo, slot: int, delta: int) -> None:
        if not self._buckets:
            return
        keys: set[Hashable] = set()
        buckets = self._buckets
        for ns in (None, pod.namespace):
            found = buckets.get((ns, None, None))
            if found:
                keys |= found
            for k, v in pod.labels.items():
                found = buckets.get((ns, k, v))
                if found:
                    keys |= found
        snapshot = None
        for key in keys:
            entry = self._counters[key]
            if entry.predicate(pod):
                entry.counts = _grown(entry.counts, slot + 1)
                entry.counts[slot] += delta
                if entry.domains:
                    snapshot = snapshot or self._snapshot()
                    if entry.domains_version != snapshot.node_version:
                        entry.domains = {}
                        continue
                    for topology_key, sums in entry.domains.items():
                        code = int(snapshot.label_codes(topology_key)[slot])
                        sums[code if code >= 0 else len(sums) - 1] += delta

    def _carry(self, pod: PodInfo, slot: int, delta: int) -> None:
        for key in _carried_terms(pod):
            counts = self._carriers.get(key)
            if counts is None:
                counts = np.zeros(max(slot + 1, len(self.unlabeled)), dtype=np.int64)
                self._file_carrier(key, True)
            counts = _grown(counts, slot + 1)
            counts[slot] += delta
            self._carriers[key] = counts
            self._carrier_totals[key] += delta
            if self._carrier_totals[key] <= 0:
                del self._carriers[key]
                del self._carrier_totals[key]
                self._file_carrier(key, False)

    def _file_carrier(self, key: CarrierKey, add: bool) -> None:
        """Index a carried term by kind, and by the label its selector needs (if any)."""
        hint = selector_hint(key[1].selector)
        buckets: list[tuple[dict, Hashable]] = [(self._carriers_by_kind, key[0])]
        if hint is None:
            buckets.append((self._carrier_buckets, (key[0], None, None)))
        else:
            buckets.extend((self._carrier_buckets, (key[0], hint[0], v)) for v in hint[1])
        for table, bucket_key in buckets:
            if add:
                table.setdefault(bucket_key, {})[key] = None
                continue
            entries = table.get(bucket_key)
            if entries is not None:
                entries.pop(key, None)
                if not entries:
                    del table[bucket_key]


_INDEXES: weakref.WeakKeyDictionary[Snapshot, PodMatchIndex] = weakref.WeakKeyDictionary()


def pod_match_index(snapshot: Snapshot) -> PodMatchIndex:
    """The snapshot's shared index, created (and subscribed) on first use."""
    index = _INDEXES.get(snapshot)
    if index is None:
        index = PodMatchIndex(snapshot)
        _INDEXES[snapshot] = index
    return index
