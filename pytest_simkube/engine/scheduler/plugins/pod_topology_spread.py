"""PodTopologySpread (PreFilter, Filter, PreScore, Score, NormalizeScore).

Upstream (v1.30): pkg/scheduler/framework/plugins/podtopologyspread/{plugin.go, common.go,
filtering.go, scoring.go} and plugins/helper/spread.go (``DefaultSelector``).

* Hard constraints (``DoNotSchedule``) filter: on a node in domain ``d`` the pod fits when
  ``matching(d) + selfMatch - globalMin <= maxSkew``, where ``globalMin`` is the smallest
  count over the eligible domains (0 when fewer than ``minDomains`` domains exist).  A node
  without a constraint's topology label is rejected as unresolvable.
* Soft constraints (``ScheduleAnyway``) score:
  ``raw = round(Σ_c count_c · ln(size_c + 2) + (maxSkew_c − 1))``, normalised to
  ``100 · (max + min − raw) / max``; nodes missing a topology label get 0.
* A pod without constraints gets the configured defaults: the system defaults (hostname
  maxSkew 3, zone maxSkew 5, ScheduleAnyway) or ``PodTopologySpreadArgs.defaultConstraints``,
  with the selector of the Services / ReplicationController / ReplicaSet / StatefulSet that
  own the pod; no such selector, no default constraints.
* Eligible nodes honour ``nodeAffinityPolicy`` (default Honor) and ``nodeTaintsPolicy``
  (default Ignore); ``matchLabelKeys`` adds ``key=value`` of the pod's own labels.

Counting is vectorised: per constraint, matching pods per node come from the shared
:class:`PodMatchIndex` (maintained incrementally), and per-domain sums are ``bincount`` over
the snapshot's label code arrays.  The true global minimum is taken over all domains;
upstream tracks only two "critical paths", which gives the same minimum for every sequence
of updates the scheduler makes (a preemption dry run only removes pods and re-adds them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.equivalence import equivalence_class
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
from pytest_simkube.engine.scheduler.plugins.node_affinity import (
    required_node_affinity,
    required_node_affinity_mask,
)
from pytest_simkube.engine.scheduler.plugins.pod_match_index import pod_match_index, selector_hint
from pytest_simkube.engine.scheduler.plugins.taint_toleration import find_untolerated_taint
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.labels import (
    EVERYTHING,
    LabelSelectorError,
    Selector,
    label_selector_as_selector,
    selector_from_set,
)
from pytest_simkube.kube.pods import PodInfo

NAME = "PodTopologySpread"
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HONOR = "Honor"
IGNORE = "Ignore"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"

SYSTEM_DEFAULT_CONSTRAINTS: tuple[dict[str, Any], ...] = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)
"""``systemDefaultConstraints`` (podtopologyspread/plugin.go)."""

_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME

ObjectLister = Callable[[str, str], Sequence[Mapping[str, Any]]]
ObjectGetter = Callable[[str, str, str], Mapping[str, Any] | None]
"""(kind, namespace) -> objects of that kind (Service, ReplicationController, ReplicaSet, StatefulSet)."""


class SpreadConstraintError(ValueError):
    """A malformed topology spread constraint; ``where`` is the path inside the pod."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class SpreadConstraint:
    """``topologySpreadConstraint`` (common.go): a v1.TopologySpreadConstraint with its selector parsed."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE


# --------------------------------------------------------------------------- constraints

def _merge_match_label_keys(selector: Selector, match_labels: Mapping[str, str]) -> Selector:
    """``mergeLabelSetWithSelector``: ``key=value`` pairs first, then the selector's requirements.

    A nil selector has no requirements to add, so the result selects by the pairs alone.
    """
    merged = selector_from_set(match_labels)
    if selector.matches_nothing:
        return merged
    return merged.add(*selector.requirements)


def parse_constraints(raw: Any, pod_labels: Mapping[str, str], action: str,
                      where: str = "spec.topologySpreadConstraints") -> list[SpreadConstraint]:
    """``filterTopologySpreadConstraints``: the constraints whose ``whenUnsatisfiable`` is ``action``.

    Raises :class:`SpreadConstraintError` for a malformed constraint (API validation would
    have refused it).
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SpreadConstraintError(where, "must be a list of topology spread constraints")
    out: list[SpreadConstraint] = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise SpreadConstraintError(here, "a topology spread constraint must be a map")
        when = item.get("whenUnsatisfiable")
        if when not in (DO_NOT_SCHEDULE, SCHEDULE_ANYWAY):
            raise SpreadConstraintError(f"{here}.whenUnsatisfiable",
                                        f"unsupported value {when!r}: supported values: "
                                        f"\"{DO_NOT_SCHEDULE}\", \"{SCHEDULE_ANYWAY}\"")
        max_skew = item.get("maxSkew")
        if isinstance(max_skew, bool) or not isinstance(max_skew, int) or max_skew <= 0:
            raise SpreadConstraintError(f"{here}.maxSkew", f"must be greater than zero, got {max_skew!r}")
        topology_key = item.get("topologyKey")
        if not isinstance(topology_key, str) or not topology_key:
            raise SpreadConstraintError(f"{here}.topologyKey", "can not be empty")
        min_domains = item.get("minDomains")
        if min_domains is not None and (isinstance(min_domains, bool) or not isinstance(min_domains, int)
                                        or min_domains <= 0):
            raise SpreadConstraintError(f"{here}.minDomains",
                                        f"must be greater than zero, got {min_domains!r}")
        policies = {}
        for name in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            value = item.get(name)
            if value is not None and value not in (HONOR, IGNORE):
                raise SpreadConstraintError(f"{here}.{name}", f"unsupported value {value!r}: "
                                                              f"supported values: \"{HONOR}\", \"{IGNORE}\"")
            policies[name] = value
        if when != action:
            continue
        try:
            selector = label_selector_as_selector(item.get("labelSelector"))
        except LabelSelectorError as exc:
            path = ".".join(p for p in (f"{here}.labelSelector", exc.subpath) if p)
            raise SpreadConstraintError(path, exc.problem) from None
        keys = item.get("matchLabelKeys") or []
        if not isinstance(keys, list):
            raise SpreadConstraintError(f"{here}.matchLabelKeys", "must be a list of label keys")
        match_labels = {k: pod_labels[k] for k in keys if isinstance(k, str) and k in pod_labels}
        if match_labels:
            selector = _merge_match_label_keys(selector, match_labels)
        out.append(SpreadConstraint(
            max_skew=max_skew,
            topology_key=topology_key,
            selector=selector,
            min_domains=min_domains or 1,
            node_affinity_policy=policies["nodeAffinityPolicy"] or HONOR,
            node_taints_policy=policies["nodeTaintsPolicy"] or IGNORE,
        ))
    return out


