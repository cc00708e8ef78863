"""InterPodAffinity (PreFilter, Filter, PreScore, Score, NormalizeScore).

Upstream (v1.30): pkg/scheduler/framework/plugins/interpodaffinity/{plugin.go, filtering.go,
scoring.go}; terms and namespace handling from pkg/scheduler/framework/types.go.

Filter, in upstream's order:
1. the pod's required affinity: every term's topology label must be on the node and some
   pod matching *all* terms must already run in that domain — unless no pod anywhere
   matches and the pod matches its own terms (the first pod of a self-affine group);
   otherwise "node(s) didn't match pod affinity rules" (unresolvable);
2. the pod's required anti-affinity: no matching pod in the node's domain of any term;
   otherwise "node(s) didn't match pod anti-affinity rules";
3. existing pods' required anti-affinity terms that select this pod: the node must not share
   the term's domain with such a pod; otherwise "node(s) didn't satisfy existing pods
   anti-affinity rules".

Score: per topology domain, ``+w`` for each existing pod matching a preferred affinity term
of the pod, ``−w`` for anti-affinity, ``+hardPodAffinityWeight`` for each existing pod whose
*required* affinity selects the pod, ``±w`` for existing pods' preferred terms selecting the
pod; a node's raw score sums its domains; normalised to ``100·(s − min)/(max − min)``.

Namespaces: a term's ``namespaceSelector`` is evaluated against the namespace labels the
handle knows (``Handle.namespace_labels``; a namespace without recorded labels has only
``kubernetes.io/metadata.name``), which is what resolving it against the Namespace objects
does upstream.

Counting is vectorised: per term, pods matching it per node come from the shared
:class:`PodMatchIndex` and are summed per domain with ``bincount`` over label codes; only
existing pods that carry terms themselves are visited one by one.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    FilterPlugin,
    FilterVerdicts,
    Handle,
    PreFilterExtensions,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from pytest_simkube.engine.scheduler.plugins.pod_affinity_terms import (
    AffinityTerm,
    AffinityTermError,
    NamespaceLabels,
    PodAffinityTerms,
    affinity_terms,
    affinity_terms_or_empty,
    pod_matches_all_terms,
)
from pytest_simkube.engine.scheduler.plugins.pod_match_index import (
    PREFERRED_AFFINITY,
    PREFERRED_ANTI_AFFINITY,
    REQUIRED_AFFINITY,
    REQUIRED_ANTI_AFFINITY,
    pod_match_index,
    selector_hint,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo

NAME = "InterPodAffinity"
ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"

_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME
METADATA_NAME_LABEL = "kubernetes.io/metadata.name"


def _default_namespace_labels(namespace: str) -> Mapping[str, str]:
    return {METADATA_NAME_LABEL: namespace}


class TopologyCounts:
    """``topologyToMatchedTermCount``: counts per (topology key, domain code), as arrays per key."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.by_key: dict[str, np.ndarray] = {}

    def _array(self, key: str) -> np.ndarray:
        arr = self.by_key.get(key)
        size = len(self.snapshot.label_vocab(key))
        if arr is None:
            arr = self.by_key[key] = np.zeros(size, dtype=np.int64)
        elif len(arr) < size:
            arr = self.by_key[key] = np.concatenate([arr, np.zeros(size - len(arr), dtype=np.int64)])
        return arr

    def add_per_slot(self, key: str, per_slot: np.ndarray, slots: np.ndarray, factor: int = 1) -> None:
        """Add ``factor × per_slot[slot]`` to the domain of each slot that has label ``key``."""
        codes = self.snapshot.label_codes(key)[slots]
        has = codes >= 0
        values = per_slot[slots][has]
        if not values.any():
            return
        arr = self._array(key)
        arr += factor * np.bincount(codes[has], weights=values, minlength=len(arr)).astype(np.int64)

    def add_at(self, key: str, slot: int, value: int) -> bool:
        """``update``: add ``value`` at the domain of node ``slot``; False when it lacks the label."""
        code = int(self.snapshot.label_codes(key)[slot])
        if code < 0:
            return False
        self._array(key)[code] += value
        return True

    def is_empty(self) -> bool:
        """``len(map) == 0``: upstream deletes pairs that drop to zero."""
        return not any(arr.any() for arr in self.by_key.values())

    def at(self, key: str, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(has label, count of the node's domain) for each slot."""
        codes = self.snapshot.label_codes(key)[slots]
        has = codes >= 0
        arr = self.by_key.get(key)
        if arr is None or arr.size == 0:
            return has, np.zeros(len(slots), dtype=np.int64)
        safe = np.where(has & (codes < len(arr)), codes, 0)
        return has, np.where(has & (codes < len(arr)), arr[safe], 0)

    def clone(self) -> TopologyCounts:
        other = TopologyCounts(self.snapshot)
        other.by_key = {k: v.copy() for k, v in self.by_key.items()}
        return other


@dataclass
class _FilterState:
    terms: PodAffinityTerms
    existing_anti_affinity: TopologyCounts
    affinity: TopologyCounts
    anti_affinity: TopologyCounts
    namespace_labels: NamespaceLabels

    def clone(self) -> _FilterState:
        return _FilterState(self.terms, self.existing_anti_affinity.clone(), self.affinity.clone(),
                            self.anti_affinity.clone(), self.namespace_labels)


@dataclass
class _ScoreState:
    topology_score: TopologyCounts
    touched: set[str] = field(default_factory=set)
    """Topology keys with an entry (``len(topologyScore) > 0`` decides Skip and NormalizeScore)."""


def _namespace_fingerprint(snapshot: Snapshot, terms: tuple[AffinityTerm, ...],
                           namespace_labels: NamespaceLabels) -> Hashable:
    """What the terms' namespaceSelectors saw: the labels of every namespace that has pods.

    Part of the cache key of a count array, so changed namespace labels (or another handle's
    view of them) never reuse counts computed under different labels.  Terms without a
    label-dependent namespaceSelector (the common case) need no fingerprint.
    """
    if all(t.namespace_selector.matches_nothing or t.namespace_selector.is_empty() for t in terms):
        return None
    return frozenset((ns, frozenset(namespace_labels(ns).items()))
                     for ns in pod_match_index(snapshot).namespaces)


def _namespace_scope(terms: tuple[AffinityTerm, ...]) -> frozenset[str] | None:
    """The namespaces a pod must be in to match all ``terms``; None when a selector widens it."""
    scope: frozenset[str] | None = None
    for t in terms:
        if not t.namespace_selector.matches_nothing:
            continue
        scope = t.namespaces if scope is None else scope & t.namespaces
    return scope


def _term_counts(snapshot: Snapshot, term: AffinityTerm, namespace_labels: NamespaceLabels) -> np.ndarray:
    """Per slot: existing pods the (incoming pod's) term selects."""
    key = (NAME, "term", term, _namespace_fingerprint(snapshot, (term,), namespace_labels))
    return pod_match_index(snapshot).counts(key, lambda p: term.matches(p, namespace_labels),
                                            _namespace_scope((term,)), selector_hint(term.selector))


def _all_terms_counts(snapshot: Snapshot, terms: tuple[AffinityTerm, ...],
                      namespace_labels: NamespaceLabels) -> np.ndarray:
    """Per slot: existing pods matching *all* of the terms (``podMatchesAllAffinityTerms``)."""
    if len(terms) == 1:
        return _term_counts(snapshot, terms[0], namespace_labels)
    key = (NAME, "all", terms, _namespace_fingerprint(snapshot, terms, namespace_labels))
    return pod_match_index(snapshot).counts(key, lambda p: pod_matches_all_terms(terms, p, namespace_labels),
                                            _namespace_scope(terms), selector_hint(terms[0].selector))


class InterPodAffinity(PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin):
    """The plugin; ``args`` is ``InterPodAffinityArgs`` (``hardPodAffinityWeight``,
    ``ignorePreferredTermsOfExistingPods``)."""

    name = NAME

    def __init__(self, args: Mapping[str, Any] | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        weight = self.args.get("hardPodAffinityWeight")
        self.hard_pod_affinity_weight = 1 if weight is None else int(weight)
        self.ignore_preferred_terms_of_existing_pods = bool(
            self.args.get("ignorePreferredTermsOfExistingPods"))

    def _namespace_labels(self) -> NamespaceLabels:
        if self.handle is not None:
            return self.handle.namespace_labels
        return _default_namespace_labels

    # --- PreFilter ------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                   ) -> tuple[PreFilterResult | None, Status]:
        try:
            terms = affinity_terms(pod)
        except AffinityTermError as exc:
            return None, Status.error(f"parsing pod {pod.key}: {exc}")
        ns_labels = self._namespace_labels()
        index = pod_match_index(snapshot)
        slots = snapshot.order()
        existing = TopologyCounts(snapshot)
        for term, _weight, carriers in index.carriers(REQUIRED_ANTI_AFFINITY, pod.labels):
            if term.matches(pod, ns_labels):
                existing.add_per_slot(term.topology_key, carriers, slots)
        affinity, anti_affinity = TopologyCounts(snapshot), TopologyCounts(snapshot)
        if terms.required_affinity:
            per_slot = _all_terms_counts(snapshot, terms.required_affinity, ns_labels)
            for term in terms.required_affinity:
                affinity.add_per_slot(term.topology_key, per_slot, slots)
        for term in terms.required_anti_affinity:
            anti_affinity.add_per_slot(term.topology_key, _term_counts(snapshot, term, ns_labels), slots)
        if existing.is_empty() and not terms.required_affinity and not terms.required_anti_affinity:
            return None, Status.skip()
        state.write(_PRE_FILTER_KEY, _FilterState(terms, existing, affinity, anti_affinity, ns_labels))
        return None, SUCCESS

    def pre_filter_extensions(self) -> PreFilterExtensions | None:
        return self

    def _update_with_pod(self, state: CycleState, pod: PodInfo, other: PodInfo, slot: int, sign: int
                         ) -> Status:
        """``preFilterState.updateWithPod``: a preemption dry run added or removed ``other``."""
        s: _FilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None:
            return SUCCESS
        for term in affinity_terms_or_empty(other).required_anti_affinity:
            if term.matches(pod, s.namespace_labels):
                s.existing_anti_affinity.add_at(term.topology_key, slot, sign)
        if pod_matches_all_terms(s.terms.required_affinity, other, s.namespace_labels):
            for term in s.terms.required_affinity:
                s.affinity.add_at(term.topology_key, slot, sign)
        for term in s.terms.required_anti_affinity:
            if term.matches(other, s.namespace_labels):
                s.anti_affinity.add_at(term.topology_key, slot, sign)
        return SUCCESS

    def add_pod(self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, slot: int) -> Status:
        return self._update_with_pod(state, pod, pod_to_add, slot, 1)

    def remove_pod(self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, slot: int) -> Status:
        return self._update_with_pod(state, pod, pod_to_remove, slot, -1)

    # --- Filter ---------------------------------------------------------------------------

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        s: _FilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None:
            return FilterVerdicts.all_pass(len(slots))
        n = len(slots)
        # 1. satisfyPodAffinity
        affinity_ok = np.ones(n, dtype=bool)
        if s.terms.required_affinity:
            missing = np.zeros(n, dtype=bool)
            pods_exist = np.ones(n, dtype=bool)
            for term in s.terms.required_affinity:
                has, count = s.affinity.at(term.topology_key, slots)
                missing |= ~has
                pods_exist &= count > 0
            first_of_group = s.affinity.is_empty() and pod_matches_all_terms(
                s.terms.required_affinity, pod, s.namespace_labels)
            affinity_ok = ~missing & (pods_exist | first_of_group)
        # 2. satisfyPodAntiAffinity
        anti_ok = np.ones(n, dtype=bool)
        if not s.anti_affinity.is_empty():
            for term in s.terms.required_anti_affinity:
                has, count = s.anti_affinity.at(term.topology_key, slots)
                anti_ok &= ~(has & (count > 0))
        # 3. satisfyExistingPodsAntiAffinity
        existing_ok = np.ones(n, dtype=bool)
        for key in s.existing_anti_affinity.by_key:
            has, count = s.existing_anti_affinity.at(key, slots)
            existing_ok &= ~(has & (count > 0))
        index = np.where(~affinity_ok, 1, np.where(~anti_ok, 2, np.where(~existing_ok, 3, 0)))
        index = index.astype(np.int32)
        statuses = [SUCCESS, Status.unresolvable(ERR_REASON_AFFINITY),
                    Status.unschedulable(ERR_REASON_ANTI_AFFINITY),
                    Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY)]
        return FilterVerdicts(index, statuses)

    # --- PreScore / Score -----------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        if len(slots) == 0:
            return Status.skip()
        try:
            terms = affinity_terms(pod)
        except AffinityTermError as exc:
            return Status.error(f"parsing pod {pod.key}: {exc}")
        has_constraints = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
        if self.ignore_preferred_terms_of_existing_pods and not has_constraints:
            return Status.skip()
        ns_labels = self._namespace_labels()
        scores = TopologyCounts(snapshot)
        touched: set[str] = set()
        index = pod_match_index(snapshot)
        all_slots = snapshot.order()
        # processExistingPod ignores pods on nodes without any label.
        labelled_slots = all_slots[~index.unlabeled[all_slots]]
        # The incoming pod's preferred terms, over every existing pod (vectorised per term).
        weighted_counts: list[tuple[AffinityTerm, int, np.ndarray]] = []
        for w in terms.preferred_affinity:
            weighted_counts.append((w.term, w.weight, _term_counts(snapshot, w.term, ns_labels)))
        for w in terms.preferred_anti_affinity:
            weighted_counts.append((w.term, -w.weight, _term_counts(snapshot, w.term, ns_labels)))
        # Existing pods' own terms that select the incoming pod, per distinct carried term.
        carried = [(PREFERRED_AFFINITY, 1), (PREFERRED_ANTI_AFFINITY, -1)]
        if self.hard_pod_affinity_weight > 0:
            carried.insert(0, (REQUIRED_AFFINITY, self.hard_pod_affinity_weight))
        for kind, factor in carried:
            for term, weight, carriers in index.carriers(kind, pod.labels):
                if term.matches(pod, ns_labels):
                    value = factor if kind == REQUIRED_AFFINITY else factor * weight
                    weighted_counts.append((term, value, carriers))
        for term, value, per_slot in weighted_counts:
            codes = snapshot.label_codes(term.topology_key)[labelled_slots]
            if (per_slot[labelled_slots][codes >= 0] > 0).any():
                touched.add(term.topology_key)
                scores.add_per_slot(term.topology_key, per_slot, labelled_slots, value)
        if not touched:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, _ScoreState(scores, touched))
        return SUCCESS

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        s: _ScoreState = state.read(_PRE_SCORE_KEY)
        total = np.zeros(len(slots), dtype=np.int64)
        for key in s.topology_score.by_key:
            _has, value = s.topology_score.at(key, np.asarray(slots, dtype=np.int64))
            total += value
        return total

    def normalize_scores(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray,
                         scores: np.ndarray) -> np.ndarray:
        """``100 · (s − min) / (max − min)`` in float64, truncated; all 0 when max = min."""
        s: _ScoreState | None = state.get(_PRE_SCORE_KEY)
        scores = np.asarray(scores, dtype=np.int64)
        if s is None or not s.touched or scores.size == 0:
            return scores
        low, high = int(scores.min()), int(scores.max())
        diff = high - low
        if diff <= 0:
            return np.zeros(len(scores), dtype=np.int64)
        return (100.0 * ((scores - low).astype(np.float64) / float(diff))).astype(np.int64)
