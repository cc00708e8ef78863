"""DaemonSets (pkg/controller/daemon/daemon_controller.go): one pod per eligible node,
bound by the scheduler through a node-name affinity."""

from __future__ import annotations

from tests.engine.builders import engine, finish, group, make_trace, node, records, template, workload


def ds(**spec_extra) -> dict:
    tpl = template("agent", cpu="50m", **spec_extra)
    return workload("DaemonSet", "agent", {"selector": {"matchLabels": {"app": "agent"}}, "template": tpl})


def test_one_pod_per_node_pinned_by_node_affinity():
    ctx, driver = engine(make_trace([(0, [ds()], [])]), [node("a"), node("b"), node("c")])
    run = finish(ctx, driver)
    placed = {r.node for r in records(run, "PodScheduled")}
    assert placed == {"a", "b", "c"}
    for pod in ctx.store.pods.values():
        affinity = pod.manifest["spec"]["affinity"]["nodeAffinity"]
        terms = affinity["requiredDuringSchedulingIgnoredDuringExecution"]
        assert terms["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [pod.node]


def test_untolerated_taint_and_selector_exclude_nodes():
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    nodes = [node("plain"), node("tainted", taints=[taint]), node("other", labels={"pool": "x"})]
    ctx, driver = engine(make_trace([(0, [ds(nodeSelector={"kubernetes.io/os": "linux"})], [])]),
                         [{**n, "metadata": {**n["metadata"], "labels": {**n["metadata"]["labels"],
                                                                         "kubernetes.io/os": "linux"}}}
                          for n in nodes[:2]] + [nodes[2]])
    run = finish(ctx, driver)
    assert {r.node for r in records(run, "PodScheduled")} == {"plain"}


def test_nodes_that_join_later_get_a_pod_and_removed_nodes_lose_it():
    ctx, driver = engine(make_trace([(0, [ds()], [])]), [], [group("g", min_size=1)])
    ctx.sim.at(100.0, ctx.nodes.provision_node, "g", 145.0)
    ctx.sim.at(300.0, ctx.nodes.drain_and_remove_node, "g-0", "test")
    run = finish(ctx, driver)
    scheduled = records(run, "PodScheduled")
    assert [r.node for r in scheduled] == ["g-0", "g-1"]
    assert scheduled[1].t >= 145.0
    assert [r.reason for r in records(run, "PodDeleted")] == ["evicted"]
    assert len([p for p in ctx.store.pods.values() if p.active]) == 1
