"""The engine driving the kube-scheduler model: messages, preemption, determinism."""

from __future__ import annotations

from pytest_simkube.engine.framework_port import FrameworkScheduler
from pytest_simkube.engine.options import EngineOptions
from pytest_simkube.engine.run import build_engine, run_scenario
from pytest_simkube.metrics import compute_metrics
from pytest_simkube.runrecord import dumps
from tests.engine.builders import deployment, finish, make_trace, node, records, scenario
from tests.engine.test_cluster import bare_pod, priority_class


def test_fit_error_message_and_plugin_counts_come_from_the_framework():
    trace = make_trace([(0, [bare_pod("big", cpu="6")], [])])
    sc = scenario([node("a", cpu="4"), node("b", cpu="2")])
    record = run_scenario(sc, trace=trace)
    [first, *_] = records(record, "PodUnschedulable")
    assert first.message == "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are " \
        "available: 2 No preemption victims found for incoming pod."
    assert first.reasons == {"NodeResourcesFit": 2}


def test_preempted_pods_are_recorded_and_recreated_by_their_controller():
    low = deployment("batch", 2, cpu="1500m")
    low["spec"]["template"]["spec"]["priorityClassName"] = "low"
    high = bare_pod("urgent", cpu="2", priorityClassName="high")
    trace = make_trace([(0, [priority_class("low", -10), priority_class("high", 1000), low], []),
                        (60, [high], [])])
    sc = scenario([node("a", cpu="4")])
    ctx, driver = build_engine(sc, trace, 1, EngineOptions(),
                               FrameworkScheduler(None, 1, lambda: []))
    run = finish(ctx, driver)
    assert [r.reason for r in records(run, "PodDeleted")] == ["preempted"]
    bound = {r.pod: r.node for r in records(run, "PodScheduled")}
    assert bound["default/urgent"] == "a"
    metrics = compute_metrics(run)
    assert metrics["pods.preempted"] == 1
    assert metrics["pods.created"] == 4  # 2 batch + urgent + the replacement (pending: no room)
    assert metrics["pods.unschedulable"] == 1


def test_framework_runs_are_byte_identical_per_seed():
    objs = [deployment(f"web{i}", 5, cpu="300m") for i in range(4)]
    trace = make_trace([(0, objs, []), (100, [deployment("web0", 1, cpu="300m")], [])])
    sc = scenario([node(f"n{i}", cpu="4") for i in range(6)])
    runs = [dumps(run_scenario(sc, trace=trace, seed=s), engine_stats=False) for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
