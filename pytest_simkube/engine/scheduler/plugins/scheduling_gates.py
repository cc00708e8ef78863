"""SchedulingGates (PreEnqueue): a pod with ``spec.schedulingGates`` never enters activeQ.

Upstream: pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go.
"""

from __future__ import annotations

from pytest_simkube.engine.scheduler.framework import SUCCESS, PreEnqueuePlugin, Status
from pytest_simkube.kube.pods import PodInfo


class SchedulingGates(PreEnqueuePlugin):
    name = "SchedulingGates"

    def pre_enqueue(self, pod: PodInfo) -> Status:
        if not pod.scheduling_gates:
            return SUCCESS
        # Go prints the []string as [a b].
        return Status.unresolvable(f"waiting for scheduling gates: [{' '.join(pod.scheduling_gates)}]")
