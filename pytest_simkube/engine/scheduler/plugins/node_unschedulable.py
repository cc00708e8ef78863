"""NodeUnschedulable (Filter): cordoned nodes accept only pods tolerating the cordon taint.

Upstream: pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go.
"""

from __future__ import annotations

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    FilterPlugin,
    FilterVerdicts,
    Status,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo, Taint

ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
_CORDON_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
_FAILURE = Status.unresolvable(ERR_REASON_UNSCHEDULABLE)


class NodeUnschedulable(FilterPlugin):
    name = "NodeUnschedulable"

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        cordoned = snapshot.unschedulable[slots]
        if not cordoned.any() or any(t.tolerates(_CORDON_TAINT) for t in pod.tolerations):
            return FilterVerdicts.all_pass(len(slots))
        return FilterVerdicts.from_mask(~cordoned, _FAILURE)

    def filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> Status:
        """One node (preemption dry runs): the same verdict without arrays."""
        if not snapshot.unschedulable[slot] or any(t.tolerates(_CORDON_TAINT) for t in pod.tolerations):
            return SUCCESS
        return _FAILURE
