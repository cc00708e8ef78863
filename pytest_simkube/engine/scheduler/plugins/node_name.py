"""NodeName (Filter): a pod that names ``spec.nodeName`` fits only that node.

Upstream: pkg/scheduler/framework/plugins/nodename/node_name.go (v1.30 has no PreFilter).
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
from pytest_simkube.kube.pods import PodInfo

ERR_REASON = "node(s) didn't match the requested node name"
_FAILURE = Status.unresolvable(ERR_REASON)


class NodeName(FilterPlugin):
    name = "NodeName"

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        wanted = str((pod.spec or {}).get("nodeName") or "")
        if not wanted:
            return FilterVerdicts.all_pass(len(slots))
        target = snapshot.slot_of(wanted)
        return FilterVerdicts.from_mask(slots == (-1 if target is None else target), _FAILURE)

    def filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> Status:
        """One node (preemption dry runs): the same verdict without arrays."""
        wanted = str((pod.spec or {}).get("nodeName") or "")
        return SUCCESS if not wanted or snapshot.slot_of(wanted) == slot else _FAILURE
