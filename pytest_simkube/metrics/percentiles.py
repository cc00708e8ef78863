"""Percentiles the way ClusterLoader2 computes them, so figures are comparable with its SLOs.

Upstream: kubernetes/perf-tests clusterloader2/pkg/measurement/util/latency_metric.go
(``NewLatencyMetric``): sort ascending, ``p_k = x[ceil(n*k/100) - 1]`` - nearest rank, no
interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank(sorted_values: Sequence[float], percent: float) -> float:
    """The ``percent``-th percentile of already sorted values; 0.0 for an empty sequence."""
    n = len(sorted_values)
    if n == 0:
        return 0.0
    rank = math.ceil(n * percent / 100.0)
    return float(sorted_values[min(max(rank, 1), n) - 1])


def summarise(values: Sequence[float], prefix: str, keys: Sequence[str]) -> dict[str, float]:
    """``{prefix.p50: .., prefix.max: .., prefix.mean: ..}`` for the requested keys."""
    ordered = sorted(values)
    out: dict[str, float] = {}
    for key in keys:
        if key == "max":
            out[f"{prefix}.max"] = float(ordered[-1]) if ordered else 0.0
        elif key == "mean":
            out[f"{prefix}.mean"] = math.fsum(ordered) / len(ordered) if ordered else 0.0
        else:
            out[f"{prefix}.{key}"] = nearest_rank(ordered, float(key.lstrip("p")))
    return out
