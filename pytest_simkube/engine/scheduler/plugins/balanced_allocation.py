"""NodeResourcesBalancedAllocation (PreScore, Score): prefer nodes whose cpu and memory fill evenly.

Upstream: pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go at v1.30:
``score = int((1 − std) · 100)`` of the per-resource fractions ``min(requested/allocatable, 1)``
with the pod's *real* requests (``useRequested``).  The v1.36 "change in balance" formula is
not used: the reference is v1.30.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    Handle,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from pytest_simkube.engine.scheduler.plugins.resource_scoring import (
    DEFAULT_RESOURCES,
    balanced_resource_scorer,
    parse_resource_specs,
    resource_columns,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo


class BalancedAllocation(PreScorePlugin, ScorePlugin):
    name = "NodeResourcesBalancedAllocation"
    scores_in_range = True

    def __init__(self, args: Mapping[str, Any] | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        self.resources = parse_resource_specs((self.args or {}).get("resources"), DEFAULT_RESOURCES)

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        return SUCCESS

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        columns = resource_columns(snapshot, slots, pod, self.resources, use_requested=True)
        return balanced_resource_scorer(columns, len(slots))
