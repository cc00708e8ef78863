"""The metric names expectations may use (DESIGN.md §3.4), with units and meanings.

This is the contract between the expectation language and the metrics part: the
metrics computed from a RunRecord carry exactly these names, and an expectation naming
anything else is a typo caught when the scenario loads, not a silently missing SLO.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "seconds", "nodes", "node-hours", "dollars", "ratio", "pods/s"]


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """A metric's name, unit and what it measures; ``lower_is_better`` orders diffs in reports."""

    name: str
    unit: Unit
    description: str
    lower_is_better: bool = True


def _percentiles(base: str, quantiles: tuple[str, ...], description: str) -> list[MetricInfo]:
    words = {"p50": "median", "p90": "90th percentile", "p99": "99th percentile",
             "max": "maximum", "mean": "mean"}
    return [MetricInfo(f"{base}.{q}", "seconds", f"{words[q]} of {description}") for q in quantiles]


_METRICS: list[MetricInfo] = [
    MetricInfo("pods.created", "count", "pods created during the run", lower_is_better=False),
    MetricInfo("pods.scheduled", "count", "pods bound to a node at least once", lower_is_better=False),
    MetricInfo("pods.unschedulable", "count",
               "pods still pending at the end, after the trace's last event and the drain"),
    *_percentiles("pods.pending_seconds", ("p50", "p90", "p99", "max", "mean"),
                  "time from creation to first binding, over pods that were bound"),
    *_percentiles("pods.startup_seconds", ("p50", "p90", "p99"),
                  "time from creation to Running (the ClusterLoader2 pod-startup SLI)"),
    MetricInfo("pods.preempted", "count", "pods deleted to make room for higher-priority pods"),
    MetricInfo("pods.evicted", "count", "pods evicted (node drain on scale-down)"),
    MetricInfo("pods.rescheduled", "count", "pods bound again after losing their node"),
    MetricInfo("nodes.peak", "nodes", "largest number of nodes at any time"),
    MetricInfo("nodes.mean", "nodes", "time-weighted mean number of nodes"),
    MetricInfo("nodes.final", "nodes", "number of nodes at the end of the run"),
    MetricInfo("nodes.scale_ups", "count", "autoscaler scale-up decisions"),
    MetricInfo("nodes.scale_downs", "count", "autoscaler scale-down decisions"),
    MetricInfo("nodes.scale_up_latency_seconds.p90", "seconds",
               "90th percentile of first unschedulable pod -> new node Ready"),
    MetricInfo("cost.node_hours", "node-hours", "integral of the node count over time"),
    MetricInfo("cost.dollars", "dollars", "node-hours times each node group's price per hour"),
    MetricInfo("util.cpu.mean", "ratio", "time-weighted CPU requested / allocatable", lower_is_better=False),
    MetricInfo("util.memory.mean", "ratio", "time-weighted memory requested / allocatable",
               lower_is_better=False),
    MetricInfo("scheduler.attempts", "count", "scheduling cycles run"),
    MetricInfo("scheduler.throughput", "pods/s", "pods scheduled per second of engine wall time",
               lower_is_better=False),
]

METRICS: dict[str, MetricInfo] = {info.name: info for info in _METRICS}
"""Every known metric by name, in DESIGN.md order."""


def metric_names() -> list[str]:
    return list(METRICS)


def suggest_metric(name: str) -> str | None:
    """The closest known metric name to a misspelt one, or None."""
    matches = difflib.get_close_matches(name, METRICS, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    # "pending_seconds.p95" style: a known family with an unknown suffix.
    family = name.rpartition(".")[0]
    members = [known for known in METRICS if known.startswith(family + ".")] if family else []
    return members[0] if members else None
