"""NodeAffinity (PreFilter, Filter, PreScore, Score): nodeSelector, required and preferred node affinity.

Upstream: pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go and
k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go (term matching:
terms are ORed, requirements in a term ANDed, an empty term matches nothing, a term that fails
to parse matches nothing).  Requirements are evaluated over the snapshot's label code arrays,
so a selector costs a few NumPy comparisons for any number of nodes.

``addedAffinity`` (NodeAffinityArgs) is enforced on every pod: its required part as an extra
filter ("node(s) didn't match scheduler-enforced node affinity"), its preferred terms added to
the score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    FilterPlugin,
    FilterVerdicts,
    Handle,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    ScorePlugin,
    Status,
    default_normalize_score,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
_FILTER_STATUSES = [SUCCESS, Status.unresolvable(ERR_REASON_ENFORCED), Status.unresolvable(ERR_REASON_POD)]
_OBJECT_NAME_FIELD = "metadata.name"


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """A NodeSelectorTerm; ``valid`` False when it failed to parse (then it matches nothing)."""

    expressions: tuple[Requirement, ...]
    fields: tuple[Requirement, ...]
    valid: bool = True

    @property
    def empty(self) -> bool:
        return not self.expressions and not self.fields


def _validate(req: Requirement, is_field: bool) -> bool:
    if is_field:
        return req.key == _OBJECT_NAME_FIELD and req.operator in ("In", "NotIn") and len(req.values) == 1
    if req.operator in ("In", "NotIn"):
        return len(req.values) > 0
    if req.operator in ("Exists", "DoesNotExist"):
        return len(req.values) == 0
    if req.operator in ("Gt", "Lt"):
        if len(req.values) != 1:
            return False
        try:
            int(req.values[0])
        except ValueError:
            return False
        return True
    return False


def parse_term(raw: Mapping[str, Any] | None) -> Term:
    """Compile one NodeSelectorTerm dict."""
    raw = raw or {}
    valid = True
    parts: dict[str, list[Requirement]] = {"matchExpressions": [], "matchFields": []}
    for part in parts:
        for item in raw.get(part) or []:
            item = item or {}
            req = Requirement(str(item.get("key") or ""), str(item.get("operator") or ""),
                              tuple(str(v) for v in item.get("values") or []))
            valid = valid and _validate(req, part == "matchFields")
            parts[part].append(req)
    return Term(tuple(parts["matchExpressions"]), tuple(parts["matchFields"]), valid)


def _requirement_mask(req: Requirement, snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
    codes = snapshot.label_codes(req.key)[slots]
    vocab = snapshot.label_vocab(req.key)
    if req.operator in ("In", "NotIn"):
        wanted = [vocab[v] for v in req.values if v in vocab]
        hit = np.isin(codes, wanted) if wanted else np.zeros(len(slots), dtype=bool)
        return hit if req.operator == "In" else ~hit
    if req.operator == "Exists":
        return codes >= 0
    if req.operator == "DoesNotExist":
        return codes < 0
    bound = int(req.values[0])
    numeric = np.zeros(len(vocab) + 1, dtype=bool)  # last entry serves code -1 (missing)
    for value, code in vocab.items():
        try:
            number = int(value)
        except ValueError:
            continue
        numeric[code] = number > bound if req.operator == "Gt" else number < bound
    return numeric[codes]


def _field_mask(req: Requirement, snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
    target = snapshot.slot_of(req.values[0])
    hit = slots == (-1 if target is None else target)
    return hit if req.operator == "In" else ~hit


def term_mask(term: Term, snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
    """Nodes (aligned with ``slots``) matched by one term."""
    if not term.valid or term.empty:
        return np.zeros(len(slots), dtype=bool)
    mask = np.ones(len(slots), dtype=bool)
    for req in term.expressions:
        mask &= _requirement_mask(req, snapshot, slots)
    for req in term.fields:
        mask &= _field_mask(req, snapshot, slots)
    return mask


def terms_mask(terms: Sequence[Term], snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
    """ORed terms; no terms at all matches nothing (as ``NodeSelector`` with an empty list)."""
    mask = np.zeros(len(slots), dtype=bool)
    for term in terms:
        mask |= term_mask(term, snapshot, slots)
    return mask


@dataclass(frozen=True)
class RequiredNodeAffinity:
    """``nodeaffinity.RequiredNodeAffinity``: nodeSelector labels AND required affinity terms."""

    selector: tuple[tuple[str, str], ...]
    terms: tuple[Term, ...] | None

    def mask(self, snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
        mask = np.ones(len(slots), dtype=bool)
        for key, value in self.selector:
            code = snapshot.label_vocab(key).get(value)
            if code is None:
                return np.zeros(len(slots), dtype=bool)
            mask &= snapshot.label_codes(key)[slots] == code
        if self.terms is not None:
            mask &= terms_mask(self.terms, snapshot, slots)
        return mask


def _required_terms(node_affinity: Mapping[str, Any]) -> tuple[Term, ...] | None:
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return None
    return tuple(parse_term(t) for t in (required or {}).get("nodeSelectorTerms") or [])


def required_node_affinity(pod: PodInfo) -> RequiredNodeAffinity:
    """``GetRequiredNodeAffinity(pod)``, cached on the PodInfo (also used by PodTopologySpread)."""
    cached = pod.extra.get("RequiredNodeAffinity")
    if cached is None:
        node_affinity = pod.affinity.get("nodeAffinity") or {}
        selector = tuple(sorted(pod.node_selector.items()))
        cached = RequiredNodeAffinity(selector, _required_terms(node_affinity))
        pod.extra["RequiredNodeAffinity"] = cached
    return cached


def required_node_affinity_mask(pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
    """Which of ``slots`` satisfy the pod's nodeSelector and required node affinity."""
    return required_node_affinity(pod).mask(snapshot, slots)


