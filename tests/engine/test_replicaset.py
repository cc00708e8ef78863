"""ReplicaSet scale-down order (``ActivePodsWithRanks``, pkg/controller/controller_utils.go)."""

from __future__ import annotations

from pytest_simkube.engine.controllers.replicaset import rank_for_deletion
from pytest_simkube.engine.objects import Pod
from tests.engine.builders import deployment, engine, finish, make_trace, node, records


def pod(name: str, *, node: str | None = "n1", phase: str = "Running", created: float = 0.0,
        running: float | None = 1.0, cost: int | None = None) -> Pod:
    meta = {"name": name, "namespace": "d"}
    if cost is not None:
        meta["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": str(cost)}
    p = Pod(key=f"d/{name}", manifest={"metadata": meta, "spec": {}}, created_at=created, phase=phase,
            node=node)
    p.running_at = running if phase == "Running" else None
    return p


def order(pods: list[Pod], related: list[Pod] | None = None, now: float = 1000.0) -> list[str]:
    return [p.name for p in rank_for_deletion(pods, related if related is not None else pods, now)]


def test_unassigned_then_pending_then_running():
    pods = [pod("running"), pod("pending", phase="Pending"), pod("unassigned", node=None, phase="Pending")]
    assert order(pods) == ["unassigned", "pending", "running"]


def test_lower_deletion_cost_goes_first():
    pods = [pod("expensive", cost=100), pod("cheap", cost=-5), pod("default")]
    assert order(pods) == ["cheap", "default", "expensive"]


def test_doubled_up_pods_go_before_lonely_ones():
    pods = [pod("alone", node="n1"), pod("a", node="n2"), pod("b", node="n2")]
    assert order(pods)[2] == "alone"


def test_recently_ready_goes_first_by_log2_bucket_then_name():
    # now=1000: ages 10 s and 900 s fall in different log2(ns) buckets -> the younger first.
    pods = [pod("old", running=100.0), pod("young", running=990.0)]
    assert order(pods) == ["young", "old"]
    # ages 600 s and 700 s share a bucket (both in [2^39, 2^40) ns) -> smaller name (UID) first.
    pods = [pod("zz", running=400.0), pod("aa", running=300.0)]
    assert order(pods) == ["aa", "zz"]


def test_scale_down_through_the_trace_deletes_ranked_pods():
    trace = make_trace([(0, [deployment("web", 4)], []), (120, [deployment("web", 1)], [])])
    ctx, driver = engine(trace, [node("n1", cpu="1"), node("n2", cpu="8")])
    run = finish(ctx, driver)
    deleted = [r for r in records(run, "PodDeleted")]
    assert len(deleted) == 3
    assert {r.reason for r in deleted} == {"scaled-down"}
    # Deployment sync (+0.5 s) scales the ReplicaSet, whose sync (+0.5 s) deletes the pods.
    assert all(abs(r.t - 121.0) < 1e-6 for r in deleted)
    remaining = [p for p in ctx.store.pods.values() if p.active]
    assert len(remaining) == 1
