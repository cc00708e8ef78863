"""Explanations: why a pod is pending, or why it landed where it did.

An explanation runs the cycle with ``evaluate_all_nodes=True`` (every node filtered, every
feasible node scored) and reports it in the field names of the reference score vectors:
per node the filter verdict (code, plugin, reasons) or the per-plugin raw / normalised /
weighted scores and total; the tie set ``maxNodes``; ``fitError`` word for word as
kube-scheduler writes it.  ``numFeasibleNodesToFind`` tells how many feasible nodes the real
scheduler would have stopped at, and ``singleFeasibleNodeScoringSkipped`` that it would not
have scored at all.
"""

from __future__ import annotations

import random
from typing import Any

from pytest_simkube.engine.scheduler.cycle import CycleResult, SchedulingCycle
from pytest_simkube.engine.scheduler.framework import EXTENSION_POINTS, Framework, Status
from pytest_simkube.engine.scheduler.plugins.volume_plugins import DRA_NOT_MODELLED, NOT_MODELLED_KEY
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo


def status_dict(status: Status, with_plugin: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"code": status.code.value}
    if with_plugin and status.plugin:
        out["plugin"] = status.plugin
    if status.reasons:
        out["reasons"] = list(status.reasons)
    return out


def plugins_summary(framework: Framework) -> dict[str, list[dict[str, Any]]]:
    summary: dict[str, list[dict[str, Any]]] = {}
    for point in EXTENSION_POINTS:
        names = framework.plugin_names(point)
        if not names:
            continue
        if point == "score":
            summary[point] = [{"name": n, "weight": framework.score_weights[n]} for n in names]
        else:
            summary[point] = [{"name": n} for n in names]
    return summary


def explain_result(result: CycleResult, framework: Framework, snapshot: Snapshot) -> dict[str, Any]:
    """The vector-shaped explanation of a cycle run with ``evaluate_all_nodes=True``."""
    state = result.state
    out: dict[str, Any] = {
        "pod": result.pod.key,
        "profile": framework.profile_name,
        "plugins": plugins_summary(framework),
        "numAllNodes": result.num_all_nodes,
        "percentageOfNodesToScore": framework.percentage_of_nodes_to_score or 0,
        "numFeasibleNodesToFind": result.num_feasible_to_find,
        "preFilter": status_dict(result.pre_filter_status),
        "skippedFilterPlugins": sorted(state.skip_filter_plugins),
    }
    feasible = result.feasible.tolist()
    position = {slot: i for i, slot in enumerate(feasible)}
    if feasible:
        out["preScore"] = status_dict(result.pre_score_status)
        out["skippedScorePlugins"] = sorted(state.skip_score_plugins)
    nodes: list[dict[str, Any]] = []
    for slot in snapshot.order().tolist():
        name = snapshot.node(slot).name
        entry: dict[str, Any] = {"name": name, "feasible": slot in position}
        if slot in position:
            i = position[slot]
            scores = {}
            for plugin in sorted(result.scores):
                raw, normalized = result.scores[plugin]
                weight = framework.score_weights.get(plugin, 1)
                scores[plugin] = {"raw": int(raw[i]), "normalized": int(normalized[i]), "weight": weight,
                                  "weighted": weight * int(normalized[i])}
            entry["scores"] = scores
            entry["total"] = int(result.totals[i]) if len(result.totals) else 0
        else:
            status = result.node_statuses.get(name)
            if status is not None:
                entry["filter"] = status_dict(status)
        nodes.append(entry)
    out["nodes"] = nodes
    out["feasibleNodes"] = snapshot.node_names(feasible)
    out["maxTotal"] = int(result.totals.max()) if len(result.totals) else None
    out["maxNodes"] = snapshot.node_names(result.max_slots.tolist())
    out["singleFeasibleNodeScoringSkipped"] = result.single_feasible_node_scoring_skipped
    if result.fit_error:
        out["fitError"] = result.fit_error
    notes = dict(state.get(NOT_MODELLED_KEY) or {})
    if result.pod.resource_claims:
        notes["DynamicResources"] = DRA_NOT_MODELLED
    if notes:
        out["notModelled"] = notes
    return out


def explain(pod: PodInfo, framework: Framework, snapshot: Snapshot, seed: int = 0) -> dict[str, Any]:
    """Evaluate every node for ``pod`` and return the vector-shaped explanation.

    ``selected`` is the node a seeded pick among ``maxNodes`` gives (None when nothing fits).
    """
    cycle = SchedulingCycle(framework, snapshot, random.Random(seed))
    result = cycle.schedule(pod, evaluate_all_nodes=True)
    out = explain_result(result, framework, snapshot)
    out["selected"] = result.selected
    return out
