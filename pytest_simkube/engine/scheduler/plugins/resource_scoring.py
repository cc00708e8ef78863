"""Shared math of the resource scorers (``resourceAllocationScorer``), vectorised over nodes.

Upstream: pkg/scheduler/framework/plugins/noderesources/{resource_allocation.go,
least_allocated.go, most_allocated.go, requested_to_capacity_ratio.go, balanced_allocation.go}
and plugins/helper/shape_score.go.  All arithmetic is int64 with Go's truncating division
where upstream divides integers, float64 where upstream uses floats.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pytest_simkube.config.scheduler import ResourceSpec
from pytest_simkube.engine.scheduler.framework import MAX_NODE_SCORE
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo
from pytest_simkube.kube.requests import CPU, EPHEMERAL_STORAGE, MEMORY, is_scalar_resource_name

MAX_UTILIZATION = 100
MAX_CUSTOM_PRIORITY_SCORE = 10


def parse_resource_specs(raw: Sequence[dict] | None, default: Sequence[ResourceSpec]
                         ) -> tuple[ResourceSpec, ...]:
    if not raw:
        return tuple(default)
    return tuple(ResourceSpec(str(r.get("name")), int(r.get("weight") if r.get("weight") is not None else 1))
                 for r in raw)


DEFAULT_RESOURCES = (ResourceSpec(CPU, 1), ResourceSpec(MEMORY, 1))


def go_div(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """Integer division truncating toward zero, as Go's ``/`` on int64."""
    q = np.abs(a) // np.abs(b)
    return np.where((np.sign(a) * np.sign(b)) < 0, -q, q)


def pod_request(pod: PodInfo, name: str, use_requested: bool) -> int:
    """``calculatePodResourceRequest``: non-zero cpu/memory defaults unless ``use_requested``."""
    if not use_requested and name == CPU:
        return pod.resources.non_zero_milli_cpu
    if not use_requested and name == MEMORY:
        return pod.resources.non_zero_memory
    return int(pod.requests.get(name, 0))


