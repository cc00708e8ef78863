"""Nodes, scheduling, priorities, disruption and the cluster API used by the autoscaler."""

from __future__ import annotations

from pytest_simkube.engine.cluster_api import ClusterAPI
from pytest_simkube.runrecord import NodeAdded, NodeReady
from tests.engine.builders import (
    container,
    deployment,
    engine,
    finish,
    group,
    make_trace,
    node,
    records,
    workload,
)


def bare_pod(name: str, cpu: str = "100m", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [container(cpu)], **spec}}


def priority_class(name: str, value: int, default: bool = False, policy: str | None = None) -> dict:
    pc = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
          "value": value, "globalDefault": default}
    if policy:
        pc["preemptionPolicy"] = policy
    return pc


def test_groups_start_at_min_and_static_nodes_are_ready_at_once():
    ctx, driver = engine(make_trace([(0, [], [])]), [node("static")], [group("g", min_size=2)])
    run = finish(ctx, driver)
    assert [r.node for r in records(run, "NodeAdded")] == ["static", "g-0", "g-1"]
    assert all(r.t == 0.0 for r in records(run, "NodeReady"))


def test_unschedulable_pod_is_recorded_and_bound_once_a_node_is_ready():
    ctx, driver = engine(make_trace([(0, [bare_pod("big", cpu="6")], [])]), [], [group("g", min_size=1)])
    api = ClusterAPI(ctx)

    def scale_up() -> None:
        pods = api.unschedulable_pods()
        assert [p.key for p, _ in pods] == ["default/big"]
        assert "Insufficient cpu" in pods[0][1].message
        api.record_scale_up("g", 1, [p.key for p, _ in pods])
        api.provision_node("g", ready_at=api.now + 45.0)

    ctx.sim.at(10.0, scale_up)
    run = finish(ctx, driver)
    assert records(run, "PodUnschedulable")[0].reasons == {"NodeResourcesFit": 1}
    assert records(run, "PodScheduled") == []  # a 4-CPU group node never fits 6 CPUs
    assert [r.node for r in run.records if isinstance(r, NodeReady)] == ["g-0", "g-1"]
    assert [r.t for r in run.records if isinstance(r, NodeAdded)] == [0.0, 10.0]


def test_pending_pod_binds_when_capacity_appears():
    ctx, driver = engine(make_trace([(0, [bare_pod("p", cpu="3")], [])]), [], [group("g", min_size=0)])
    ctx.sim.at(5.0, ctx.nodes.provision_node, "g", 50.0)
    run = finish(ctx, driver)
    # With no node at all every cycle fails with "no nodes available", which kube-scheduler
    # retries after backoff (1, 2, 4, 8, then 10 s): the last failure at 45 s keeps the pod
    # backing off until 55 s although the node is Ready at 50 s.
    failures = [r.t for r in records(run, "PodUnschedulable")]
    assert failures == [0.0, 1.0, 3.0, 7.0, 15.0, 25.0, 35.0, 45.0]
    assert (records(run, "PodScheduled")[0].t, records(run, "PodScheduled")[0].attempt) == (55.0, 9)


def test_priority_classes_resolve_at_creation_including_global_default():
    objs = [priority_class("high", 1000, policy="Never"), priority_class("base", 10, default=True),
            bare_pod("a", priorityClassName="high"), bare_pod("b"),
            bare_pod("c", priorityClassName="missing"),
            bare_pod("d", priorityClassName="system-node-critical")]
    ctx, driver = engine(make_trace([(0, objs, [])]), [node("n1")])
    run = finish(ctx, driver)
    prio = {r.pod: r.priority for r in records(run, "PodCreated")}
    assert prio == {"default/a": 1000, "default/b": 10, "default/c": 0, "default/d": 2000001000}
    assert ctx.store.pods["default/a"].manifest["spec"]["preemptionPolicy"] == "Never"


def test_drain_evicts_and_the_replicaset_recreates_elsewhere():
    ctx, driver = engine(make_trace([(0, [deployment("web", 2)], [])]), [node("a"), node("b")])
    api = ClusterAPI(ctx)
    ctx.sim.at(100.0, lambda: api.drain_and_remove_node("a", "scale-down"))
    run = finish(ctx, driver)
    evicted = [r for r in records(run, "PodDeleted") if r.reason == "evicted"]
    assert evicted
    assert all(p.node == "b" for p in ctx.store.pods.values() if p.active)
    assert len([p for p in ctx.store.pods.values() if p.active]) == 2
    assert records(run, "NodeRemoved")[0].reason == "scale-down"


def test_evicted_running_bare_pod_is_cloned():
    ctx, driver = engine(make_trace([(0, [bare_pod("solo")], [])]), [node("a"), node("b")])
    ctx.sim.at(60.0, lambda: ctx.nodes.drain_and_remove_node(ctx.store.pods["default/solo"].node, "test"))
    run = finish(ctx, driver)
    assert [r.pod for r in records(run, "PodCreated")] == ["default/solo", "default/solo-clone-1"]


def test_pdb_disruptions_allowed_follow_the_disruption_controller():
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
           "metadata": {"name": "web", "namespace": "default"},
           "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}}
    ctx, driver = engine(make_trace([(0, [deployment("web", 4), pdb], [])]), [node("a")])
    finish(ctx, driver)
    api = ClusterAPI(ctx)
    pod = next(p for p in ctx.store.pods.values() if p.active)
    [found] = api.pdbs_for(pod)
    assert api.disruptions_allowed(found) == 2  # 4 healthy - ceil(50% of 4)


def test_cluster_api_lists_groups_and_pods_on_nodes():
    objs = [deployment("web", 3), workload("Deployment", "x", {"replicas": 0, "template": {"spec": {}}})]
    ctx, driver = engine(make_trace([(0, objs, [])]), [], [group("g", min_size=1, max_size=5)])
    finish(ctx, driver)
    api = ClusterAPI(ctx)
    [g] = api.node_groups()
    assert (g.name, g.size, g.target, g.spec.max_size) == ("g", 1, 1, 5)
    assert len(api.pods_on_node("g-0")) == 3
