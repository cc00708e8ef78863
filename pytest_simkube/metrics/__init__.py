"""Metrics: pure functions from a RunRecord to the named figures expectations test."""

from __future__ import annotations

from pytest_simkube.metrics.compute import METRIC_NAMES, compute_metrics
from pytest_simkube.metrics.percentiles import nearest_rank

__all__ = ["METRIC_NAMES", "compute_metrics", "nearest_rank"]
