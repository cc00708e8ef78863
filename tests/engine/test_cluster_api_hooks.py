"""The cluster API's hooks for the autoscaler: removing a booting node, the unschedulable
trigger, and taints / cordons the scheduler honours."""

from __future__ import annotations

from pytest_simkube.engine.cluster_api import ClusterAPI
from tests.engine.builders import container, engine, finish, group, make_trace, node, records


def bare_pod(name: str, cpu: str = "100m", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [container(cpu)], **spec}}


def test_a_node_that_never_became_ready_can_be_removed():
    trace = make_trace([(0, [], [])], end=300)
    ctx, driver = engine(trace, [], [group("g", min_size=0, max_size=0)])
    api = ClusterAPI(ctx)

    def provision_then_cancel() -> None:
        name = api.provision_node("g", ready_at=api.now + 60.0)
        assert api.drain_and_remove_node(name, "cancelled") == []

    ctx.sim.at(10.0, provision_then_cancel)
    run = finish(ctx, driver)
    assert [(r.t, r.node) for r in records(run, "NodeAdded")] == [(10.0, "g-0")]
    assert [(r.node, r.reason) for r in records(run, "NodeRemoved")] == [("g-0", "cancelled")]
    assert records(run, "NodeReady") == []  # its boot timer found it gone
    assert api.node_group("g").nodes == [] and "g-0" not in ctx.store.nodes


def test_on_unschedulable_fires_once_per_pod_when_it_turns_unschedulable():
    trace = make_trace([(0, [bare_pod("a", cpu="3"), bare_pod("b", cpu="3")], [])], end=120)
    ctx, driver = engine(trace, [node("n", cpu="4")])
    api = ClusterAPI(ctx)
    seen: list[tuple[float, str, str]] = []
    api.on_unschedulable(lambda pod, decision: seen.append((api.now, pod.key, decision.message)))
    finish(ctx, driver)
    assert len(seen) == 1  # retries of the same pod do not fire again
    _, key, message = seen[0]
    assert key in ("default/a", "default/b") and "Insufficient cpu" in message
    assert len([r for r in ctx.sim.run.records if r.kind == "PodUnschedulable"]) > 1


def test_a_listener_can_add_capacity_and_the_pod_binds():
    trace = make_trace([(0, [bare_pod("big", cpu="3")], [])], end=300)
    ctx, driver = engine(trace, [node("n", cpu="2")], [group("g", min_size=0, max_size=0)])
    api = ClusterAPI(ctx)
    api.on_unschedulable(lambda pod, decision: api.provision_node("g", ready_at=api.now + 30.0))
    run = finish(ctx, driver)
    bound = records(run, "PodScheduled")
    assert [(r.pod, r.node) for r in bound] == [("default/big", "g-0")]


def test_a_tainted_node_is_avoided_and_untainting_frees_it():
    trace = make_trace([(0, [], []), (20, [bare_pod("p")], [])], end=300)
    ctx, driver = engine(trace, [node("n")])
    api = ClusterAPI(ctx)
    taint = {"key": "ToBeDeletedByClusterAutoscaler", "value": "1", "effect": "NoSchedule"}
    ctx.sim.at(5.0, api.taint_node, "n", taint)
    ctx.sim.at(100.0, api.untaint_node, "n", "ToBeDeletedByClusterAutoscaler")
    run = finish(ctx, driver)
    failed = records(run, "PodUnschedulable")
    assert failed and failed[0].reasons == {"TaintToleration": 1}
    assert "untolerated taint" in failed[0].message
    assert [(r.pod, r.node) for r in records(run, "PodScheduled")] == [("default/p", "n")]
    assert records(run, "PodScheduled")[0].t >= 100.0
    assert ctx.store.nodes["n"].taints == []


def test_a_cordoned_node_is_avoided_until_uncordoned():
    trace = make_trace([(0, [], []), (20, [bare_pod("p")], [])], end=300)
    ctx, driver = engine(trace, [node("n")])
    api = ClusterAPI(ctx)
    ctx.sim.at(5.0, api.cordon_node, "n")
    ctx.sim.at(100.0, api.cordon_node, "n", False)
    run = finish(ctx, driver)
    failed = records(run, "PodUnschedulable")
    assert failed and failed[0].reasons == {"NodeUnschedulable": 1}
    assert records(run, "PodScheduled")[0].t >= 100.0


def test_tainting_a_booting_node_applies_once_it_is_ready():
    trace = make_trace([(0, [], []), (100, [bare_pod("p")], [])], end=300)
    ctx, driver = engine(trace, [], [group("g", min_size=0, max_size=0)])
    api = ClusterAPI(ctx)

    def provision_and_taint() -> None:
        name = api.provision_node("g", ready_at=api.now + 30.0)
        api.taint_node(name, {"key": "dedicated", "value": "x", "effect": "NoSchedule"})

    ctx.sim.at(1.0, provision_and_taint)
    run = finish(ctx, driver)
    assert records(run, "PodScheduled") == []
    assert records(run, "PodUnschedulable")[0].reasons == {"TaintToleration": 1}
