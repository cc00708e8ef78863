"""Judging expectations against a run's metrics, optionally relative to a baseline run.

Every expectation yields exactly one result with a status: ``passed``, ``failed``,
``skipped`` (a relative bound with no baseline run: it cannot be judged, and must not
count as a pass) or ``error`` (the metric has no value). A failure carries everything a
reviewer needs without a traceback: metric, actual, bound, baseline and delta.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pytest_simkube.expect.catalogue import METRICS
from pytest_simkube.expect.model import Expectation

Status = Literal["passed", "failed", "skipped", "error"]
TABLE_HEADER = ("status", "expectation", "actual", "bound", "baseline", "delta")


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    """The verdict on one expectation."""

    expectation: Expectation
    status: Status
    actual: float | None
    bound: float | None
    baseline: float | None
    delta: float | None
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def delta_ratio(self) -> float | None:
        """``delta / baseline`` (0.05 = 5 % worse or better), None without a usable baseline."""
        if self.delta is None or not self.baseline:
            return None
        return self.delta / abs(self.baseline)

    def as_row(self) -> tuple[str, ...]:
        """One table row, in :data:`TABLE_HEADER` order, values formatted with units."""
        metric = self.expectation.metric
        return (
            self.status.upper(),
            self.expectation.text,
            format_value(metric, self.actual),
            format_value(metric, self.bound),
            format_value(metric, self.baseline),
            format_delta(metric, self.delta, self.delta_ratio),
        )

    def to_dict(self) -> dict[str, Any]:
        exp = self.expectation
        return {
            "expectation": exp.text,
            "metric": exp.metric,
            "op": exp.op,
            "bound_text": exp.bound.text,
            "status": self.status,
            "passed": self.passed,
            "actual": self.actual,
            "bound": self.bound,
            "baseline": self.baseline,
            "delta": self.delta,
            "message": self.message,
            "source": exp.source,
            "line": exp.line,
        }


def evaluate(
    expectations: Iterable[Expectation],
    metrics: Mapping[str, float | None],
    baseline: Mapping[str, float | None] | None = None,
) -> list[ExpectationResult]:
    """Judge each expectation against ``metrics`` (and ``baseline``, the base config's metrics)."""
    return [_evaluate_one(exp, metrics, baseline) for exp in expectations]


def _value(metrics: Mapping[str, float | None] | None, name: str) -> float | None:
    if metrics is None:
        return None
    value = metrics.get(name)
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _evaluate_one(
    exp: Expectation, metrics: Mapping[str, float | None], baseline: Mapping[str, float | None] | None
) -> ExpectationResult:
    metric = exp.metric
    actual = _value(metrics, metric)
    base = _value(baseline, metric)
    delta = actual - base if actual is not None and base is not None else None

    def result(status: Status, bound: float | None, message: str) -> ExpectationResult:
        return ExpectationResult(exp, status, actual, bound, base, delta, message)

    if actual is None:
        why = "was not computed by this run"
        if metric in metrics:
            why = "has no value in this run (no samples)"
        return result("error", None, f"{metric} {why}")
    if exp.relative:
        if baseline is None:
            return result("skipped", None,
                          f"{exp.text}: needs a baseline run to compare with (none was given)")
        if base is None:
            why = "was not computed by" if metric not in baseline else "has no value in"
            return result("error", None, f"{metric} {why} the baseline run, so {exp.text!r} cannot be judged")
    bound = exp.bound.resolve(base)
    shown = f"{metric} = {format_value(metric, actual)}"
    if exp.holds(actual, bound):
        return result("passed", bound, f"{shown} {exp.op} {format_value(metric, bound)}")
    message = f"{shown}, expected {exp.op} {format_value(metric, bound)}"
    if exp.relative:
        message += f" ({exp.bound.text})"
    if base is not None:
        message += (f"; baseline {format_value(metric, base)}, "
                    f"delta {format_delta(metric, delta, delta / abs(base) if base else None)}")
    return result("failed", bound, message)


def format_value(metric: str, value: float | None) -> str:
    """A value with its metric's unit: ``12.5s``, ``41.2%``, ``$18.43``, ``7``."""
    if value is None:
        return "-"
    info = METRICS.get(metric)
    unit = info.unit if info else "count"
    if unit == "seconds":
        return f"{_number(value)}s"
    if unit == "ratio":
        return f"{_number(value * 100)}%"
    if unit == "dollars":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    if unit == "node-hours":
        return f"{_number(value)} node-h"
    if unit == "pods/s":
        return f"{_number(value)} pods/s"
    return _number(value)


def format_delta(metric: str, delta: float | None, ratio: float | None) -> str:
    if delta is None:
        return "-"
    sign = "+" if delta >= 0 else "-"
    text = sign + format_value(metric, abs(delta)).lstrip("$")
    if metric in METRICS and METRICS[metric].unit == "dollars":
        text = f"{sign}${abs(delta):,.2f}"
    if ratio is not None:
        text += f" ({ratio * 100:+.1f}%)"
    return text


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.1f}"


def render_table(results: Sequence[ExpectationResult]) -> str:
    """A plain-text table of results, one row per expectation (for terminals and logs)."""
    rows = [TABLE_HEADER, *(result.as_row() for result in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    return "\n".join(lines)


def overall_status(results: Sequence[ExpectationResult]) -> Status:
    """``failed`` if any failed, else ``error`` if any errored, else ``skipped`` if any skipped."""
    statuses = {result.status for result in results}
    for status in ("failed", "error", "skipped"):
        if status in statuses:
            return status  # type: ignore[return-value]
    return "passed"
