"""Scale-up on the embedded engine (upstream core/static_autoscaler.go RunOnce and
core/scaleup/orchestrator/orchestrator.go ScaleUp)."""

from __future__ import annotations

import pytest

from pytest_simkube.errors import ConfigError
from tests.autoscaler.builders import group, kinds, run
from tests.engine.builders import deployment, make_trace, workload


def two_groups(small_max: int = 1, small_price: float = 0.1, large_price: float = 1.0):
    return [group("large", 0, 3, cpu=8000, memory=32 * 2**30, price=large_price),
            group("small", 0, small_max, cpu=2000, memory=8 * 2**30, price=small_price)]


FOUR_PODS = make_trace([(0, [deployment("web", 4, cpu="1", memory="1Gi")], [])], end=300)


@pytest.mark.parametrize(("expander", "extra", "chosen", "delta"), [
    # least-waste: small (1 node, 2 pods) wastes 0 cpu + 6/8 memory = 0.75; large (1 node, 4 pods)
    # wastes 4/8 + 28/32 = 1.375 (expander/waste/waste.go).
    ("least-waste", {}, "small", 1),
    # most-pods: large schedules all 4 pods, small (max 1 node) only 2 (expander/mostpods).
    ("most-pods", {}, "large", 1),
    # priority: the highest tier matching the group id (expander/priority/priority.go).
    ("priority", {"expanderPriorities": {10: ["^large$"], 5: ["small"]}}, "large", 1),
    ("priority", {"expanderPriorities": {10: ["^small$"], 5: ["large"]}}, "small", 1),
])
def test_scale_up_goes_to_the_group_the_expander_picks(expander, extra, chosen, delta):
    record = run(FOUR_PODS, two_groups(), expander=expander, **extra)
    ups = kinds(record, "ScaleUp")
    assert (ups[0].t, ups[0].group, ups[0].delta) == (10.0, chosen, delta)
    assert len(ups[0].pods) == (2 if chosen == "small" else 4)


def test_price_expander_weighs_node_price_against_pod_price_and_node_fit():
    # A cheap large node wins despite its unfitness (8 cores vs the 1-core preferred node of an
    # empty cluster); an expensive one loses to the small group (expander/price/price.go).
    cheap = run(FOUR_PODS, two_groups(large_price=0.01), expander="price")
    dear = run(FOUR_PODS, two_groups(large_price=1.0), expander="price")
    assert kinds(cheap, "ScaleUp")[0].group == "large"
    assert kinds(dear, "ScaleUp")[0].group == "small"


def test_expander_chain_filters_then_ties_go_to_the_seeded_random_choice():
    # Two identical groups: most-pods ties, random decides; the same seed decides the same way.
    groups = [group("a", 0, 3), group("b", 0, 3)]
    trace = make_trace([(0, [deployment("web", 2, cpu="1")], [])], end=100)
    picks = {s: kinds(run(trace, groups, seed=s, expander="most-pods"), "ScaleUp")[0].group for s in range(6)}
    assert set(picks.values()) == {"a", "b"}
    assert kinds(run(trace, groups, seed=3, expander="most-pods"), "ScaleUp")[0].group == picks[3]


def test_scale_up_respects_the_group_max_size():
    trace = make_trace([(0, [deployment("web", 12, cpu="1")], [])], end=300)
    record = run(trace, [group("g", 1, 2)])
    ups = kinds(record, "ScaleUp")
    assert [(u.group, u.delta) for u in ups] == [("g", 1)]  # 3 nodes needed, max 2
    assert len(kinds(record, "NodeAdded")) == 2
    assert len(kinds(record, "PodScheduled")) == 8


def test_scale_up_respects_max_nodes_total():
    trace = make_trace([(0, [deployment("web", 20, cpu="1")], [])], end=300)
    record = run(trace, [group("g", 1, 10)], maxNodesTotal=3)
    assert [(u.group, u.delta) for u in kinds(record, "ScaleUp")] == [("g", 2)]
    assert len(kinds(record, "NodeAdded")) == 3


