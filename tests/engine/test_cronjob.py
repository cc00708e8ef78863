"""CronJobs (pkg/controller/cronjob/cronjob_controllerv2.go, utils.go) and robfig/cron parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_simkube.engine.controllers.cron import CronError, parse_schedule
from tests.engine.builders import T0, engine, finish, make_trace, node, records, template, workload

UTC = dt.UTC


def ts(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        ("*/15 * * * *", "2025-01-01T00:07:00", "2025-01-01T00:15:00"),
        ("0 9 * * MON-FRI", "2025-01-03T10:00:00", "2025-01-06T09:00:00"),  # Friday -> Monday
        ("@hourly", "2025-01-01T00:00:00", "2025-01-01T01:00:00"),
        ("30 2 1 * *", "2025-01-15T00:00:00", "2025-02-01T02:30:00"),
        ("0 0 13 * 5", "2025-01-01T00:00:00", "2025-01-03T00:00:00"),  # both restricted: 13th OR Friday
        ("0 0 * FEB SUN", "2025-01-01T00:00:00", "2025-02-02T00:00:00"),
        ("0 12 * * 7", "2025-01-01T00:00:00", "2025-01-05T12:00:00"),  # 7 is Sunday
    ],
)
def test_next_activation(spec, after, expected):
    assert parse_schedule(spec).next_after(ts(after)) == ts(expected)


def test_every_and_time_zone():
    assert parse_schedule("@every 90s").next_after(1000.5) == 1090.0
    sched = parse_schedule("0 9 * * *", "Europe/Berlin")
    assert sched.next_after(ts("2025-01-01T00:00:00")) == ts("2025-01-01T08:00:00")


@pytest.mark.parametrize("spec", ["* * * *", "61 * * * *", "*/0 * * * *", "x * * * *", "@every soon"])
def test_invalid_schedules(spec):
    with pytest.raises(CronError):
        parse_schedule(spec)


def cronjob(schedule: str = "* * * * *", **spec) -> dict:
    job_template = {"spec": {"template": template("tick", restartPolicy="Never")}}
    return workload("CronJob", "tick", {"schedule": schedule, "jobTemplate": job_template, **spec})


OWNER = ("batch/v1.CronJob", "default/tick")
MINUTE_ALIGNED = (T0 // 60 + 1) * 60 - T0  # seconds from trace start to the next whole minute


def test_allow_starts_a_job_every_minute_named_by_schedule_minute():
    trace = make_trace([(0, [cronjob()], []), (300, [], [])], end=300, lifecycles={OWNER: [20]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    created = records(run, "PodCreated")
    assert len(created) == 5
    assert created[0].t == pytest.approx(MINUTE_ALIGNED + 1.0)  # two controller hops of 0.5 s
    minutes = sorted({r.pod.split("-")[1] for r in created})
    assert minutes == [str((T0 + MINUTE_ALIGNED) // 60 + i) for i in range(5)]


def test_forbid_skips_while_a_job_runs_and_replace_deletes_it():
    trace = make_trace([(0, [cronjob(concurrencyPolicy="Forbid")], []), (300, [], [])], end=300,
                       lifecycles={OWNER: [150]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    # 150 s runs, one per minute wanted: only every third minute can start (late by Forbid).
    assert len(records(run, "PodCreated")) == 2

    trace = make_trace([(0, [cronjob(concurrencyPolicy="Replace")], []), (300, [], [])], end=300)
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert len(records(run, "PodCreated")) == 5
    assert [r.reason for r in records(run, "PodDeleted")] == ["scaled-down"] * 4


def test_history_limits_delete_old_finished_jobs_and_suspend_stops_new_ones():
    trace = make_trace([(0, [cronjob(successfulJobsHistoryLimit=2)], []), (600, [], [])],
                       lifecycles={OWNER: [5]})
    ctx, driver = engine(trace, [node("n1")])
    finish(ctx, driver)
    assert len(ctx.store.objects["Job"]) == 2

    trace = make_trace([(0, [cronjob()], []), (150, [cronjob(suspend=True)], []), (600, [], [])],
                       lifecycles={OWNER: [5]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert all(r.t < 150 for r in records(run, "PodCreated"))


def test_starting_deadline_skips_a_late_start():
    trace = make_trace([(0, [cronjob(concurrencyPolicy="Forbid", startingDeadlineSeconds=10)], []),
                        (300, [], [])], end=300, lifecycles={OWNER: [90]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    # Each run (~93 s) blocks the next minute; when it ends the missed minute is ~35 s late,
    # beyond the 10 s deadline, so it is skipped: runs start at minutes 0, 2 and 4 only.
    created = [r.t for r in records(run, "PodCreated")]
    assert created == [pytest.approx(MINUTE_ALIGNED + 1.0 + 120 * i) for i in range(3)]
