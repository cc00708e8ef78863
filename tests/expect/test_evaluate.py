"""Evaluating expectations: verdicts, baseline comparison, missing data, messages and table rows."""

from __future__ import annotations

import pytest

from pytest_simkube.expect import evaluate, overall_status, parse_expectation, render_table

METRICS = {
    "pods.unschedulable": 0,
    "pods.pending_seconds.p99": 45.2,
    "nodes.peak": 38,
    "cost.node_hours": 110.0,
    "cost.dollars": 50.0,
    "pods.startup_seconds.p90": 3.0,
    "util.cpu.mean": 0.61,
}
BASELINE = {"cost.node_hours": 100.0, "cost.dollars": 48.0, "pods.startup_seconds.p90": 6.0,
            "nodes.peak": 38}


def judge(text, metrics=METRICS, baseline=BASELINE):
    (result,) = evaluate([parse_expectation(text, "s.yaml", 9, "expect[0]")], metrics, baseline)
    return result


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("pods.unschedulable == 0", "passed"),
        ("pods.unschedulable != 0", "failed"),
        ("pods.pending_seconds.p99 <= 30s", "failed"),
        ("pods.pending_seconds.p99 <= 45.2", "passed"),
        ("pods.pending_seconds.p99 < 45.2", "failed"),
        ("nodes.peak <= 40", "passed"),
        ("nodes.peak > 38", "failed"),
        ("nodes.peak >= 38", "passed"),
        ("nodes.peak == baseline", "passed"),
        ("util.cpu.mean >= 55%", "passed"),
        ("util.cpu.mean >= 62%", "failed"),
        ("cost.node_hours <= baseline * 1.05", "failed"),
        ("cost.node_hours <= baseline * 1.1", "passed"),
        ("cost.dollars <= baseline + 5%", "passed"),
        ("pods.startup_seconds.p90 < baseline - 2s", "passed"),
        ("pods.startup_seconds.p90 < baseline - 3s", "failed"),
    ],
)
def test_verdicts(text, status):
    result = judge(text)
    assert result.status == status
    assert result.passed is (status == "passed")


def test_float_equality_tolerates_rounding_but_not_real_differences():
    assert judge("cost.node_hours <= baseline * 1.1", {"cost.node_hours": 110.00000000000001}).passed
    assert judge("util.cpu.mean == 61%", {"util.cpu.mean": 0.61}).passed
    assert not judge("util.cpu.mean == 61%", {"util.cpu.mean": 0.6101}).passed


def test_failure_reports_metric_actual_bound_baseline_and_delta():
    result = judge("cost.node_hours <= baseline * 1.05")
    assert (result.actual, result.bound, result.baseline, result.delta) == (110.0, 105.0, 100.0, 10.0)
    assert result.delta_ratio == pytest.approx(0.10)
    assert result.message == ("cost.node_hours = 110 node-h, expected <= 105 node-h (baseline * 1.05); "
                              "baseline 100 node-h, delta +10 node-h (+10.0%)")
    assert result.as_row() == ("FAILED", "cost.node_hours <= baseline * 1.05", "110 node-h", "105 node-h",
                               "100 node-h", "+10 node-h (+10.0%)")
    data = result.to_dict()
    assert (data["source"], data["line"], data["status"], data["passed"]) == ("s.yaml", 9, "failed", False)


def test_absolute_failure_message_with_units():
    result = judge("pods.pending_seconds.p99 <= 30s")
    assert result.message == "pods.pending_seconds.p99 = 45.2s, expected <= 30s"
    assert result.delta is None and result.baseline is None


def test_relative_expectation_without_baseline_is_skipped_not_passed():
    result = judge("cost.node_hours <= baseline * 1.05", baseline=None)
    assert result.status == "skipped"
    assert not result.passed
    assert "needs a baseline run" in result.message
    assert result.bound is None


def test_absolute_expectation_reports_delta_when_a_baseline_exists():
    result = judge("cost.dollars <= 60")
    assert result.passed
    assert result.delta == pytest.approx(2.0)
    assert result.as_row()[-1] == "+$2.00 (+4.2%)"


def test_missing_or_empty_metrics_are_errors():
    missing = judge("pods.evicted == 0")
    assert missing.status == "error"
    assert missing.message == "pods.evicted was not computed by this run"
    empty = judge("pods.pending_seconds.p99 <= 30s", {"pods.pending_seconds.p99": float("nan")})
    assert empty.status == "error" and "no samples" in empty.message
    no_base = judge("pods.unschedulable <= baseline", baseline={"nodes.peak": 3})
    assert no_base.status == "error"
    assert "was not computed by the baseline run" in no_base.message


def test_table_and_overall_status():
    texts = ["pods.unschedulable == 0", "pods.pending_seconds.p99 <= 30s", "util.cpu.mean >= 55%"]
    results = evaluate([parse_expectation(t) for t in texts], METRICS, None)
    table = render_table(results).splitlines()
    assert table[0].split() == ["status", "expectation", "actual", "bound", "baseline", "delta"]
    assert table[2].split()[:2] == ["FAILED", "pods.pending_seconds.p99"]
    assert "61%" in table[3] and "55%" in table[3]
    assert overall_status(results) == "failed"
    assert overall_status(results[:1]) == "passed"
    skipped = evaluate([parse_expectation("nodes.peak <= baseline")], METRICS, None)
    assert overall_status(results[:1] + skipped) == "skipped"
