"""StatefulSet ordering (pkg/controller/statefulset/stateful_set_control.go)."""

from __future__ import annotations

from tests.engine.builders import engine, finish, make_trace, node, records, template, workload


def sts(replicas: int, policy: str | None = None, cpu: str = "100m") -> dict:
    spec = {"replicas": replicas, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": template("db", cpu=cpu)}
    if policy:
        spec["podManagementPolicy"] = policy
    return workload("StatefulSet", "db", spec)


def test_ordered_ready_creates_each_ordinal_after_the_previous_is_running():
    ctx, driver = engine(make_trace([(0, [sts(3)], [])]), [node("n1")])
    run = finish(ctx, driver)
    created = {r.pod: r.t for r in records(run, "PodCreated")}
    running = {r.pod: r.t for r in records(run, "PodRunning")}
    assert list(created) == ["default/db-0", "default/db-1", "default/db-2"]
    assert created["default/db-1"] > running["default/db-0"]
    assert created["default/db-2"] > running["default/db-1"]


def test_parallel_creates_all_at_once():
    ctx, driver = engine(make_trace([(0, [sts(3, "Parallel")], [])]), [node("n1")])
    run = finish(ctx, driver)
    assert len({r.t for r in records(run, "PodCreated")}) == 1


def test_scale_down_removes_highest_ordinal_first_one_at_a_time():
    ctx, driver = engine(make_trace([(0, [sts(3)], []), (100, [sts(1)], [])]), [node("n1")])
    run = finish(ctx, driver)
    deleted = records(run, "PodDeleted")
    assert [r.pod for r in deleted] == ["default/db-2", "default/db-1"]
    assert deleted[1].t > deleted[0].t


def test_rolling_update_replaces_pods_in_reverse_ordinal_order():
    ctx, driver = engine(make_trace([(0, [sts(3)], []), (100, [sts(3, cpu="200m")], [])]), [node("n1")])
    run = finish(ctx, driver)
    assert [r.pod for r in records(run, "PodDeleted")] == ["default/db-2", "default/db-1", "default/db-0"]
    assert all(p.cpu == 200 for p in ctx.store.pods.values())


def test_a_finished_pod_is_replaced():
    trace = make_trace([(0, [sts(1)], [])], lifecycles={("apps/v1.StatefulSet", "default/db"): [50, None]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert [r.pod for r in records(run, "PodFinished")] == ["default/db-0"]
    assert [r.pod for r in records(run, "PodCreated")] == ["default/db-0", "default/db-0"]
