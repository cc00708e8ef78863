"""CronJob schedules parsed and evaluated as robfig/cron (used by kube-controller-manager) does."""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_simkube.trace.synth.cron import parse_cron

MONDAY = int(dt.datetime(2025, 3, 3, tzinfo=dt.UTC).timestamp())  # 2025-03-03 was a Monday
DAY = 86_400


def runs(schedule: str, created: int, end: int) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(int(ts), dt.UTC) for ts in parse_cron(schedule).run_times(created, end)]


def test_every_minute_runs_strictly_after_creation():
    times = runs("* * * * *", MONDAY, MONDAY + 300)
    assert [t.minute for t in times] == [1, 2, 3, 4]
    assert [t.minute for t in runs("* * * * *", MONDAY + 1, MONDAY + 300)] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("schedule", "expected_hours_minutes"),
    [
        ("*/20 * * * *", [(0, 20), (0, 40), (1, 0), (1, 20), (1, 40)]),
        ("5-15/5 * * * *", [(0, 5), (0, 10), (0, 15), (1, 5), (1, 10), (1, 15)]),
        ("50/5 * * * *", [(0, 50), (0, 55), (1, 50), (1, 55)]),  # "N/step" means N-max/step
        ("0,30 1 * * *", [(1, 0), (1, 30)]),
        ("@hourly", [(1, 0)]),
    ],
)
def test_minute_and_hour_fields(schedule, expected_hours_minutes):
    assert [(t.hour, t.minute) for t in runs(schedule, MONDAY, MONDAY + 7200)] == expected_hours_minutes


def test_names_ranges_and_day_matching():
    week = MONDAY + 7 * DAY
    # Weekdays by name: Monday to Friday at 09:00.
    assert [t.weekday() for t in runs("0 9 * * MON-FRI", MONDAY, week)] == [0, 1, 2, 3, 4]
    # Both day fields restricted: either may match (the 5th, or any Sunday).
    days = [t.day for t in runs("0 0 5 * SUN", MONDAY, MONDAY + 14 * DAY)]
    assert days == [5, 9, 16]
    # A star in one day field: both must match, so only Sundays.
    assert [t.day for t in runs("0 0 * * 0", MONDAY, MONDAY + 14 * DAY)] == [9, 16]
    assert [t.month for t in runs("0 0 1 jan,APR *", MONDAY, MONDAY + 60 * DAY)] == [4]
    assert len(runs("@daily", MONDAY, week)) == 6 and len(runs("@weekly", MONDAY, week + 1)) == 1


def test_every_is_relative_to_creation():
    created = MONDAY + 17
    times = parse_cron("@every 45m").run_times(created, created + 3 * 2700)
    assert times.tolist() == [created + 2700, created + 5400]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("* * * *", "expected exactly 5 fields"),
        ("60 * * * *", "above maximum (59)"),
        ("* 24 * * *", "above maximum (23)"),
        ("* * 0 * *", "below minimum (1)"),
        ("* * * * 7", "above maximum (6)"),
        ("5-1 * * * *", "beyond end of range"),
        ("*/0 * * * *", "step of range should be a positive number"),
        ("1-2-3 * * * *", "too many hyphens"),
        ("*/2/2 * * * *", "too many slashes"),
        ("x * * * *", "failed to parse int"),
        ("@fortnightly", "unrecognized descriptor"),
        ("TZ=UTC * * * * *", "not allowed"),
    ],
)
def test_invalid_schedules(schedule, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_cron(schedule)
