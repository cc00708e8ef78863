"""Metrics on hand-built RunRecords: exact nearest-rank percentiles and integrals."""

from __future__ import annotations

import pytest

from pytest_simkube.expect.catalogue import metric_names
from pytest_simkube.metrics import METRIC_NAMES, compute_metrics, nearest_rank
from pytest_simkube.runrecord import (
    EngineStats,
    NodeAdded,
    NodeReady,
    NodeRemoved,
    PodCreated,
    PodDeleted,
    PodFinished,
    PodRunning,
    PodScheduled,
    PodUnschedulable,
    RunHeader,
    RunRecord,
    ScaleDown,
    ScaleUp,
)


def test_metric_names_are_exactly_the_expectation_catalogue():
    assert set(METRIC_NAMES) == set(metric_names())


def test_nearest_rank_matches_clusterloader2_rule():
    values = list(range(1, 101))  # 1..100
    assert nearest_rank(values, 50) == 50
    assert nearest_rank(values, 90) == 90
    assert nearest_rank(values, 99) == 99
    # n = 7: ceil(7 * 0.5) - 1 = 3 -> 4th value; ceil(6.93) - 1 = 6 -> last.
    seven = [10, 20, 30, 40, 50, 60, 70]
    assert nearest_rank(seven, 50) == 40
    assert nearest_rank(seven, 90) == 70
    assert nearest_rank([5.0], 99) == 5.0
    assert nearest_rank([], 50) == 0.0


def pods_record() -> RunRecord:
    run = RunRecord(RunHeader(scenario="s", seed=1, duration=100.0))
    pending = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    for i in range(len(pending)):
        run.records.append(PodCreated(0.0, f"ns/p{i}", "ReplicaSet/ns/rs"))
    for i, wait in enumerate(pending):
        run.records.append(PodScheduled(float(wait), f"ns/p{i}", "n1"))
        run.records.append(PodRunning(float(wait) + 2.0, f"ns/p{i}", "n1"))
    run.records.sort(key=lambda r: r.t)
    return run


def test_pending_and_startup_percentiles_are_nearest_rank():
    m = compute_metrics(pods_record())
    assert m["pods.created"] == 10
    assert m["pods.scheduled"] == 10
    assert m["pods.unschedulable"] == 0
    assert m["pods.pending_seconds.p50"] == 5.0
    assert m["pods.pending_seconds.p90"] == 9.0
    assert m["pods.pending_seconds.p99"] == 10.0
    assert m["pods.pending_seconds.max"] == 10.0
    assert m["pods.pending_seconds.mean"] == pytest.approx(5.5)
    assert m["pods.startup_seconds.p50"] == 7.0
    assert m["pods.startup_seconds.p99"] == 12.0


def test_unschedulable_counts_pods_never_bound_and_not_deleted():
    run = RunRecord(RunHeader(scenario="s", seed=1))
    run.records += [
        PodCreated(0.0, "a/never"), PodUnschedulable(0.0, "a/never", 1, {"NodeResourcesFit": 2}, "m"),
        PodCreated(0.0, "a/gone"), PodDeleted(5.0, "a/gone", "trace"),
        PodCreated(0.0, "a/bound"), PodScheduled(3.0, "a/bound", "n"),
    ]
    m = compute_metrics(run)
    assert m["pods.unschedulable"] == 1
    assert m["pods.scheduled"] == 1
    assert m["scheduler.attempts"] == 2


