"""One scheduling cycle for one pod under one profile (``schedule_one.go`` ``schedulePod``).

PreFilter -> Filter from the rotating start index until ``numFeasibleNodesToFind`` feasible
nodes are found -> (one feasible node: take it, no scoring) -> PreScore -> Score ->
NormalizeScore -> weights -> pick uniformly among the highest totals with a seeded RNG.

Upstream filters nodes with 16 goroutines and cancels once enough are feasible; the model
filters them sequentially in node order from ``next_start_node_index`` (in vectorised chunks),
which is the deterministic reading of the same rule: the first ``k`` feasible nodes after the
start index are the ones scored, and the index then advances by the nodes processed.

``evaluate_all_nodes=True`` filters and scores every node from index 0 without touching the
rotation: the form used by explanations and the reference score vectors.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from pytest_simkube.config.scheduler import num_feasible_nodes_to_find as _num_feasible_nodes_to_find
from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    Framework,
    PostFilterResult,
    Status,
)
from pytest_simkube.engine.scheduler.node_statuses import NodeStatusMap, reason_summary
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo

NO_NODE_AVAILABLE_MSG = "0/{} nodes are available"


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int | None) -> int:
    """``numFeasibleNodesToFind``: all nodes below 100, else an adaptive or configured share.

    ``percentage`` None or 0 means adaptive; the rule itself lives with the configuration
    (``config.scheduler.num_feasible_nodes_to_find``), which owns percentageOfNodesToScore.
    """
    return _num_feasible_nodes_to_find(num_all_nodes, percentage or 0)


def fit_error_message(num_all_nodes: int, node_statuses: Mapping[str, Status] | Iterable[Status],
                      pre_filter_message: str = "", post_filter_message: str = "") -> str:
    """``FitError.Error()`` (pkg/scheduler/framework/types.go, v1.30), word for word.

    ``0/N nodes are available:``, then `` <PreFilter message>.`` when PreFilter rejected the
    pod, or else `` <reasons counted over nodes, sorted as strings, comma separated>.`` (left
    out when there are none), then `` <PostFilter message>`` as it is: preemption's message
    already ends with its own ``.``.  The same text serves the scheduling cycle and the
    preemption's own FitError (``Evaluator.Preempt``, no PreFilter/PostFilter part there).
    """
    text = NO_NODE_AVAILABLE_MSG.format(num_all_nodes) + ":"
    if pre_filter_message:
        text += f" {pre_filter_message}."
    else:
        if isinstance(node_statuses, NodeStatusMap):
            summary = node_statuses.reason_summary()
        else:
            statuses = node_statuses.values() if isinstance(node_statuses, Mapping) else node_statuses
            summary = reason_summary((status, 1) for status in statuses)
        if summary:
            text += f" {summary}."
    if post_filter_message:
        text += f" {post_filter_message}"
    return text


@dataclass
class CycleResult:
    """Everything one cycle decided, for the caller (bind or park) and for explanations."""

    pod: PodInfo
    num_all_nodes: int
    num_feasible_to_find: int
    node_statuses: NodeStatusMap
    pre_filter_status: Status = SUCCESS
    feasible: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pre_score_status: Status = SUCCESS
    scores: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    totals: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    max_slots: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    selected: str | None = None
    single_feasible_node_scoring_skipped: bool = False
    evaluated_nodes: int = 0
    fit_error: str | None = None
    post_filter_result: PostFilterResult | None = None
    post_filter_status: Status | None = None
    state: CycleState = field(default_factory=CycleState)

    @property
    def scheduled(self) -> bool:
        return self.selected is not None


class SchedulingCycle:
    """Runs cycles for one profile over one live snapshot; owns the rotating start index."""

    def __init__(self, framework: Framework, snapshot: Snapshot, rng: random.Random | None = None,
                 percentage_of_nodes_to_score: int | None = None) -> None:
        self.framework = framework
        self.snapshot = snapshot
        self.rng = rng or random.Random(0)
        self.percentage_of_nodes_to_score = (percentage_of_nodes_to_score
                                             if percentage_of_nodes_to_score is not None
                                             else framework.percentage_of_nodes_to_score)
        self.next_start_node_index = 0

    # --- filtering --------------------------------------------------------------------------

    def _candidate_order(self, result: CycleResult, narrowed: frozenset[str] | None) -> np.ndarray:
        order = self.snapshot.order()
        if narrowed is None:
            return order
        wanted = {self.snapshot.slot_of(n) for n in narrowed} - {None}
        return order[np.isin(order, list(wanted))] if wanted else order[:0]

    def _filter_sequential(self, state: CycleState, pod: PodInfo, nodes: np.ndarray, k: int,
                           result: CycleResult) -> np.ndarray:
        """Filter ``nodes`` from the start index until ``k`` pass; record rejections."""
        n = len(nodes)
        start = self.next_start_node_index % n if n else 0
        rotated = np.concatenate([nodes[start:], nodes[:start]]) if start else nodes
        # Most clusters have mostly feasible nodes: a chunk a little over k usually finishes;
        # when it does not, most nodes reject this pod and the rest go in one more chunk.
        chunk = max(k + k // 8, 128)
        feasible_parts: list[np.ndarray] = []
        found = 0
        processed = 0
        pos = 0
        while pos < n and found < k:
            slots = rotated[pos:pos + chunk]
            passed, verdicts = self.framework.run_filter_plugins(state, pod, self.snapshot, slots)
            passing = np.flatnonzero(passed)
            need = k - found
            if len(passing) >= need:
                cut = int(passing[need - 1]) + 1
            else:
                cut = len(slots)
            took = passing[passing < cut]
            if len(took) < cut:
                failed = np.flatnonzero(~passed[:cut])
                result.node_statuses.add_rejections(slots[failed], verdicts.index[failed], verdicts.statuses)
            feasible_parts.append(slots[took])
            found += len(took)
            processed += cut
            pos += cut
            chunk = n
        result.evaluated_nodes = processed
        if n:
            self.next_start_node_index = (self.next_start_node_index + processed) % n
        return np.concatenate(feasible_parts) if feasible_parts else nodes[:0]

    # --- the cycle ----------------------------------------------------------------------------

    def schedule(self, pod: PodInfo, evaluate_all_nodes: bool = False, run_post_filter: bool = False,
                 state: CycleState | None = None) -> CycleResult:
        """Decide where ``pod`` goes (``selected``) or why it cannot (``fit_error``)."""
        fwk = self.framework
        snapshot = self.snapshot
        state = state or CycleState()
        num_all = snapshot.num_nodes
        result = CycleResult(pod=pod, num_all_nodes=num_all,
                             num_feasible_to_find=num_feasible_nodes_to_find(
                                 num_all, self.percentage_of_nodes_to_score),
                             node_statuses=NodeStatusMap(snapshot), state=state)
        if num_all == 0:
            result.fit_error = "no nodes available to schedule pods"
            return result
        pre_result, status = fwk.run_pre_filter_plugins(state, pod, snapshot)
        result.pre_filter_status = status
        if not status.is_success():
            if status.code.value == "Error":
                result.fit_error = status.message()
                return result
            order = snapshot.order()
            result.node_statuses.add_rejections(order, np.ones(len(order), dtype=np.int32), [SUCCESS, status])
            result.fit_error = fit_error_message(num_all, result.node_statuses, status.message())
            return self._post_filter(result, run_post_filter)
        nodes = self._candidate_order(result, pre_result.node_names if pre_result else None)
        if evaluate_all_nodes:
            passed, verdicts = fwk.run_filter_plugins(state, pod, snapshot, nodes)
            rejected = np.flatnonzero(~passed)
            result.node_statuses.add_rejections(nodes[rejected], verdicts.index[rejected], verdicts.statuses)
            result.feasible = nodes[passed]
            result.evaluated_nodes = len(nodes)
        else:
            k = num_feasible_nodes_to_find(len(nodes), self.percentage_of_nodes_to_score)
            result.feasible = self._filter_sequential(state, pod, nodes, k, result)
        feasible = result.feasible
        if len(feasible) == 0:
            result.fit_error = fit_error_message(num_all, result.node_statuses)
            return self._post_filter(result, run_post_filter)
        if len(feasible) == 1:
            result.single_feasible_node_scoring_skipped = True
            if not evaluate_all_nodes:
                result.selected = snapshot.node(int(feasible[0])).name
                result.max_slots = feasible
                return result
        result.pre_score_status = fwk.run_pre_score_plugins(state, pod, snapshot, feasible)
        if not result.pre_score_status.is_success():
            result.fit_error = result.pre_score_status.message()
            return result
        result.scores = fwk.run_score_plugins(state, pod, snapshot, feasible)
        if fwk.plugins("score"):
            result.totals = fwk.weighted_total(result.scores, len(feasible))
        else:
            result.totals = np.ones(len(feasible), dtype=np.int64)
        best = result.totals.max()
        result.max_slots = feasible[result.totals == best]
        result.selected = snapshot.node(self._select(result.max_slots)).name
        return result

    def _select(self, max_slots: np.ndarray) -> int:
        """``selectHost``: uniform among the top scorers.

        Upstream does reservoir sampling over the tie set (keep the i-th tie with probability
        1/i), which selects each tied node with probability 1/ties; one seeded draw gives the
        same distribution.
        """
        if len(max_slots) == 1:
            return int(max_slots[0])
        return int(max_slots[self.rng.randrange(len(max_slots))])

    def _post_filter(self, result: CycleResult, run_post_filter: bool) -> CycleResult:
        if run_post_filter and self.framework.plugins("postFilter"):
            post, status = self.framework.run_post_filter_plugins(result.state, result.pod, self.snapshot,
                                                                  result.node_statuses)
            result.post_filter_result = post
            result.post_filter_status = status
            # schedulingCycle: fitError.Diagnosis.PostFilterMsg = status.Message()
            pre = result.pre_filter_status
            result.fit_error = fit_error_message(result.num_all_nodes, result.node_statuses,
                                                 "" if pre.is_success() else pre.message(), status.message())
        return result
