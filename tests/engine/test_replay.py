"""The trace driver and the end-of-run rule."""

from __future__ import annotations

from pytest_simkube.runrecord import PodCreated
from tests.engine.builders import container, deployment, engine, finish, make_trace, node, records


def bare_pod(name: str, cpu: str = "100m") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [container(cpu)], "nodeName": "elsewhere"},
            "status": {"phase": "Running"}}


def test_events_replay_at_sub_second_offsets_and_status_is_ignored():
    trace = make_trace([(0, [bare_pod("a")], []), (90, [bare_pod("b")], [bare_pod("a")])], end=100)
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert [(r.pod, r.t) for r in records(run, "PodCreated")] == [("default/a", 0.0), ("default/b", 90.0)]
    assert [(r.pod, r.reason, r.t) for r in records(run, "PodDeleted")] == [("default/a", "trace", 90.0)]
    # the tracer's nodeName and status are not replayed: the scheduler places the pod
    assert records(run, "PodScheduled")[0].node == "n1"


def test_duration_cut_drops_events_at_or_after_the_end():
    trace = make_trace([(0, [bare_pod("a")], []), (60, [bare_pod("b")], []), (120, [bare_pod("c")], [])])
    ctx, driver = engine(trace, [node("n1")], duration=60)
    assert driver.window_end == 60
    run = finish(ctx, driver)
    assert [r.pod for r in records(run, "PodCreated")] == ["default/a"]
    assert run.header.duration == 60


def test_deleting_something_absent_is_fine():
    trace = make_trace([(0, [], [deployment("ghost", 1), bare_pod("nobody")])], end=10)
    ctx, driver = engine(trace, [node("n1")])
    assert finish(ctx, driver).records[-1].kind == "NodeReady"


def test_drain_lets_controllers_finish_the_last_event():
    trace = make_trace([(0, [deployment("web", 3)], [])], end=0)
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert len(records(run, "PodRunning")) == 3       # created 1 s after the window closed
    assert round(run.header.duration, 6) == max(r.t for r in run.records)


def test_stuck_pods_end_the_drain_after_the_quiet_period_without_extending_duration():
    trace = make_trace([(0, [bare_pod("huge", cpu="64")], [])], end=30)
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert run.header.duration == 30
    assert len([r for r in run.records if isinstance(r, PodCreated)]) == 1
    assert len(records(run, "PodUnschedulable")) >= 2  # retried during the drain
    assert ctx.sim.now <= 30 + ctx.options.quiet_seconds + 1


def test_finished_pods_replaced_after_the_window_do_not_keep_the_run_going():
    trace = make_trace([(0, [deployment("web", 2)], [])],
                       lifecycles={("apps/v1.Deployment", "default/web"): [10]}, end=100)
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert run.header.duration < 130


def test_bad_requests_in_a_traced_template_are_a_trace_error_naming_the_owner():
    import pytest

    from pytest_simkube.errors import TraceError

    bad = deployment("web", 1, cpu="lots")
    ctx, driver = engine(make_trace([(0, [bad], [])], end=10), [node("n1")])
    with pytest.raises(TraceError) as info:
        finish(ctx, driver)
    assert "ReplicaSet default/web-" in info.value.where
    assert "lots" in info.value.message


def test_sidecar_init_containers_add_to_requests():
    sidecar = {**container("500m", "64Mi", name="proxy"), "restartPolicy": "Always"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
           "spec": {"containers": [container("1", "128Mi")], "initContainers": [sidecar]}}
    ctx, driver = engine(make_trace([(0, [pod], [])], end=10), [node("n1")])
    run = finish(ctx, driver)
    created = records(run, "PodCreated")[0]
    assert (created.cpu, created.memory) == (1500, 192 * 2**20)