def _controller_of(pod: PodInfo) -> Mapping[str, Any] | None:
    """``metav1.GetControllerOf``: the owner reference with ``controller: true``."""
    for ref in (pod.raw.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, Mapping) and ref.get("controller") is True:
            return ref
    return None


def default_selector(pod: PodInfo, list_objects: ObjectLister | None,
                     get_object: ObjectGetter | None = None) -> Selector:
    """``helper.DefaultSelector`` (plugins/helper/spread.go).

    Merges the selectors of the Services selecting the pod, then adds the selector of the
    pod's controlling ReplicationController, ReplicaSet or StatefulSet.  Without a way to
    list those objects (or none matching) the result is empty: no default spreading.
    The controller is fetched by name with ``get_object`` when given, as upstream's
    ``rsLister.ReplicaSets(ns).Get(name)`` does, instead of scanning the namespace.
    """
    if list_objects is None:
        return EVERYTHING
    label_set: dict[str, str] = {}
    for service in list_objects("Service", pod.namespace):
        raw = (service.get("spec") or {}).get("selector")
        if not raw:
            continue  # a Service without a selector selects nothing (GetPodServices)
        if selector_from_set(raw).matches(pod.labels):
            label_set.update({str(k): str(v) for k, v in raw.items()})
    selector = selector_from_set(label_set)
    owner = _controller_of(pod)
    if owner is None:
        return selector
    kind, api_version, name = owner.get("kind"), owner.get("apiVersion"), owner.get("name")
    wanted = {("v1", "ReplicationController"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")}
    if (api_version, kind) not in wanted:
        return selector
    if get_object is not None:
        target = get_object(str(kind), pod.namespace, str(name))
    else:
        target = next((o for o in list_objects(str(kind), pod.namespace)
                       if (o.get("metadata") or {}).get("name") == name), None)
    if target is None:
        return selector
    raw_selector = (target.get("spec") or {}).get("selector")
    if kind == "ReplicationController":
        label_set.update({str(k): str(v) for k, v in (raw_selector or {}).items()})
        return selector_from_set(label_set)
    try:
        other = label_selector_as_selector(raw_selector)
    except LabelSelectorError:
        return selector
    return selector if other.matches_nothing else selector.add(*other.requirements)


# --------------------------------------------------------------------------- node eligibility

def _taint_ok_mask(pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> np.ndarray:
    """Nodes without a NoSchedule/NoExecute taint the pod does not tolerate (nodeTaintsPolicy Honor)."""
    set_ids = snapshot.taint_set[slots]
    ok = np.ones(len(snapshot.taint_sets), dtype=bool)
    for set_id in np.unique(set_ids).tolist():
        ok[set_id] = find_untolerated_taint(snapshot.taint_sets[set_id], pod.tolerations) is None
    return ok[set_ids]


class _Eligibility:
    """Per-cycle node masks for ``matchNodeInclusionPolicies``, computed at most once each."""

    def __init__(self, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> None:
        self.pod, self.snapshot, self.slots = pod, snapshot, slots
        self._affinity: np.ndarray | None = None
        self._taints: np.ndarray | None = None

    def includes_all(self, constraint: SpreadConstraint) -> bool:
        """No policy of the constraint excludes any node (the pod has no required node
        affinity or the affinity policy is Ignore, and the taints policy is Ignore)."""
        if constraint.node_taints_policy == HONOR:
            return False
        if constraint.node_affinity_policy != HONOR:
            return True
        required = required_node_affinity(self.pod)
        return not required.selector and required.terms is None

    def mask(self, constraint: SpreadConstraint) -> np.ndarray:
        mask = np.ones(len(self.slots), dtype=bool)
        if constraint.node_affinity_policy == HONOR:
            if self._affinity is None:
                self._affinity = required_node_affinity_mask(self.pod, self.snapshot, self.slots)
            mask &= self._affinity
        if constraint.node_taints_policy == HONOR:
            if self._taints is None:
                self._taints = _taint_ok_mask(self.pod, self.snapshot, self.slots)
            mask &= self._taints
        return mask


def _has_all_keys(snapshot: Snapshot, slots: np.ndarray, constraints: Iterable[SpreadConstraint]
                  ) -> np.ndarray:
    """``nodeLabelsMatchSpreadConstraints`` over ``slots``."""
    mask = np.ones(len(slots), dtype=bool)
    for c in constraints:
        mask &= snapshot.label_codes(c.topology_key)[slots] >= 0
    return mask


def _matching_counts(snapshot: Snapshot, namespace: str, selector: Selector) -> np.ndarray:
    """Per slot: pods in ``namespace``, not terminating, selected (``countPodsMatchSelector``)."""
    def predicate(pod: PodInfo) -> bool:
        return (pod.namespace == namespace and not (pod.raw.get("metadata") or {}).get("deletionTimestamp")
                and selector.matches(pod.labels))
    return pod_match_index(snapshot).counts((NAME, namespace, selector), predicate, (namespace,),
                                            selector_hint(selector))


def _matching_domain_counts(snapshot: Snapshot, namespace: str, selector: Selector, topology_key: str
                            ) -> np.ndarray:
    """:func:`_matching_counts` summed per domain of ``topology_key`` over every node."""
    _matching_counts(snapshot, namespace, selector)
    return pod_match_index(snapshot).domain_counts((NAME, namespace, selector), topology_key)


# --------------------------------------------------------------------------- filter state

@dataclass
class _FilterState:
    """``preFilterState``: per constraint, matching pods per domain code and which domains exist."""

    constraints: list[SpreadConstraint]
    codes: list[np.ndarray]
    """Per constraint: the snapshot's label code array of its topology key (indexed by slot)."""
    match_num: list[np.ndarray]
    """Per constraint: matching pods per domain code (``TpValueToMatchNum``)."""
    present: list[np.ndarray]
    """Per constraint: domain codes with at least one eligible node."""
    eligible: list[np.ndarray] = field(default_factory=list)
    """Per constraint: bool per slot, node counted for this constraint."""

    def clone(self) -> _FilterState:
        return _FilterState(self.constraints, self.codes, [m.copy() for m in self.match_num],
                            self.present, self.eligible)

    def min_match(self, i: int) -> int:
        """``minMatchNum``: the smallest domain count, or 0 below ``minDomains`` (>= 1) domains."""
        present = self.present[i]
        if int(present.sum()) < self.constraints[i].min_domains:
            return 0
        return int(self.match_num[i][present].min())


# --------------------------------------------------------------------------- score state

@dataclass
class _ScoreState:
    ignored: np.ndarray
    """bool aligned with the scored slots: node misses a topology key (score 0)."""
    slots: np.ndarray
    raw: np.ndarray
    """Raw scores aligned with ``slots`` (computed in PreScore; Score reads them)."""


class PodTopologySpread(PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin):
    """The plugin; ``args`` is ``PodTopologySpreadArgs`` (``defaultConstraints``, ``defaultingType``)."""

    name = NAME

    def __init__(self, args: Mapping[str, Any] | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        defaulting = self.args.get("defaultingType") or "System"
        if defaulting == "System":
            self.default_constraints: tuple[Mapping[str, Any], ...] = SYSTEM_DEFAULT_CONSTRAINTS
            self.system_defaulted = True
        else:
            self.default_constraints = tuple(self.args.get("defaultConstraints") or ())
            self.system_defaulted = False
        self._defaults_cache: dict[tuple[int, str], tuple[Hashable, list[SpreadConstraint]]] = {}

    # --- constraints ----------------------------------------------------------------------

    def _object_lister(self) -> ObjectLister | None:
        return getattr(self.handle, "list_objects", None) if self.handle is not None else None

    def _object_getter(self) -> ObjectGetter | None:
        return getattr(self.handle, "get_object", None) if self.handle is not None else None

    def _constraints(self, pod: PodInfo, action: str) -> list[SpreadConstraint]:
        """The pod's own constraints for ``action``, or the defaults when it has none at all.

        The pod's own constraints are parsed once and cached on the PodInfo.  Defaults depend
        on this profile's args and on the Services and controllers selecting the pod: they are
        kept per pod equivalence class while the handle's ``objects_version`` stays the same,
        and rebuilt every cycle when the handle has no such version.
        """
        own = pod.spec.get("topologySpreadConstraints")
        if own:
            cache_key = f"{NAME}/{action}"
            cached = pod.extra.get(cache_key)
            if cached is None:
                cached = pod.extra[cache_key] = parse_constraints(own, pod.labels, action)
            return cached
        version_of = getattr(self.handle, "objects_version", None)
        if version_of is None:
            return self._default_constraints(pod, action)
        # Pods of one workload share their defaults while no Service or controller changes.
        key = (equivalence_class(pod), action)
        version = version_of(pod.namespace)
        hit = self._defaults_cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        constraints = self._default_constraints(pod, action)
        if len(self._defaults_cache) >= 4096:
            self._defaults_cache.clear()
        self._defaults_cache[key] = (version, constraints)
        return constraints

    def _default_constraints(self, pod: PodInfo, action: str) -> list[SpreadConstraint]:
        """The profile's default constraints with the pod's default selector (none without one)."""
        constraints = parse_constraints(list(self.default_constraints), pod.labels, action,
                                        where="PodTopologySpreadArgs.defaultConstraints")
        if not constraints:
            return []
        selector = default_selector(pod, self._object_lister(), self._object_getter())
        if selector.is_empty():
            return []
        return [SpreadConstraint(c.max_skew, c.topology_key, selector, c.min_domains,
                                 c.node_affinity_policy, c.node_taints_policy) for c in constraints]

    # --- PreFilter ------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                   ) -> tuple[PreFilterResult | None, Status]:
        try:
            constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        except SpreadConstraintError as exc:
            return None, Status.error(f"obtaining pod's hard topology spread constraints: {pod.key}: {exc}")
        if not constraints:
            return None, Status.skip()
        slots = snapshot.order()
        has_keys = _has_all_keys(snapshot, slots, constraints)
        eligibility = _Eligibility(pod, snapshot, slots)
        codes, match_num, present, eligible_by_slot = [], [], [], []
        for c in constraints:
            code_array = snapshot.label_codes(c.topology_key)
            n_domains = len(snapshot.label_vocab(c.topology_key))
            eligible = has_keys & eligibility.mask(c)
            node_codes = code_array[slots[eligible]]
            counts = _matching_counts(snapshot, pod.namespace, c.selector)[slots[eligible]]
            codes.append(code_array)
            match_num.append(np.bincount(node_codes, weights=counts, minlength=n_domains).astype(np.int64))
            present.append(np.bincount(node_codes, minlength=n_domains) > 0)
            by_slot = np.zeros(snapshot.capacity, dtype=bool)
            by_slot[slots[eligible]] = True
            eligible_by_slot.append(by_slot)
        state.write(_PRE_FILTER_KEY, _FilterState(constraints, codes, match_num, present, eligible_by_slot))
        return None, SUCCESS

    def pre_filter_extensions(self) -> PreFilterExtensions | None:
        return self

    def _update_with_pod(self, state: CycleState, pod: PodInfo, other: PodInfo, slot: int, delta: int
                         ) -> Status:
        """``updateWithPod``: a preemption dry run added or removed ``other`` on node ``slot``."""
        s: _FilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None or other.namespace != pod.namespace:
            return SUCCESS
        for i, c in enumerate(s.constraints):
            # As upstream, no terminating-pod check here (PreFilter's count has one).
            if not s.eligible[i][slot] or not c.selector.matches(other.labels):
                continue
            code = int(s.codes[i][slot])
            s.match_num[i][code] += delta
        return SUCCESS

    def add_pod(self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, slot: int) -> Status:
        return self._update_with_pod(state, pod, pod_to_add, slot, 1)

    def remove_pod(self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, slot: int) -> Status:
        return self._update_with_pod(state, pod, pod_to_remove, slot, -1)

    # --- Filter ---------------------------------------------------------------------------

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        s: _FilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None or not s.constraints:
            return FilterVerdicts.all_pass(len(slots))
        index = np.zeros(len(slots), dtype=np.int32)
        statuses = [SUCCESS, Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH),
                    Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)]
        for i, c in enumerate(s.constraints):
            undecided = index == 0
            codes = s.codes[i][slots]
            missing = codes < 0
            index[undecided & missing] = 1
            self_match = 1 if c.selector.matches(pod.labels) else 0
            per_domain = s.match_num[i]
            if per_domain.size == 0:
                matched = np.zeros(len(slots), dtype=np.int64)
            else:
                matched = np.where(missing, 0, per_domain[np.where(missing, 0, codes)])
            skew = matched + self_match - s.min_match(i)
            index[undecided & ~missing & (skew > c.max_skew)] = 2
        return FilterVerdicts(index, statuses)

    # --- PreScore / Score -----------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        if snapshot.num_nodes == 0:
            return Status.skip()
        try:
            constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        except SpreadConstraintError as exc:
            return Status.error(f"obtaining pod's soft topology spread constraints: {pod.key}: {exc}")
        if not constraints:
            return Status.skip()
        require_all = bool(pod.spec.get("topologySpreadConstraints")) or not self.system_defaulted
        slots = np.asarray(slots, dtype=np.int64)
        ignored = ~_has_all_keys(snapshot, slots, constraints) if require_all else np.zeros(len(slots), bool)
        scored = slots[~ignored]
        all_slots = snapshot.order()
        all_ok = (_has_all_keys(snapshot, all_slots, constraints) if require_all
                  else np.ones(len(all_slots), dtype=bool))
        eligibility = _Eligibility(pod, snapshot, all_slots)
        score = np.zeros(len(slots), dtype=np.float64)
        for c in constraints:
            counts_by_slot = _matching_counts(snapshot, pod.namespace, c.selector)
            codes = snapshot.label_codes(c.topology_key)
            # A missing label is the empty value "" upstream: give it its own code.
            missing_code = len(snapshot.label_vocab(c.topology_key))
            if c.topology_key == LABEL_HOSTNAME:
                size = len(scored)
                node_count = counts_by_slot[slots]  # per-node count on the node itself, no policies
            else:
                scored_codes = np.where(codes[scored] < 0, missing_code, codes[scored])
                domain_in_play = np.zeros(missing_code + 1, dtype=bool)
                domain_in_play[scored_codes] = True
                size = int(domain_in_play.sum())
                if not require_all and eligibility.includes_all(c):
                    # Every node counts: the index keeps these sums per domain.  Only the
                    # domains in play are read below, so the others need no masking.
                    per_domain = _matching_domain_counts(snapshot, pod.namespace, c.selector,
                                                         c.topology_key)
                else:
                    counted = all_slots[all_ok & eligibility.mask(c)]
                    counted_codes = np.where(codes[counted] < 0, missing_code, codes[counted])
                    keep = domain_in_play[counted_codes]
                    per_domain = np.bincount(counted_codes[keep], weights=counts_by_slot[counted][keep],
                                             minlength=missing_code + 1)
                node_codes = np.where(codes[slots] < 0, missing_code, codes[slots])
                node_count = per_domain[node_codes]
            weight = math.log(size + 2)  # topologyNormalizingWeight
            has_label = codes[slots] >= 0
            contribution = node_count.astype(np.float64) * weight + float(c.max_skew - 1)
            score = np.where(has_label, score + contribution, score)
        raw = np.floor(score + 0.5).astype(np.int64)  # math.Round on non-negative values
        raw[ignored] = 0
        state.write(_PRE_SCORE_KEY, _ScoreState(ignored, slots, raw))
        return SUCCESS

    def _score_state(self, state: CycleState, slots: np.ndarray) -> tuple[_ScoreState, np.ndarray]:
        s: _ScoreState = state.read(_PRE_SCORE_KEY)
        if len(slots) == len(s.slots) and np.array_equal(slots, s.slots):
            return s, np.arange(len(slots))
        position = {int(slot): i for i, slot in enumerate(s.slots.tolist())}
        return s, np.array([position[int(slot)] for slot in slots.tolist()], dtype=np.int64)

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        s, where = self._score_state(state, np.asarray(slots, dtype=np.int64))
        return s.raw[where].copy()

    def normalize_scores(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray,
                         scores: np.ndarray) -> np.ndarray:
        """``NormalizeScore``: ignored nodes 0; all-zero gives 100; else ``100·(max+min−s)/max``."""
        s, where = self._score_state(state, np.asarray(slots, dtype=np.int64))
        ignored = s.ignored[where]
        scores = np.asarray(scores, dtype=np.int64)
        out = np.zeros(len(scores), dtype=np.int64)
        counted = scores[~ignored]
        if counted.size == 0:
            return out
        max_score = max(int(counted.max()), 0)
        min_score = int(counted.min())
        if max_score == 0:
            out[~ignored] = 100
            return out
        out[~ignored] = 100 * (max_score + min_score - counted) // max_score
        return out