def test_pods_that_fit_on_upcoming_nodes_do_not_trigger_another_scale_up():
    trace = make_trace([
        (0, [deployment("fill", 4, cpu="1"), deployment("a", 2, cpu="1")], []),
        (20, [deployment("b", 2, cpu="1")], []),   # fits the rest of the node booting since t=10
        (30, [deployment("c", 1, cpu="1")], []),   # does not: a second scale-up
    ], end=400)
    record = run(trace, [group("g", 1, 5, delay=45.0)])
    ups = kinds(record, "ScaleUp")
    assert [(u.t, u.delta) for u in ups] == [(10.0, 1), (40.0, 1)]
    assert all(p.startswith("default/a-") for p in ups[0].pods)
    assert all(p.startswith("default/c-") for p in ups[1].pods)
    # Nodes are paid for from the request and Ready after provisionDelay.
    added = {r.node: r.t for r in kinds(record, "NodeAdded")}
    ready = {r.node: r.t for r in kinds(record, "NodeReady")}
    assert (added["g-1"], ready["g-1"]) == (10.0, 55.0)
    assert (added["g-2"], ready["g-2"]) == (40.0, 85.0)
    bound = kinds(record, "PodScheduled")
    assert len(bound) == 9
    assert min(b.t for b in bound if b.node == "g-2") >= 85.0


def test_new_pod_scale_up_delay_and_the_per_pod_annotation():
    trace = make_trace([(0, [deployment("web", 5, cpu="1")], [])], end=300)
    assert kinds(run(trace, [group("g", 1, 5)]), "ScaleUp")[0].t == 10.0
    assert kinds(run(trace, [group("g", 1, 5)], newPodScaleUpDelay="30s"), "ScaleUp")[0].t == 40.0
    annotated = deployment("web", 5, cpu="1")
    annotated["spec"]["template"]["metadata"]["annotations"] = {
        "cluster-autoscaler.kubernetes.io/pod-scale-up-delay": "1m"}
    delayed = run(make_trace([(0, [annotated], [])], end=300), [group("g", 1, 5)])
    assert kinds(delayed, "ScaleUp")[0].t == 70.0


def test_expendable_pods_and_pending_daemonset_pods_never_trigger_scale_up():
    low = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "low"},
           "value": -100}
    web = deployment("web", 6, cpu="1", priorityClassName="low")
    record = run(make_trace([(0, [low, web], [])], end=200), [group("g", 1, 5)])
    assert kinds(record, "ScaleUp") == []
    assert len(kinds(record, "PodScheduled")) == 4


def test_template_nodes_carry_daemonset_pods():
    ds = workload("DaemonSet", "agent", {"selector": {"matchLabels": {"app": "agent"}},
                                         "template": {"metadata": {"labels": {"app": "agent"}},
                                                      "spec": {"containers": [{"name": "a", "image": "x",
                                                               "resources": {"requests": {"cpu": "1"}}}]}}})
    web = deployment("web", 4, cpu="1")
    without = run(make_trace([(0, [web], [])], end=200), [group("g", 0, 5)])
    with_ds = run(make_trace([(0, [ds, web], [])], end=200), [group("g", 0, 5)])
    assert [u.delta for u in kinds(without, "ScaleUp")] == [1]
    assert [u.delta for u in kinds(with_ds, "ScaleUp")] == [2]  # 3 cpu left per node


def test_pods_no_group_can_host_stay_unschedulable_with_scheduler_reasons():
    trace = make_trace([(0, [deployment("huge", 1, cpu="6")], [])], end=200)
    record = run(trace, [group("g", 1, 5)])
    assert kinds(record, "ScaleUp") == []
    failure = kinds(record, "PodUnschedulable")[0]
    assert failure.message == "0/1 nodes are available: 1 Insufficient cpu. " \
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."


def test_the_grpc_expander_is_refused_by_the_embedded_engine():
    with pytest.raises(ConfigError, match="grpc"):
        run(FOUR_PODS, two_groups(), expander="grpc")


def test_scale_up_stays_within_cores_total():
    trace = make_trace([(0, [deployment("web", 20, cpu="1")], [])], end=300)
    record = run(trace, [group("g", 1, 10)], coresTotal="0:12")  # 4 cores now, room for 2 nodes
    assert [(u.group, u.delta) for u in kinds(record, "ScaleUp")] == [("g", 2)]