@dataclass(frozen=True)
class PreferredTerms:
    """``nodeaffinity.PreferredSchedulingTerms``: weight-0 terms dropped, weights summed on match."""

    terms: tuple[tuple[int, Term], ...]

    @classmethod
    def parse(cls, raw: Sequence[Mapping[str, Any]] | None) -> PreferredTerms:
        out = []
        for item in raw or []:
            weight = int((item or {}).get("weight") or 0)
            if weight == 0:
                continue
            out.append((weight, parse_term((item or {}).get("preference"))))
        return cls(tuple(out))

    def score(self, snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
        total = np.zeros(len(slots), dtype=np.int64)
        for weight, term in self.terms:
            total += weight * term_mask(term, snapshot, slots)
        return total


class NodeAffinity(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "NodeAffinity"
    scores_in_range = True

    def __init__(self, args: Mapping[str, Any] | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        added = (self.args or {}).get("addedAffinity") or None
        self.added_required: tuple[Term, ...] | None = None
        self.added_preferred: PreferredTerms | None = None
        if added:
            self.added_required = _required_terms(added)
            preferred = added.get("preferredDuringSchedulingIgnoredDuringExecution")
            if preferred:
                self.added_preferred = PreferredTerms.parse(preferred)

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                   ) -> tuple[PreFilterResult | None, Status]:
        node_affinity = pod.affinity.get("nodeAffinity") or {}
        required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
        has_selector = "nodeSelector" in pod.spec and pod.spec.get("nodeSelector") is not None
        if required is None and self.added_required is None and not has_selector:
            return None, Status.skip()
        terms = (required or {}).get("nodeSelectorTerms") or []
        if required is None or not terms:
            return None, SUCCESS
        node_names: set[str] | None = None
        for term in terms:
            term_names: set[str] | None = None
            for req in (term or {}).get("matchFields") or []:
                if req.get("key") == _OBJECT_NAME_FIELD and req.get("operator") == "In":
                    values = {str(v) for v in req.get("values") or []}
                    term_names = values if term_names is None else term_names & values
            if term_names is None:
                return None, SUCCESS
            node_names = term_names if node_names is None else node_names | term_names
        if node_names is not None and not node_names:
            return None, Status.unresolvable(ERR_REASON_CONFLICT)
        return PreFilterResult(frozenset(node_names or ())), SUCCESS

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        return FilterVerdicts(self._index_by_slot(pod, snapshot)[slots], _FILTER_STATUSES)

    def filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> Status:
        """One node (preemption dry runs): the same verdict without arrays."""
        return _FILTER_STATUSES[int(self._index_by_slot(pod, snapshot)[slot])]

    def _index_by_slot(self, pod: PodInfo, snapshot: Snapshot) -> np.ndarray:
        """The verdict of every node, decided once per required affinity until a node changes
        (labels are node properties: ``Snapshot.node_cache``)."""
        cache = snapshot.node_cache()
        required = required_node_affinity(pod)
        key = (self, required)
        index = cache.get(key)
        if index is None:
            slots = snapshot.order()
            index = np.zeros(snapshot.capacity, dtype=np.int32)
            index[slots[~required.mask(snapshot, slots)]] = 2
            if self.added_required is not None:
                index[slots[~terms_mask(self.added_required, snapshot, slots)]] = 1
            cache[key] = index
        return index

    def _preferred(self, pod: PodInfo) -> PreferredTerms | None:
        node_affinity = pod.affinity.get("nodeAffinity") or {}
        preferred = node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
        return None if preferred is None else PreferredTerms.parse(preferred)

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        preferred = self._preferred(pod)
        if preferred is None and self.added_preferred is None:
            return Status.skip()
        state.write("PreScoreNodeAffinity", preferred)
        return SUCCESS

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        total = np.zeros(len(slots), dtype=np.int64)
        if self.added_preferred is not None:
            total += self.added_preferred.score(snapshot, slots)
        preferred = state.get("PreScoreNodeAffinity", None) or self._preferred(pod)
        if preferred is not None:
            total += preferred.score(snapshot, slots)
        return total

    def normalize_scores(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray,
                         scores: np.ndarray) -> np.ndarray:
        return default_normalize_score(scores, reverse=False)