def allocatable_and_requested(snapshot: Snapshot, slots: np.ndarray, name: str, pod_req: int,
                              use_requested: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """``calculateResourceAllocatableRequest`` for one resource over ``slots``.

    Returns (allocatable, requested including the pod), or None where upstream returns
    (0, 0) for every node (an extended resource the pod does not request, an unknown name).
    Allocatable 0 on a node means "skip this resource on that node".
    """
    if pod_req == 0 and is_scalar_resource_name(name):
        return None
    col = snapshot.resource_column(name)
    if col is None:
        return None
    if name in (CPU, MEMORY):
        used = snapshot.requested_of(col) if use_requested else snapshot.non_zero_requested_of(name)
        return snapshot.allocatable_of(col)[slots], used[slots] + pod_req
    if name == EPHEMERAL_STORAGE or is_scalar_resource_name(name):
        return snapshot.allocatable_of(col)[slots], snapshot.requested_of(col)[slots] + pod_req
    return None


Columns = list[tuple[np.ndarray, np.ndarray, int] | None]
"""Per configured resource: (requested incl. pod, allocatable, weight) over the slots, or None."""


def resource_columns(snapshot: Snapshot, slots: np.ndarray, pod: PodInfo, resources: Sequence[ResourceSpec],
                     use_requested: bool) -> Columns:
    out: Columns = []
    for spec in resources:
        amount = pod_request(pod, spec.name, use_requested)
        pair = allocatable_and_requested(snapshot, slots, spec.name, amount, use_requested)
        out.append(None if pair is None else (pair[1], pair[0], spec.weight))
    return out


def _weighted_mean(per_resource: list[tuple[np.ndarray, np.ndarray, int]], count: int) -> np.ndarray:
    """Σ w·s / Σ w over resources with allocatable > 0 on each node (integer division)."""
    node_score = np.zeros(count, dtype=np.int64)
    weight_sum: np.ndarray | int = 0
    all_valid = True
    for score, alloc, weight in per_resource:
        if alloc.all():
            node_score += score * weight
            weight_sum = weight_sum + weight
        else:
            all_valid = False
            valid = alloc != 0
            node_score += np.where(valid, score * weight, 0)
            weight_sum = weight_sum + valid * weight
    if all_valid:
        # Every resource counted on every node: one scalar divisor.
        return node_score // weight_sum if weight_sum else np.zeros(count, dtype=np.int64)
    return np.where(weight_sum == 0, 0, node_score // np.maximum(weight_sum, 1))


def least_allocated(columns: Columns, count: int) -> np.ndarray:
    """``leastResourceScorer``: Σ w·((alloc−req)·100/alloc) / Σ w, 0 where req > alloc."""
    per = []
    for col in columns:
        if col is None:
            continue
        req, alloc, weight = col
        # (alloc − req)·100/alloc, and 0 when req > alloc: clamping the difference at 0 does both.
        per.append((np.maximum(alloc - req, 0) * MAX_NODE_SCORE // np.maximum(alloc, 1), alloc, weight))
    return _weighted_mean(per, count)


def most_allocated(columns: Columns, count: int) -> np.ndarray:
    """``mostResourceScorer``: Σ w·(min(req, alloc)·100/alloc) / Σ w."""
    per = []
    for col in columns:
        if col is None:
            continue
        req, alloc, weight = col
        per.append((np.minimum(req, alloc) * MAX_NODE_SCORE // np.maximum(alloc, 1), alloc, weight))
    return _weighted_mean(per, count)


def broken_linear(points: Sequence[tuple[int, int]], p: np.ndarray) -> np.ndarray:
    """``helper.BuildBrokenLinearFunction`` over an array of utilisations."""
    out = np.full(p.shape, points[-1][1], dtype=np.int64)
    done = np.zeros(p.shape, dtype=bool)
    for i, (u, s) in enumerate(points):
        hit = (~done) & (p <= u)
        if i == 0:
            out[hit] = s
        else:
            u0, s0 = points[i - 1]
            out[hit] = s0 + go_div((s - s0) * (p[hit] - u0), u - u0)
        done |= hit
    return out


def requested_to_capacity_ratio(columns: Columns, count: int, shape: Sequence[tuple[int, int]]) -> np.ndarray:
    """``buildRequestedToCapacityRatioScorerFunction``; shape scores are scaled ×10 first.

    Only resources with a positive score count; the mean is rounded half away from zero.
    """
    points = [(u, s * (MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE)) for u, s in shape]
    node_score = np.zeros(count, dtype=np.int64)
    weight_sum = np.zeros(count, dtype=np.int64)
    for col in columns:
        if col is None:
            continue
        req, alloc, weight = col
        util = np.where((alloc == 0) | (req > alloc), MAX_UTILIZATION,
                        req * MAX_UTILIZATION // np.maximum(alloc, 1))
        per = broken_linear(points, util)
        counted = (alloc != 0) & (per > 0)
        node_score += np.where(counted, per * weight, 0)
        weight_sum += counted * weight
    ratio = node_score / np.maximum(weight_sum, 1)
    return np.where(weight_sum == 0, 0, np.floor(ratio + 0.5)).astype(np.int64)


def balanced_resource_scorer(columns: Columns, count: int) -> np.ndarray:
    """``balancedResourceScorer`` (v1.30): int((1 − std(fractions))·100) over resources with alloc>0."""
    present = [c for c in columns if c is not None]
    if len(present) == 2 and present[0][1].all() and present[1][1].all():
        # The common case (cpu and memory, both allocatable): std = |f_cpu − f_mem| / 2.
        f0 = np.minimum(present[0][0] / present[0][1], 1.0)
        f1 = np.minimum(present[1][0] / present[1][1], 1.0)
        return ((1 - np.abs((f0 - f1) / 2)) * MAX_NODE_SCORE).astype(np.int64)
    if not present:
        return np.full(count, MAX_NODE_SCORE, dtype=np.int64)
    req = np.stack([c[0] for c in present], axis=1)
    alloc = np.stack([c[1] for c in present], axis=1)
    valid = alloc != 0
    fractions = np.where(valid, np.minimum(req / np.where(valid, alloc, 1).astype(np.float64), 1.0), 0.0)
    count_valid = valid.sum(axis=1)
    std = np.zeros(count, dtype=np.float64)
    two = count_valid == 2
    if two.any():
        first = np.argmax(valid, axis=1)
        last = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
        rows = np.arange(count)
        std = np.where(two, np.abs((fractions[rows, first] - fractions[rows, last]) / 2), std)
    many = count_valid > 2
    if many.any():
        total = np.zeros(count, dtype=np.float64)
        for j in range(valid.shape[1]):
            total = np.where(valid[:, j], total + fractions[:, j], total)
        mean = total / np.maximum(count_valid, 1)
        squares = np.zeros(count, dtype=np.float64)
        for j in range(valid.shape[1]):
            d = fractions[:, j] - mean
            squares = np.where(valid[:, j], squares + d * d, squares)
        std = np.where(many, np.sqrt(squares / np.maximum(count_valid, 1)), std)
    return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)