def test_node_hours_integral_mean_peak_and_dollars():
    run = RunRecord(RunHeader(scenario="s", seed=1, duration=7200.0, prices={"g": 0.5, "": 0.0}))
    run.records += [
        NodeAdded(0.0, "static", "", 4000, 8 * 2**30),
        NodeAdded(0.0, "g-0", "g", 4000, 8 * 2**30),
        NodeAdded(1800.0, "g-1", "g", 4000, 8 * 2**30),
        NodeRemoved(5400.0, "g-1", "scale-down"),
    ]
    m = compute_metrics(run)
    # static: 2h, g-0: 2h, g-1: 1h  -> 5 node-hours; g nodes: 3h * $0.5
    assert m["cost.node_hours"] == pytest.approx(5.0)
    assert m["cost.dollars"] == pytest.approx(1.5)
    assert m["nodes.peak"] == 3
    assert m["nodes.final"] == 2
    assert m["nodes.mean"] == pytest.approx(2.5)
    assert compute_metrics(run, prices={"g": 1.0})["cost.dollars"] == pytest.approx(3.0)


def test_utilisation_is_time_weighted_requests_over_allocatable():
    run = RunRecord(RunHeader(scenario="s", seed=1, duration=100.0))
    run.records += [
        NodeAdded(0.0, "n", "", 1000, 1000),
        PodCreated(0.0, "a/p", "", 0, 500, 250),
        PodScheduled(0.0, "a/p", "n"),
        PodFinished(50.0, "a/p", "Succeeded"),
    ]
    m = compute_metrics(run)
    assert m["util.cpu.mean"] == pytest.approx(0.25)
    assert m["util.memory.mean"] == pytest.approx(0.125)


def test_scale_up_latency_claims_nodes_in_order_per_group():
    run = RunRecord(RunHeader(scenario="s", seed=1, duration=500.0))
    run.records += [
        NodeAdded(0.0, "g-min", "g"), NodeReady(0.0, "g-min"),  # a group's min node is nobody's claim
        PodCreated(0.0, "a/p1"), PodUnschedulable(10.0, "a/p1", 1, {}, ""),
        PodCreated(0.0, "a/p2"), PodUnschedulable(20.0, "a/p2", 1, {}, ""),
        ScaleUp(30.0, "g", 1, ("a/p1",)),
        NodeAdded(30.0, "g-0", "g"),
        ScaleUp(40.0, "g", 1, ("a/p2",)),
        NodeAdded(40.0, "g-1", "g"),
        NodeReady(90.0, "g-0"),
        NodeReady(140.0, "g-1"),
        ScaleDown(400.0, "g-1", "underutilized"),
        NodeRemoved(400.0, "g-1", "scale-down"),
    ]
    run.records.sort(key=lambda r: r.t)
    m = compute_metrics(run)
    assert m["nodes.scale_ups"] == 2
    assert m["nodes.scale_downs"] == 1
    # latencies: 90 - 10 = 80 and 140 - 20 = 120; p90 of two values is the larger.
    assert m["nodes.scale_up_latency_seconds.p90"] == 120.0


def test_preempted_evicted_and_rescheduled():
    run = RunRecord(RunHeader(scenario="s", seed=1))
    owner = "ReplicaSet/a/rs"
    run.records += [
        PodCreated(0.0, "a/p1", owner), PodScheduled(0.0, "a/p1", "n"),
        PodCreated(0.0, "a/p2", owner), PodScheduled(0.0, "a/p2", "n"),
        PodDeleted(10.0, "a/p1", "preempted"),
        PodDeleted(11.0, "a/p2", "evicted"),
        PodCreated(12.0, "a/p3", owner), PodScheduled(13.0, "a/p3", "m"),
        PodCreated(12.0, "a/p4", owner),
        PodCreated(12.0, "a/p5", owner), PodScheduled(14.0, "a/p5", "m"),
    ]
    m = compute_metrics(run)
    assert m["pods.preempted"] == 1
    assert m["pods.evicted"] == 1
    assert m["pods.rescheduled"] == 1  # p3 replaced a disrupted pod and was bound; p4 never bound


def test_throughput_uses_engine_wall_time_only_when_known():
    run = pods_record()
    assert compute_metrics(run)["scheduler.throughput"] == 0.0
    run.stats = EngineStats(wall_seconds=2.0)
    assert compute_metrics(run)["scheduler.throughput"] == 5.0
