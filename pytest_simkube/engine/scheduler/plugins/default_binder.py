"""DefaultBinder (Bind): the decision is the binding; the simulator's caller applies it.

Upstream: pkg/scheduler/framework/plugins/defaultbinder/default_binder.go posts a Binding;
here binding is recorded in the cycle state (``"Bind"``) and the engine moves the pod.
"""

from __future__ import annotations

from pytest_simkube.engine.scheduler.framework import SUCCESS, BindPlugin, CycleState, Status
from pytest_simkube.kube.pods import PodInfo


class DefaultBinder(BindPlugin):
    name = "DefaultBinder"

    def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        state.write("Bind", node_name)
        return SUCCESS
