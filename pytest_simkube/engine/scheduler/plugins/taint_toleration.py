"""TaintToleration (Filter, PreScore, Score): NoSchedule/NoExecute taints block; PreferNoSchedule scores.

Upstream: pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go.  Work is done
once per *distinct* taint set of the snapshot and mapped to nodes by array indexing, so
thousands of nodes with a handful of taint combinations cost a handful of Python checks.
"""

from __future__ import annotations

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    FilterPlugin,
    FilterVerdicts,
    PreScorePlugin,
    ScorePlugin,
    Status,
    default_normalize_score,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo, Taint, Toleration


def find_untolerated_taint(taints: tuple[Taint, ...], tolerations: tuple[Toleration, ...]) -> Taint | None:
    """``FindMatchingUntoleratedTaint`` with ``DoNotScheduleTaintsFilterFunc``: first blocking taint."""
    for taint in taints:
        if taint.effect not in ("NoSchedule", "NoExecute"):
            continue
        if not any(t.tolerates(taint) for t in tolerations):
            return taint
    return None


def count_intolerable_prefer_no_schedule(taints: tuple[Taint, ...], tolerations: tuple[Toleration, ...]
                                         ) -> int:
    """``countIntolerableTaintsPreferNoSchedule`` given the PreferNoSchedule-or-empty tolerations."""
    return sum(1 for taint in taints
               if taint.effect == "PreferNoSchedule" and not any(t.tolerates(taint) for t in tolerations))


class TaintToleration(FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "TaintToleration"
    scores_in_range = True

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        per_set, statuses = self._verdict_per_taint_set(pod, snapshot)
        if per_set is None:
            return FilterVerdicts.all_pass(len(slots))
        return FilterVerdicts(per_set[snapshot.taint_set[slots]], statuses)

    def filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> Status:
        """One node (preemption dry runs): the same verdict without arrays."""
        per_set, statuses = self._verdict_per_taint_set(pod, snapshot)
        if per_set is None:
            return SUCCESS
        return statuses[int(per_set[snapshot.taint_set[slot]])]

    @staticmethod
    def _verdict_per_taint_set(pod: PodInfo, snapshot: Snapshot) -> tuple[np.ndarray | None, list[Status]]:
        """Status index per distinct taint set for these tolerations (None: every set passes).

        Decided once per distinct tolerations until a node changes (``Snapshot.node_cache``).
        """
        cache = snapshot.node_cache()
        key = ("TaintToleration", pod.tolerations)
        cached = cache.get(key)
        if cached is not None:
            return cached
        statuses = [SUCCESS]
        per_set = np.zeros(len(snapshot.taint_sets), dtype=np.int32)
        for set_id, taints in enumerate(snapshot.taint_sets):
            taint = find_untolerated_taint(taints, pod.tolerations)
            if taint is not None:
                per_set[set_id] = len(statuses)
                statuses.append(Status.unresolvable(f"node(s) had untolerated taint {taint.display()}"))
        cached = cache[key] = (per_set if len(statuses) > 1 else None, statuses)
        return cached

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        prefer = tuple(t for t in pod.tolerations if t.effect in ("", "PreferNoSchedule"))
        state.write("PreScoreTaintToleration", prefer)
        return SUCCESS

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        prefer = state.get("PreScoreTaintToleration")
        if prefer is None:
            prefer = tuple(t for t in pod.tolerations if t.effect in ("", "PreferNoSchedule"))
        set_ids = snapshot.taint_set[slots]
        if not set_ids.any():
            return np.zeros(len(slots), dtype=np.int64)
        per_set = np.zeros(len(snapshot.taint_sets), dtype=np.int64)
        for set_id in np.unique(set_ids).tolist():
            per_set[set_id] = count_intolerable_prefer_no_schedule(snapshot.taint_sets[set_id], prefer)
        return per_set[set_ids]

    def normalize_scores(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray,
                         scores: np.ndarray) -> np.ndarray:
        return default_normalize_score(scores, reverse=True)
