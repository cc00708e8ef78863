"""Deletion goes through the ToBeDeletedByClusterAutoscaler taint (upstream
core/scaledown/actuation/actuator.go StartDeletion, node-delete-delay-after-taint)."""

from __future__ import annotations

from tests.autoscaler.builders import build, group, kinds
from tests.autoscaler.test_scale_down import QUICK, subject_deployment, subject_on_second_node
from tests.engine.builders import deployment, finish, make_trace


def test_the_node_is_tainted_at_the_decision_and_drained_after_the_taint_delay():
    record = subject_on_second_node([subject_deployment()])
    assert [(r.t, r.node) for r in kinds(record, "ScaleDown")] == [(170.0, "g-1")]
    assert [(r.t, r.node) for r in kinds(record, "NodeRemoved")] == [(175.0, "g-1")]  # 5 s default
    assert [r.t for r in kinds(record, "PodDeleted") if r.reason == "evicted"] == [175.0]


def test_without_a_taint_delay_the_node_goes_in_the_same_loop():
    record = subject_on_second_node([subject_deployment()], nodeDeleteDelayAfterTaint="0s")
    assert [(r.t, r.node) for r in kinds(record, "NodeRemoved")] == [(170.0, "g-1")]


def test_the_scheduler_sees_the_taint_and_places_new_pods_elsewhere():
    fill = deployment("fill", 4, cpu="1")
    events = [(0, [fill], []), (5, [subject_deployment()], []), (100, [deployment("fill", 3, cpu="1")], []),
              (171, [deployment("late", 1, cpu="100m")], [])]
    ctx, driver = build(make_trace(events, end=600), [group("g", 1, 5)],
                        **{**QUICK, "nodeDeleteDelayAfterTaint": "30s"})
    ctx.sim.run_until_quiet(180.0, drain_limit=0.0)
    taints = ctx.store.nodes["g-1"].manifest["spec"].get("taints") or []
    assert [(t["key"], t["effect"]) for t in taints] == [("ToBeDeletedByClusterAutoscaler", "NoSchedule")]
    record = finish(ctx, driver)
    late = [r.node for r in kinds(record, "PodScheduled") if r.pod.startswith("default/late-")]
    assert late == ["g-0"]
    assert [(r.t, r.node) for r in kinds(record, "NodeRemoved")] == [(200.0, "g-1")]
