"""Go duration parsing (Go src/time/format.go ParseDuration) and Duration.String formatting."""

from __future__ import annotations

import pytest

from pytest_simkube.kube.duration import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h30m", 5400.0),
        ("45s", 45.0),
        ("500ms", 0.5),
        ("1.5h", 5400.0),
        ("0", 0.0),
        ("2h45m30.5s", 9930.5),
        (".5s", 0.5),
        ("1.s", 1.0),
        ("300us", 0.0003),
        ("300\u00b5s", 0.0003),
        ("10ns", 1e-8),
        ("30", 30.0),
        ("2.5", 2.5),
        (45, 45.0),
        (0.25, 0.25),
    ],
)
def test_go_durations_and_plain_seconds(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1d", "unknown unit 'd' in duration '1d'"),
        ("1h30", "missing unit in duration '1h30'"),
        ("ten seconds", "invalid duration 'ten seconds'"),
        ("", "invalid duration ''"),
        (".s", "invalid duration '.s'"),
        ("--1s", "invalid duration '--1s'"),
        ("-5s", "duration '-5s' is negative"),
        (True, "not True"),
        ([1], "not list"),
        (float("inf"), "not finite"),
    ],
)
def test_junk_is_rejected_with_a_clear_message(text, message):
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert message in str(info.value)


def test_negative_allowed_on_request():
    assert parse_duration("-1m30s", allow_negative=True) == -90.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(600, "10m0s"), (0.5, "500ms"), (5400, "1h30m0s"), (10, "10s"), (0, "0s"), (3600.25, "1h0m0.25s"),
     (1e-6, "1\u00b5s"), (-90, "-1m30s")],
)
def test_format_matches_go_duration_string(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text, allow_negative=True) == pytest.approx(seconds)
