"""Parsing ``METRIC OP VALUE`` expectations (DESIGN.md §3.5): values, units, baselines, errors."""

from __future__ import annotations

import pytest

from pytest_simkube.errors import ScenarioError
from pytest_simkube.expect import METRICS, parse_expectation, parse_expectations


@pytest.mark.parametrize(
    ("text", "metric", "op", "resolved"),
    [
        ("pods.unschedulable == 0", "pods.unschedulable", "==", 0.0),
        ("pods.pending_seconds.p99 <= 30", "pods.pending_seconds.p99", "<=", 30.0),
        ("pods.pending_seconds.p99<=30s", "pods.pending_seconds.p99", "<=", 30.0),
        ("pods.startup_seconds.p90 < 2m", "pods.startup_seconds.p90", "<", 120.0),
        ("pods.pending_seconds.max <= 1.5h", "pods.pending_seconds.max", "<=", 5400.0),
        ("pods.pending_seconds.mean <= 500ms", "pods.pending_seconds.mean", "<=", 0.5),
        ("nodes.scale_up_latency_seconds.p90 <= 1m30s", "nodes.scale_up_latency_seconds.p90", "<=", 90.0),
        ("util.cpu.mean >= 55%", "util.cpu.mean", ">=", 0.55),
        ("util.memory.mean > 0.4", "util.memory.mean", ">", 0.4),
        ("nodes.peak != 3", "nodes.peak", "!=", 3.0),
        ("cost.dollars <= 1.2e3", "cost.dollars", "<=", 1200.0),
    ],
)
def test_absolute_values_and_units(text, metric, op, resolved):
    exp = parse_expectation(text)
    assert (exp.metric, exp.op, exp.relative) == (metric, op, False)
    assert exp.bound.resolve(None) == pytest.approx(resolved)


@pytest.mark.parametrize(
    ("text", "baseline", "resolved"),
    [
        ("cost.node_hours <= baseline", 100.0, 100.0),
        ("cost.node_hours <= baseline * 1.05", 100.0, 105.0),
        ("cost.node_hours <= baseline*0.9", 100.0, 90.0),
        ("nodes.peak <= baseline + 2", 10.0, 12.0),
        ("nodes.peak >= baseline - 2", 10.0, 8.0),
        ("pods.pending_seconds.p99 <= baseline + 30s", 12.0, 42.0),
        ("pods.pending_seconds.p99 <= baseline - 500ms", 12.0, 11.5),
        ("cost.dollars <= baseline + 5%", 200.0, 210.0),
        ("cost.dollars <= baseline - 10%", 200.0, 180.0),
    ],
)
def test_baseline_arithmetic(text, baseline, resolved):
    exp = parse_expectation(text)
    assert exp.relative
    assert exp.bound.resolve(baseline) == pytest.approx(resolved)
    with pytest.raises(ValueError, match="needs a baseline"):
        exp.bound.resolve(None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pods.pending_second.p99 <= 3", "unknown metric 'pods.pending_second.p99' "
                                         "(did you mean 'pods.pending_seconds.p99'?)"),
        ("pods.pending_seconds.p95 <= 3", "unknown metric 'pods.pending_seconds.p95' (did you mean "),
        ("nodes.peak = 3", "(use '==' for equality)"),
        ("nodes.peak => 3", "(did you mean '>='?)"),
        ("nodes.peak <== 3", "unknown operator '<=='"),
        ("nodes.peak", "expected 'METRIC OP VALUE' with OP one of <= < >= > == !="),
        ("pods.created <=", "missing value after the operator"),
        ("nodes.peak <= 2m", "value '2m' is a duration, but this metric is in nodes"),
        ("nodes.peak >= 5%", "a percentage only fits ratio metrics, and this metric is in nodes"),
        ("nodes.peak <= baseline + 30s", "value '30s' is a duration, but this metric is in nodes"),
        ("nodes.peak <= baseline * x", "'baseline * K' needs a plain number K, got 'x'"),
        ("nodes.peak <= baseline * -1", "'baseline * K' needs K >= 0"),
        ("nodes.peak <= 2 * baseline", "use 'baseline', 'baseline * K', 'baseline + X' or 'baseline - X'"),
        ("nodes.peak <= basline", "cannot parse value 'basline' (did you mean 'baseline'?)"),
        ("nodes.peak <= lots", "cannot parse value 'lots'"),
        ("", "empty expectation"),
    ],
)
def test_errors_name_file_line_and_say_why(text, message):
    with pytest.raises(ScenarioError) as info:
        parse_expectation(text, "checkout.simkube.yaml", 31, "expect[4]")
    error = info.value
    assert error.source == "checkout.simkube.yaml"
    assert error.where == "line 31, key 'expect[4]'"
    assert message in error.message
    assert str(error).startswith("checkout.simkube.yaml: line 31, key 'expect[4]': expectation ")


def test_list_parsing_keeps_source_lines_and_rejects_non_strings():
    lines = {"expect[0]": 20, "expect[1]": 21}
    parsed = parse_expectations(["pods.unschedulable == 0", "nodes.peak <= 40"], "s.yaml", "expect", lines)
    assert [(e.line, e.where, e.source) for e in parsed] == [(20, "expect[0]", "s.yaml"),
                                                             (21, "expect[1]", "s.yaml")]
    assert parsed[1].name == "nodes.peak <= 40"
    with pytest.raises(ScenarioError, match=r"line 21, key 'expect\[1\]': expected an expectation string"):
        parse_expectations(["pods.unschedulable == 0", {"nodes.peak": 40}], "s.yaml", "expect", lines)


def test_catalogue_covers_design_metric_names():
    expected = {
        "pods.created", "pods.scheduled", "pods.unschedulable",
        *(f"pods.pending_seconds.{q}" for q in ("p50", "p90", "p99", "max", "mean")),
        *(f"pods.startup_seconds.{q}" for q in ("p50", "p90", "p99")),
        "pods.preempted", "pods.evicted", "pods.rescheduled", "nodes.peak", "nodes.mean", "nodes.final",
        "nodes.scale_ups", "nodes.scale_downs", "nodes.scale_up_latency_seconds.p90", "cost.node_hours",
        "cost.dollars", "util.cpu.mean", "util.memory.mean", "scheduler.attempts", "scheduler.throughput",
    }
    assert set(METRICS) == expected
    assert METRICS["pods.pending_seconds.p99"].unit == "seconds"
    assert METRICS["util.cpu.mean"].unit == "ratio"
