"""Drives a :class:`~pytest_simkube.engine.scheduling.SchedulerPort` in virtual time.

kube-scheduler runs ``scheduleOne`` in a loop and blocks when its queue is empty. Here a
*cycle* event runs decisions back to back at the current instant until no pod is ready,
then sleeps until the scheduler's next wake-up (a backoff expiring); any cluster change
"kicks" it (one pending cycle at most). Binding is instantaneous in virtual time.
Wake-ups are background events: a pod that can never fit does not keep a run alive.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.events import Event
from pytest_simkube.engine.objects import Pod
from pytest_simkube.engine.scheduling import Decision, SchedulerPort
from pytest_simkube.runrecord import PodUnschedulable


class SchedulerLoop:
    def __init__(self, ctx: EngineContext, port: SchedulerPort) -> None:
        self.ctx = ctx
        self.port = port
        self._cycle: Event | None = None
        self._wakeup: Event | None = None
        self.attempts = 0
        self.unschedulable: dict[str, Decision] = {}
        """Pods whose last cycle failed, with that decision (reasons, message)."""
        self._unschedulable_listeners: list[Callable[[Pod, Decision], None]] = []

    def on_unschedulable(self, callback: Callable[[Pod, Decision], None]) -> None:
        """Call ``callback(pod, decision)`` when a pod turns unschedulable (its first failed
        cycle since it was last schedulable), after the batch of cycles at that instant, so
        a listener that changes the cluster never runs in the middle of a cycle."""
        self._unschedulable_listeners.append(callback)

    def enqueue(self, pod: Pod) -> None:
        self.port.add_pod(pod.manifest, self.ctx.sim.now)
        self.kick()

    def kick(self) -> None:
        if self._cycle is None:
            self._cycle = self.ctx.sim.after(0.0, self._run_cycles)

    def _run_cycles(self) -> None:
        self._cycle = None
        ctx = self.ctx
        now = ctx.sim.now
        store = ctx.store
        turned: list[Pod] = []
        while True:
            decision = self.port.schedule_one(now)
            if decision is None:
                break
            self.attempts += 1
            pod = store.pods.get(decision.pod)
            if pod is None or not pod.active:
                continue
            pod.attempts = decision.attempt
            for victim_key in decision.victims:
                victim = store.pods.get(victim_key)
                if victim is not None:
                    ctx.pods.delete(victim, "preempted")
            if decision.node is not None:
                self.unschedulable.pop(pod.key, None)
                ctx.kubelet.bind(pod, decision.node, decision.attempt)
            else:
                first = pod.key not in self.unschedulable
                self.unschedulable[pod.key] = decision
                # The reasons map is shared with other records of the same verdict (read-only).
                ctx.sim.emit(PodUnschedulable(ctx.sim.t(), pod.key, decision.attempt,
                                              decision.reasons, decision.message), change=first)
                if first and self._unschedulable_listeners:
                    turned.append(pod)
        for pod in turned:
            decision = self.unschedulable.get(pod.key)
            if decision is None or not pod.active or pod.node is not None:
                continue
            for listener in self._unschedulable_listeners:
                listener(pod, decision)
        self._arm_wakeup()

    def _arm_wakeup(self) -> None:
        ctx = self.ctx
        wake = self.port.next_wakeup(ctx.sim.now)
        if self._wakeup is not None:
            if wake is not None and self._wakeup.t == max(wake, ctx.sim.now) and not self._wakeup.cancelled:
                return
            ctx.sim.cancel(self._wakeup)
            self._wakeup = None
        if wake is not None:
            self._wakeup = ctx.sim.at(max(wake, ctx.sim.now + 1e-6), self._on_wakeup, background=True)

    def _on_wakeup(self) -> None:
        self._wakeup = None
        self.kick()

    def forget(self, pod_key: str) -> None:
        self.unschedulable.pop(pod_key, None)
