"""Expectations: ``METRIC OP VALUE`` SLO lines, parsed and judged (DESIGN.md §3.5).

``parse_expectation``/``parse_expectations`` turn text into :class:`Expectation` objects
(metric names checked against :mod:`pytest_simkube.expect.catalogue`); ``evaluate``
judges them against a run's metrics and, for relative bounds, a baseline run's.
"""

from __future__ import annotations

from pytest_simkube.expect.catalogue import METRICS, MetricInfo, metric_names, suggest_metric
from pytest_simkube.expect.evaluate import (
    ExpectationResult,
    evaluate,
    format_value,
    overall_status,
    render_table,
)
from pytest_simkube.expect.model import Bound, Expectation
from pytest_simkube.expect.parser import parse_expectation, parse_expectations

__all__ = [
    "METRICS",
    "Bound",
    "Expectation",
    "ExpectationResult",
    "MetricInfo",
    "evaluate",
    "format_value",
    "metric_names",
    "overall_status",
    "parse_expectation",
    "parse_expectations",
    "render_table",
    "suggest_metric",
]
