"""NodeResourcesFit (PreFilter, Filter, PreScore, Score): does the pod fit, and how full is the node.

Upstream: pkg/scheduler/framework/plugins/noderesources/fit.go (``fitsRequest``: "Too many
pods", "Insufficient <resource>"), and the scoring strategies LeastAllocated (default),
MostAllocated and RequestedToCapacityRatio with per-resource weights.  Filtering is one
vectorised comparison of the pod's request row against ``allocatable - requested``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    FilterPlugin,
    FilterVerdicts,
    Handle,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from pytest_simkube.engine.scheduler.plugins.resource_scoring import (
    DEFAULT_RESOURCES,
    least_allocated,
    most_allocated,
    parse_resource_specs,
    requested_to_capacity_ratio,
    resource_columns,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo
from pytest_simkube.kube.requests import CPU, EPHEMERAL_STORAGE, MEMORY, PODS

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
REQUESTED_TO_CAPACITY_RATIO = "RequestedToCapacityRatio"
DEFAULT_SHAPE = ((0, 0), (100, 10))


def _is_extended(name: str) -> bool:
    """``v1helper.IsExtendedResourceName``: a domain-qualified name outside kubernetes.io."""
    if "/" not in name or name.startswith("requests."):
        return False
    domain = name.split("/", 1)[0]
    return not (domain == "kubernetes.io" or domain.endswith(".kubernetes.io"))


class NodeResourcesFit(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "NodeResourcesFit"
    scores_in_range = True

    def __init__(self, args: Mapping[str, Any] | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        strategy = (self.args or {}).get("scoringStrategy") or {}
        self.strategy = str(strategy.get("type") or LEAST_ALLOCATED)
        if self.strategy not in (LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO):
            raise ValueError(f"scoringStrategy.type: unsupported value {self.strategy!r}")
        self.resources = parse_resource_specs(strategy.get("resources"), DEFAULT_RESOURCES)
        shape = ((strategy.get("requestedToCapacityRatio") or {}).get("shape")) or None
        self.shape = (tuple((int(p.get("utilization") or 0), int(p.get("score") or 0)) for p in shape)
                      if shape else DEFAULT_SHAPE)
        self.ignored_resources = set((self.args or {}).get("ignoredResources") or [])
        self.ignored_groups = set((self.args or {}).get("ignoredResourceGroups") or [])

    def _ignored(self, name: str) -> bool:
        if not _is_extended(name):
            return False
        return name in self.ignored_resources or name.split("/", 1)[0] in self.ignored_groups

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                   ) -> tuple[PreFilterResult | None, Status]:
        return None, SUCCESS

    def checked_resources(self, pod: PodInfo, snapshot: Snapshot) -> list[tuple[str, int, int]]:
        """(name, column, request) in ``fitsRequest`` order: cpu, memory, ephemeral-storage,
        then scalar resources by name; ignored extended resources left out."""
        requests = {k: v for k, v in pod.requests.items() if k != PODS and v > 0}
        scalars = sorted(k for k in requests if k not in (CPU, MEMORY, EPHEMERAL_STORAGE))
        out = []
        for name in [n for n in (CPU, MEMORY, EPHEMERAL_STORAGE) if n in requests] + scalars:
            if not self._ignored(name):
                out.append((name, snapshot.resource_column(name, create=True), requests[name]))
        return out

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        checks: list[tuple[str, np.ndarray]] = [
            ("Too many pods", snapshot.pod_count[slots] >= snapshot.allowed_pods[slots])]
        for name, col, request in self.checked_resources(pod, snapshot):
            free = snapshot.allocatable_of(col)[slots] - snapshot.requested_of(col)[slots]
            checks.append((f"Insufficient {name}", free < request))
        if not any(failed.any() for _reason, failed in checks):
            return FilterVerdicts.all_pass(len(slots))
        bits = np.zeros(len(slots), dtype=np.int64)
        for i, (_reason, failed) in enumerate(checks):
            bits |= failed.astype(np.int64) << i
        statuses = [SUCCESS]
        index = np.zeros(len(slots), dtype=np.int32)
        for combo in np.unique(bits[bits != 0]).tolist():
            reasons = [reason for i, (reason, _f) in enumerate(checks) if combo >> i & 1]
            index[bits == combo] = len(statuses)
            statuses.append(Status.unschedulable(*reasons))
        return FilterVerdicts(index, statuses)

    def filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> Status:
        """One node (preemption dry runs): the same reasons, in the same order, without arrays."""
        reasons = []
        if snapshot.pod_count[slot] >= snapshot.allowed_pods[slot]:
            reasons.append("Too many pods")
        for name, col, request in self.checked_resources(pod, snapshot):
            if snapshot.allocatable_of(col)[slot] - snapshot.requested_of(col)[slot] < request:
                reasons.append(f"Insufficient {name}")
        return Status.unschedulable(*reasons) if reasons else SUCCESS

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        return SUCCESS

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        columns = resource_columns(snapshot, slots, pod, self.resources, use_requested=False)
        if self.strategy == MOST_ALLOCATED:
            return most_allocated(columns, len(slots))
        if self.strategy == REQUESTED_TO_CAPACITY_RATIO:
            return requested_to_capacity_ratio(columns, len(slots), self.shape)
        return least_allocated(columns, len(slots))
