"""NodePorts (PreFilter, Filter): a wanted hostPort must be free on the node.

Upstream: pkg/scheduler/framework/plugins/nodeports/node_ports.go and
framework/types.go ``HostPortInfo.CheckConflict`` (0.0.0.0 conflicts with every address).
"""

from __future__ import annotations

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    FilterPlugin,
    FilterVerdicts,
    PreFilterPlugin,
    PreFilterResult,
    Status,
)
from pytest_simkube.engine.scheduler.snapshot import NodeInfo, Snapshot
from pytest_simkube.kube.pods import HostPort, PodInfo

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
_FAILURE = Status.unschedulable(ERR_REASON)
_ANY_IP = "0.0.0.0"


def port_conflicts(node: NodeInfo, wanted: tuple[HostPort, ...]) -> bool:
    """True when any wanted (ip, protocol, port) is already used on the node."""
    for want in wanted:
        for used in node.used_ports:
            if used.port != want.port or used.protocol != want.protocol:
                continue
            if want.ip == _ANY_IP or used.ip == _ANY_IP or used.ip == want.ip:
                return True
    return False


class NodePorts(PreFilterPlugin, FilterPlugin):
    name = "NodePorts"

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                   ) -> tuple[PreFilterResult | None, Status]:
        if not pod.host_ports:
            return None, Status.skip()
        return None, SUCCESS

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        if not pod.host_ports:
            return FilterVerdicts.all_pass(len(slots))
        passed = np.ones(len(slots), dtype=bool)
        for i in np.flatnonzero(snapshot.port_count[slots] > 0).tolist():
            if port_conflicts(snapshot.node(int(slots[i])), pod.host_ports):
                passed[i] = False
        return FilterVerdicts.from_mask(passed, _FAILURE)

    def filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> Status:
        """One node (preemption dry runs): the same verdict without arrays."""
        if not pod.host_ports or not snapshot.port_count[slot]:
            return SUCCESS
        return _FAILURE if port_conflicts(snapshot.node(slot), pod.host_ports) else SUCCESS
