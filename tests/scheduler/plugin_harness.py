"""Running one plugin, or the default profile, against a small cluster in tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.cycle import SchedulingCycle
from pytest_simkube.engine.scheduler.framework import CycleState, Handle, Status
from pytest_simkube.engine.scheduler.plugins import REGISTRY
from pytest_simkube.engine.scheduler.profiles import build_framework
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo, parse_pod


def snapshot_of(nodes: list[dict], pods: list[dict] = ()) -> Snapshot:  # type: ignore[assignment]
    return Snapshot.from_objects(nodes, pods)


def plugin(name: str, snapshot: Snapshot, args: dict | None = None) -> Any:
    return REGISTRY[name](args or {}, Handle(snapshot))


def filter_all(
    name: str, snapshot: Snapshot, pod: dict | PodInfo, args: dict | None = None
) -> dict[str, Status]:
    """Per node name, the plugin's Filter status (after its PreFilter, if any)."""
    p = plugin(name, snapshot, args)
    info = pod if isinstance(pod, PodInfo) else parse_pod(pod)
    state = CycleState()
    if hasattr(p, "pre_filter"):
        p.pre_filter(state, info, snapshot)
    slots = snapshot.order()
    verdicts = p.filter_many(state, info, snapshot, slots)
    return {snapshot.node(int(s)).name: verdicts.status(i) for i, s in enumerate(slots.tolist())}


def scores(
    name: str, snapshot: Snapshot, pod: dict | PodInfo, args: dict | None = None
) -> tuple[dict[str, int], dict[str, int], Status | None]:
    """(raw, normalised) per node name and the PreScore status, for one Score plugin."""
    p = plugin(name, snapshot, args)
    info = pod if isinstance(pod, PodInfo) else parse_pod(pod)
    state = CycleState()
    slots = snapshot.order()
    status = p.pre_score(state, info, snapshot, slots) if hasattr(p, "pre_score") else None
    raw = np.asarray(p.score_many(state, info, snapshot, slots))
    normalized = np.asarray(p.normalize_scores(state, info, snapshot, slots, raw))
    names = snapshot.node_names(slots.tolist())
    return (
        dict(zip(names, raw.tolist(), strict=True)),
        dict(zip(names, normalized.tolist(), strict=True)),
        status,
    )


def default_cycle(snapshot: Snapshot, seed: int = 0, percentage: int | None = None) -> SchedulingCycle:
    import random

    return SchedulingCycle(build_framework(snapshot), snapshot, random.Random(seed), percentage)
