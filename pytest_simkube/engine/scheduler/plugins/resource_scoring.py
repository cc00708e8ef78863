"""Shared math of the resource scorers (``resourceAllocationScorer``), vectorised over nodes.

Upstream: pkg/scheduler/framework/plugins/noderesources/{resource_allocation.go,
least_allocated.go, most_allocated.go, requested_to_capacity_ratio.go, balanced_allocation.go}
and plugins/helper/shape_score.go.  All arithmetic is int64 with Go's truncating division
where upstream divides integers, float64 where upstream uses floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pytest_simkube.engine.scheduler.framework import MAX_NODE_SCORE
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo
from pytest_simkube.kube.requests import CPU, EPHEMERAL_STORAGE, MEMORY, is_scalar_resource_name

MAX_UTILIZATION = 100
MAX_CUSTOM_PRIORITY_SCORE = 10


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    weight: int


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
                              use_requested: bool) -> tuple[np.ndarray, np.ndarray]:
    """``calculateResourceAllocatableRequest`` for one resource over ``slots``.

    Returns (allocatable, requested including the pod); allocatable 0 means "skip this
    resource on that node".
    """
    zeros = np.zeros(len(slots), dtype=np.int64)
    if pod_req == 0 and is_scalar_resource_name(name):
        return zeros, zeros
    col = snapshot.resource_column(name)
    if name in (CPU, MEMORY):
        alloc = snapshot.allocatable[slots, col]
        if use_requested:
            used = snapshot.requested[slots, col]
        else:
            used = snapshot.non_zero_requested[slots, 0 if name == CPU else 1]
        return alloc, used + pod_req
    if name == EPHEMERAL_STORAGE or (col is not None and is_scalar_resource_name(name)):
        if col is None:
            return zeros, zeros
        return snapshot.allocatable[slots, col], snapshot.requested[slots, col] + pod_req
    return zeros, zeros


def resource_matrix(snapshot: Snapshot, slots: np.ndarray, pod: PodInfo, resources: Sequence[ResourceSpec],
                    use_requested: bool) -> tuple[np.ndarray, np.ndarray]:
    """(requested, allocatable) matrices of shape (len(slots), len(resources))."""
    req = np.zeros((len(slots), len(resources)), dtype=np.int64)
    alloc = np.zeros((len(slots), len(resources)), dtype=np.int64)
    for i, spec in enumerate(resources):
        amount = pod_request(pod, spec.name, use_requested)
        a, r = allocatable_and_requested(snapshot, slots, spec.name, amount, use_requested)
        alloc[:, i] = a
        req[:, i] = np.where(a == 0, 0, r)
    return req, alloc


def _weighted_mean(per_resource: np.ndarray, alloc: np.ndarray, weights: np.ndarray) -> np.ndarray:
    valid = alloc != 0
    weight_sum = (valid * weights).sum(axis=1)
    node_score = (np.where(valid, per_resource, 0) * weights).sum(axis=1)
    return np.where(weight_sum == 0, 0, node_score // np.maximum(weight_sum, 1))


def least_allocated(req: np.ndarray, alloc: np.ndarray, resources: Sequence[ResourceSpec]) -> np.ndarray:
    """``leastResourceScorer``: Σ w·((alloc−req)·100/alloc) / Σ w, 0 where req > alloc."""
    safe = np.maximum(alloc, 1)
    per = np.where(req > alloc, 0, (alloc - req) * MAX_NODE_SCORE // safe)
    return _weighted_mean(per, alloc, np.array([r.weight for r in resources], dtype=np.int64))


def most_allocated(req: np.ndarray, alloc: np.ndarray, resources: Sequence[ResourceSpec]) -> np.ndarray:
    """``mostResourceScorer``: Σ w·(min(req, alloc)·100/alloc) / Σ w."""
    safe = np.maximum(alloc, 1)
    per = np.minimum(req, alloc) * MAX_NODE_SCORE // safe
    return _weighted_mean(per, alloc, np.array([r.weight for r in resources], dtype=np.int64))


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


def requested_to_capacity_ratio(req: np.ndarray, alloc: np.ndarray, resources: Sequence[ResourceSpec],
                                shape: Sequence[tuple[int, int]]) -> np.ndarray:
    """``buildRequestedToCapacityRatioScorerFunction``; shape scores are scaled ×10 first."""
    points = [(u, s * (MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE)) for u, s in shape]
    safe = np.maximum(alloc, 1)
    util = np.where((alloc == 0) | (req > alloc), MAX_UTILIZATION, req * MAX_UTILIZATION // safe)
    per = broken_linear(points, util)
    weights = np.array([r.weight for r in resources], dtype=np.int64)
    counted = (alloc != 0) & (per > 0)
    weight_sum = (counted * weights).sum(axis=1)
    node_score = (np.where(counted, per, 0) * weights).sum(axis=1)
    ratio = node_score / np.maximum(weight_sum, 1)
    return np.where(weight_sum == 0, 0, np.floor(ratio + 0.5)).astype(np.int64)


def balanced_resource_scorer(req: np.ndarray, alloc: np.ndarray) -> np.ndarray:
    """``balancedResourceScorer`` (v1.30): int((1 − std(fractions))·100) over resources with alloc>0."""
    valid = alloc != 0
    fractions = np.where(valid, np.minimum(req / np.where(valid, alloc, 1).astype(np.float64), 1.0), 0.0)
    count = valid.sum(axis=1)
    std = np.zeros(len(req), dtype=np.float64)
    two = count == 2
    if two.any():
        first = np.argmax(valid, axis=1)
        last = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
        rows = np.arange(len(req))
        std = np.where(two, np.abs((fractions[rows, first] - fractions[rows, last]) / 2), std)
    many = count > 2
    if many.any():
        total = np.zeros(len(req), dtype=np.float64)
        for j in range(valid.shape[1]):
            total = np.where(valid[:, j], total + fractions[:, j], total)
        mean = total / np.maximum(count, 1)
        squares = np.zeros(len(req), dtype=np.float64)
        for j in range(valid.shape[1]):
            d = fractions[:, j] - mean
            squares = np.where(valid[:, j], squares + d * d, squares)
        std = np.where(many, np.sqrt(squares / np.maximum(count, 1)), std)
    return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)
