"""Jobs (pkg/controller/job/job_controller.go): parallelism, completions, backoffLimit."""

from __future__ import annotations

from tests.engine.builders import engine, finish, make_trace, node, records, template, workload

OWNER = ("batch/v1.Job", "default/batch")


def job(**spec) -> dict:
    return workload("Job", "batch", {"template": template("batch", restartPolicy="Never"), **spec})


def test_completions_with_parallelism_run_in_waves_of_traced_length():
    trace = make_trace([(0, [job(completions=5, parallelism=2)], [])], lifecycles={OWNER: [30]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    created = [r.t for r in records(run, "PodCreated")]
    assert len(created) == 5
    assert created[0] == created[1]            # first wave of two
    assert created[2] > created[0] + 30         # the next starts after a pod succeeded
    assert len(records(run, "PodFinished")) == 5
    status = ctx.controllers["Job"].job_status("default/batch")
    assert status.condition == "Complete" and status.succeeded == 5


def test_defaults_run_one_pod_once():
    trace = make_trace([(0, [job()], [])], lifecycles={OWNER: [10]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert len(records(run, "PodCreated")) == 1
    assert ctx.controllers["Job"].job_status("default/batch").condition == "Complete"


def test_work_queue_mode_stops_starting_pods_after_the_first_success():
    trace = make_trace([(0, [job(parallelism=3)], [])], lifecycles={OWNER: [10, 20, 30]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert len(records(run, "PodCreated")) == 3
    assert ctx.controllers["Job"].job_status("default/batch").condition == "Complete"


def test_disrupted_pods_count_as_failures_up_to_the_backoff_limit():
    trace = make_trace([(0, [job(backoffLimit=1)], [])])  # no lifecycle: pods run until deleted
    ctx, driver = engine(trace, [node("n1")])

    def evict_all() -> None:
        for pod in list(ctx.store.pods.values()):
            if pod.active:
                ctx.pods.delete(pod, "evicted")

    for t in (10.0, 40.0, 200.0):
        ctx.sim.at(t, evict_all)
    run = finish(ctx, driver)
    created = [r.t for r in records(run, "PodCreated")]
    # first pod, a replacement after 10 s backoff (failure 1), then failure 2 > backoffLimit 1.
    assert len(created) == 2
    assert created[1] >= 10.0 + 10.0
    assert ctx.controllers["Job"].job_status("default/batch").condition == "Failed"


def test_active_deadline_fails_the_job_and_deletes_its_pods():
    trace = make_trace([(0, [job(activeDeadlineSeconds=60)], [])])
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    deleted = records(run, "PodDeleted")
    assert len(deleted) == 1 and 60.0 <= deleted[0].t <= 62.0
    assert ctx.controllers["Job"].job_status("default/batch").condition == "Failed"
