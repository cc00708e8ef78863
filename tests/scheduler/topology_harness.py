"""Running PodTopologySpread or InterPodAffinity alone on a small cluster, Skip included.

Unlike ``plugin_harness`` these return the PreFilter / PreScore status, because whether the
plugin skips is part of what the tests check.
"""

from __future__ import annotations

from typing import Any

from pytest_simkube.engine.scheduler.framework import CycleState, Handle, Status
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod


def run_filter(plugin_class: type, snapshot: Snapshot, incoming: dict[str, Any],
               args: dict[str, Any] | None = None, handle: Handle | None = None
               ) -> tuple[Status, dict[str, Status]]:
    """PreFilter status, and per node name the Filter status (empty when PreFilter did not succeed)."""
    plugin = plugin_class(args or {}, handle or Handle(snapshot))
    state = CycleState()
    info = parse_pod(incoming)
    _, status = plugin.pre_filter(state, info, snapshot)
    if not status.is_success():
        return status, {}
    slots = snapshot.order()
    verdicts = plugin.filter_many(state, info, snapshot, slots)
    return status, {n: verdicts.status(i) for i, n in enumerate(snapshot.node_names(slots))}


def run_score(plugin_class: type, snapshot: Snapshot, incoming: dict[str, Any],
              args: dict[str, Any] | None = None, handle: Handle | None = None
              ) -> tuple[Status, dict[str, int], dict[str, int]]:
    """PreScore status over all nodes, then raw and normalised scores per node name."""
    plugin = plugin_class(args or {}, handle or Handle(snapshot))
    state = CycleState()
    info = parse_pod(incoming)
    slots = snapshot.order()
    status = plugin.pre_score(state, info, snapshot, slots)
    if not status.is_success():
        return status, {}, {}
    raw = plugin.score_many(state, info, snapshot, slots)
    norm = plugin.normalize_scores(state, info, snapshot, slots, raw.copy())
    names = snapshot.node_names(slots)
    return status, dict(zip(names, raw.tolist(), strict=True)), dict(zip(names, norm.tolist(), strict=True))
