"""Creating, binding, finishing and deleting pods: the API-server side of a pod's life.

Every change goes through :class:`PodManager` so the RunRecord, the scheduler and the owning
controller hear about it in one place and in a fixed order.
"""

from __future__ import annotations

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.objects import KubeObject, Pod, pod_requests
from pytest_simkube.engine.priority import resolve_priority
from pytest_simkube.errors import TraceError
from pytest_simkube.runrecord import PodCreated, PodDeleted, PodFinished

# k8s.io/apimachinery/pkg/util/rand: the alphabet of generated name suffixes (no vowels).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class PodManager:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._rng = ctx.sim.rng("pod-names")
        self._suffixes: list[str] = []

    def _suffix(self) -> str:
        """Five random characters; drawn 4096 at a time (same stream, fewer numpy calls)."""
        if not self._suffixes:
            picks = self._rng.integers(0, len(NAME_ALPHABET), (4096, 5))
            self._suffixes = ["".join(NAME_ALPHABET[i] for i in row) for row in picks.tolist()]
            self._suffixes.reverse()
        return self._suffixes.pop()

    def generate_name(self, namespace: str, prefix: str) -> str:
        """``prefix`` + 5 random characters, like the API server's ``generateName``."""
        while True:
            name = prefix + self._suffix()
            if f"{namespace}/{name}" not in self.ctx.store.pods:
                return name

    def create(self, manifest: KubeObject, *, owner_kind: str = "", owner_name: str = "",
               revision: str = "", ordinal: int = -1) -> Pod | None:
        """Admit a pod: resolve priority, record PodCreated, queue it for scheduling.

        Returns None when a pod of that name already exists (the API server's conflict).
        """
        ctx = self.ctx
        meta = manifest["metadata"]
        key = f"{meta.get('namespace', 'default')}/{meta['name']}"
        if key in ctx.store.pods:
            return None
        spec = manifest.setdefault("spec", {})
        priority, policy, class_name = resolve_priority(ctx.store, spec)
        spec["priority"] = priority
        spec["preemptionPolicy"] = spec.get("preemptionPolicy") or policy
        if class_name:
            spec["priorityClassName"] = class_name
        spec.setdefault("schedulerName", "default-scheduler")
        try:
            cpu, memory = pod_requests(spec)
        except ValueError as exc:  # RequestsError / QuantityError: a bad template in the trace
            where = f"{owner_kind or 'Pod'} {meta.get('namespace', 'default')}/{owner_name or meta['name']}"
            raise TraceError(ctx.sim.run.header.trace or None, f"{where}: pod template resources",
                             str(exc)) from None
        pod = Pod(key=key, manifest=manifest, created_at=ctx.sim.now, owner_kind=owner_kind,
                  owner_name=owner_name, cpu=cpu, memory=memory, priority=priority, revision=revision,
                  ordinal=ordinal)
        ctx.store.add_pod(pod)
        ctx.sim.emit(PodCreated(ctx.sim.t(), key, pod.owner, priority, cpu, memory))
        ctx.lifecycles.assign_sequence(pod)
        if spec.get("nodeName"):
            # Pre-bound pods skip the scheduler (the kubelet admits them directly).
            ctx.scheduler.port.add_pod(manifest, ctx.sim.now)
            ctx.kubelet.bind(pod, spec["nodeName"], attempt=0)
        else:
            ctx.scheduler.enqueue(pod)
        return pod

    def finish(self, pod: Pod, phase: str = "Succeeded") -> None:
        """All containers exited: the pod stops holding resources and its owner is told."""
        if not pod.active:
            return
        ctx = self.ctx
        pod.phase = phase
        ctx.sim.emit(PodFinished(ctx.sim.t(), pod.key, phase))
        self._release(pod)
        self._notify_owner(pod)

    def delete(self, pod: Pod, reason: str) -> None:
        """Remove the pod object now (no grace period) and free its node at once."""
        if pod.deleted:
            return
        ctx = self.ctx
        was_active = pod.active
        pod.deleted = True
        for timer in pod.timers:
            ctx.sim.cancel(timer)
        pod.timers.clear()
        if was_active:
            self._release(pod)
        ctx.store.drop_pod(pod)
        ctx.sim.emit(PodDeleted(ctx.sim.t(), pod.key, reason))
        self._notify_owner(pod, disrupted=was_active and reason in ("evicted", "preempted"))

    def _release(self, pod: Pod) -> None:
        ctx = self.ctx
        ctx.scheduler.port.remove_pod(pod.manifest, ctx.sim.now)
        ctx.scheduler.forget(pod.key)
        if pod.node is not None:
            node = ctx.store.nodes.get(pod.node)
            if node is not None:
                node.pods.discard(pod.key)
        ctx.scheduler.kick()

    def _notify_owner(self, pod: Pod, disrupted: bool = False) -> None:
        controller = self.ctx.controllers.get(pod.owner_kind)
        if controller is not None:
            controller.pod_changed(pod, disrupted=disrupted)

    def changed(self, pod: Pod) -> None:
        """A pod's status changed (bound, Running): its owner may want to react."""
        self._notify_owner(pod)
