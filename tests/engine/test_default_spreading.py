"""PodTopologySpread's system default constraints in the engine: pods a controller owns
spread across zones and hosts even when resource scores prefer one node; pods no
controller or Service selects do not (plugins/helper/spread.go ``DefaultSelector``)."""

from __future__ import annotations

from collections import Counter

from tests.engine.builders import container, deployment, engine, finish, make_trace, node, records, workload

ZONE = "topology.kubernetes.io/zone"


def cluster() -> list[dict]:
    """A big node in zone a and a small one in zone b: LeastAllocated alone prefers the big one."""
    return [node("big", cpu="64", memory="256Gi", labels={ZONE: "a"}),
            node("small", cpu="8", memory="32Gi", labels={ZONE: "b"})]


def placements(objects: list[dict]) -> Counter[str]:
    ctx, driver = engine(make_trace([(0, objects, [])], end=120), cluster())
    run = finish(ctx, driver)
    return Counter(r.node for r in records(run, "PodScheduled"))


def test_deployment_replicas_spread_across_zones_by_default():
    counts = placements([deployment("web", 6)])
    assert counts == {"big": 3, "small": 3}


def test_statefulset_replicas_spread_by_default():
    sts = workload("StatefulSet", "db", {"replicas": 4, "serviceName": "db",
                                         "selector": {"matchLabels": {"app": "db"}},
                                         "template": {"metadata": {"labels": {"app": "db"}},
                                                      "spec": {"containers": [container()]}}})
    assert placements([sts]) == {"big": 2, "small": 2}


def test_pods_no_controller_or_service_selects_are_not_spread():
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "default",
                                                              "labels": {"app": "loose"}},
             "spec": {"containers": [container()]}} for i in range(6)]
    assert placements(pods) == {"big": 6}


def test_a_service_selecting_bare_pods_spreads_them():
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "default",
                                                              "labels": {"app": "svc"}},
             "spec": {"containers": [container()]}} for i in range(6)]
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "default"},
               "spec": {"selector": {"app": "svc"}}}
    counts = placements([service, *pods])
    assert counts["small"] >= 2 and counts["big"] >= 2


def test_the_scheduler_handle_lists_and_gets_the_engines_objects():
    ctx, driver = engine(make_trace([(0, [deployment("web", 2)], [])], end=60), cluster())
    finish(ctx, driver)
    handle = next(iter(ctx.scheduler.port.inner.profiles.values())).framework.handle
    replicasets = handle.list_objects("ReplicaSet", "default")
    assert [rs["metadata"]["name"].startswith("web-") for rs in replicasets] == [True]
    name = replicasets[0]["metadata"]["name"]
    assert handle.get_object("ReplicaSet", "default", name) is replicasets[0]
    assert handle.get_object("ReplicaSet", "default", "absent") is None
    assert handle.list_objects("ReplicaSet", "other") == []
