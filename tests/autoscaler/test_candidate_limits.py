"""Scale-down candidate limits and simulation reuse (upstream
core/scaledown/legacy/scale_down.go UpdateUnneededNodes: ScaleDownNonEmptyCandidatesCount,
ScaleDownCandidatesPoolRatio / PoolMinCount; the model's stand-in for the wall-clock
scaleDownSimulationTimeout is to skip a simulation whose inputs did not change)."""

from __future__ import annotations

from typing import Any

from pytest_simkube.config.autoscaler import parse_autoscaler_options
from pytest_simkube.engine.autoscaler import ClusterAutoscaler
from pytest_simkube.engine.cluster_api import ClusterAPI
from tests.autoscaler.builders import build, group
from tests.engine.builders import deployment, make_trace

SLOW_SCAN = {"scanInterval": "1h", "scaleDownDelayAfterAdd": "0s"}
"""The attached autoscaler's first loop is at 1 h: the test drives its own loops."""


def ten_light_nodes(events: list | None = None, **options: Any) -> tuple[Any, ClusterAutoscaler]:
    """Ten Ready 4-CPU nodes with one movable 100m pod each, and an autoscaler to drive."""
    trace = make_trace([(0, [deployment("web", 10, cpu="100m")], []), *(events or [])], end=3000)
    ctx, _driver = build(trace, [group("g", 10, 20)], **SLOW_SCAN)
    ctx.sim.run_until_quiet(5.0, drain_limit=0.0)
    assert all(len(n.pods) == 1 for n in ctx.store.nodes.values())
    autoscaler = ClusterAutoscaler(ClusterAPI(ctx), parse_autoscaler_options({**SLOW_SCAN, **options}, None))
    return ctx, autoscaler


def reasons(autoscaler: ClusterAutoscaler, reason: str) -> list[str]:
    return sorted(n for n, r in autoscaler.planner.last_reasons.items() if r == reason)


def test_without_limits_every_light_node_but_the_last_destination_is_unneeded():
    _ctx, autoscaler = ten_light_nodes(scaleDownCandidatesPoolRatio=1.0)
    autoscaler.run_once()
    assert len(autoscaler.planner.unneeded.nodes) == 9
    assert reasons(autoscaler, "NoPlaceToMovePods") == ["g-9"]  # every other node is going


def test_non_empty_candidates_count_caps_the_new_unneeded_nodes_per_loop():
    _ctx, autoscaler = ten_light_nodes(scaleDownNonEmptyCandidatesCount=3)
    autoscaler.run_once()
    assert sorted(autoscaler.planner.unneeded.nodes) == ["g-0", "g-1", "g-2"]
    assert len(reasons(autoscaler, "CandidatesPoolLimit")) == 7
    autoscaler.run_once()  # the three are re-checked; the count is used up, so no new ones
    assert sorted(autoscaler.planner.unneeded.nodes) == ["g-0", "g-1", "g-2"]


def test_candidates_pool_is_the_larger_of_ratio_times_nodes_and_the_min_count():
    _ctx, autoscaler = ten_light_nodes(scaleDownCandidatesPoolMinCount=2)  # ceil(10 * 0.1) = 1 < 2
    autoscaler.run_once()
    assert sorted(autoscaler.planner.unneeded.nodes) == ["g-0", "g-1"]
    _ctx, autoscaler = ten_light_nodes(scaleDownCandidatesPoolMinCount=1, scaleDownCandidatesPoolRatio=0.4)
    autoscaler.run_once()
    assert len(autoscaler.planner.unneeded.nodes) == 4


def test_an_unchanged_cluster_is_not_simulated_again_and_keeps_unneeded_since():
    ctx, autoscaler = ten_light_nodes([(60, [deployment("web", 11, cpu="100m")], [])],
                                      scaleDownCandidatesPoolMinCount=4)
    planner = autoscaler.planner
    states = []
    for _ in range(5):
        autoscaler.run_once()
        states.append((dict(planner.unneeded.since), dict(planner.last_reasons)))
    # Loops 1-3 open the pool four nodes at a time (4, 8, then 9 unneeded and g-9 with no
    # place to go); loop 4 skips g-9 as recently unremovable; loop 5 has loop 4's inputs.
    assert [len(since) for since, _ in states] == [4, 8, 9, 9, 9]
    assert (planner.simulations_run, planner.simulations_skipped) == (4, 1)
    assert states[4] == states[3] and states[3][1]["g-9"] == "RecentlyUnremovable"
    ctx.sim.run_until_quiet(70.0, drain_limit=0.0)  # an eleventh pod lands on some node
    autoscaler.run_once()
    assert planner.simulations_run == 5
    assert all(planner.unneeded.since[n] == t for n, t in states[3][0].items() if n in planner.unneeded.since)
