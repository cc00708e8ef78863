"""Pod run times from the trace, and the fake kubelet that plays them.

:class:`LifecycleBook` reproduces how SimKube's driver webhook picks a simulated pod's
lifecycle (acrlabs/simkube ``sk-driver/src/mutation.rs`` and ``sk-core`` pod owner lookup;
FORMAT.md §2.6 and §2.8):

1. the *owner* is the first member of the pod's ownership chain (the pod itself, then
   ReplicaSet -> Deployment, Job -> CronJob, ...) whose kind is tracked with
   ``trackLifecycle`` and that the trace knows (in its index or its lifecycles);
2. at pod **creation** the pod gets a sequence number from a counter per (owner, pod-spec
   stable hash);
3. once the pod is **Running**, ``pod_lifecycles[(owner GVK, "ns/owner")][bucket][seq % len]``
   is looked up, where for built-in owner kinds (all kinds this engine runs) SimKube >= 2.6.1
   ignores the hash and uses the first hash bucket;
4. ``Finished(s, e)`` -> the pod completes ``e - s`` seconds after Running; anything else (or no
   data) -> it runs until deleted.

:class:`Kubelet` moves bound pods to Running after SimKube's two KWOK stages (create, ready)
with seeded jitter, and to Succeeded when the run time is over.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.objects import KubeObject, Pod
from pytest_simkube.runrecord import PodRunning, PodScheduled

KIND_GVK = {
    "Pod": "v1.Pod",
    "ReplicaSet": "apps/v1.ReplicaSet",
    "Deployment": "apps/v1.Deployment",
    "StatefulSet": "apps/v1.StatefulSet",
    "DaemonSet": "apps/v1.DaemonSet",
    "Job": "batch/v1.Job",
    "CronJob": "batch/v1.CronJob",
}


_VOLATILE = frozenset({"nodeName", "priority", "preemptionPolicy", "schedulerName", "priorityClassName"})
_KEY_CACHE: dict[tuple[tuple[str, int], ...], tuple[list[Any], Any]] = {}


def _stable_spec_key(spec: KubeObject) -> Any:
    """Equality key for SimKube's stable pod spec (the per-hash sequence counter's key).

    Pods of one template share the template's nested values, so the key is cached on the
    identities of the spec's values (holding them, so an identity is never reused)."""
    items = sorted((k, v) for k, v in spec.items() if k not in _VOLATILE)
    ident = tuple((k, id(v)) for k, v in items)
    cached = _KEY_CACHE.get(ident)
    if cached is not None and all(a is b for a, b in zip(cached[0], (v for _, v in items), strict=True)):
        return cached[1]
    value = _compute_stable_spec_key(spec)
    if len(_KEY_CACHE) > 100_000:
        _KEY_CACHE.clear()
    _KEY_CACHE[ident] = ([v for _, v in items], value)
    return value


def _compute_stable_spec_key(spec: KubeObject) -> Any:
    try:
        from pytest_simkube.trace import pod_spec_stable_hash  # type: ignore[attr-defined]
    except ImportError:
        pod_spec_stable_hash = None
    if pod_spec_stable_hash is not None:
        try:
            return pod_spec_stable_hash(spec)
        except Exception:
            pass
    stripped = {k: v for k, v in spec.items()
                if k not in ("nodeName", "serviceAccount", "serviceAccountName", "priority",
                             "preemptionPolicy", "schedulerName")}
    stripped["containers"] = [{k: v for k, v in c.items() if k != "ports"}
                              for c in spec.get("containers") or ()]
    return json.dumps(stripped, sort_keys=True, default=str)


def controller_of(obj: KubeObject) -> tuple[str, str] | None:
    """(kind, name) of the controlling ownerReference (or the first one)."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    for ref in refs:
        if ref.get("controller"):
            return ref.get("kind", ""), ref.get("name", "")
    if refs:
        return refs[0].get("kind", ""), refs[0].get("name", "")
    return None


class LifecycleBook:
    def __init__(self, ctx: EngineContext, trace: Any | None) -> None:
        self.ctx = ctx
        self.trace = trace
        self._counters: dict[tuple[tuple[str, str], Any], int] = {}
        self._enabled: set[str] = set()
        if trace is not None:
            for gvk, cfg in trace.config.tracked_objects.items():
                if cfg.track_lifecycle:
                    self._enabled.add(gvk)

    def owner_chain(self, pod: Pod) -> list[tuple[str, str]]:
        """[(GVK, "ns/name"), ...] from the pod itself up its controllers."""
        ns = pod.namespace
        chain = [("v1.Pod", pod.key)]
        kind, name = pod.owner_kind, pod.owner_name
        seen = 0
        while kind and seen < 8:
            gvk = KIND_GVK.get(kind, kind)
            chain.append((gvk, f"{ns}/{name}"))
            obj = self.ctx.store.get(kind, f"{ns}/{name}")
            parent = controller_of(obj) if obj is not None else None
            kind, name = parent if parent else ("", "")
            seen += 1
        return chain

    def owner_of(self, pod: Pod) -> tuple[str, str] | None:
        trace = self.trace
        if trace is None:
            return None
        for gvk, key in self.owner_chain(pod):
            if gvk not in self._enabled:
                continue
            if key in trace.index.get(gvk, {}) or (gvk, key) in trace.pod_lifecycles:
                return gvk, key
        return None

    def assign_sequence(self, pod: Pod) -> None:
        owner = self.owner_of(pod)
        if owner is None:
            return
        counter_key = (owner, _stable_spec_key(pod.manifest.get("spec") or {}))
        seq = self._counters.get(counter_key, 0)
        self._counters[counter_key] = seq + 1
        pod.lifecycle_owner = owner
        pod.lifecycle_seq = seq

    def run_seconds(self, pod: Pod) -> float | None:
        """The pod's traced run time, or None when it should run until deleted."""
        if pod.lifecycle_owner is None or self.trace is None:
            return None
        buckets = self.trace.pod_lifecycles.get(pod.lifecycle_owner)
        if not buckets:
            return None
        first = next(iter(buckets.values()))
        if not first:
            return None
        lifecycle = first[pod.lifecycle_seq % len(first)]
        duration = lifecycle.duration
        return None if duration is None else float(max(duration, 0))


class Kubelet:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._rng = ctx.sim.rng("kubelet")

    def _delay(self, base: float, jitter: float) -> float:
        if jitter <= base:
            return base
        return float(self._rng.uniform(base, jitter))

    def bind(self, pod: Pod, node_name: str, attempt: int) -> None:
        ctx = self.ctx
        pod.node = node_name
        pod.bound_at = ctx.sim.now
        pod.manifest["spec"]["nodeName"] = node_name
        node = ctx.store.nodes.get(node_name)
        if node is not None:
            node.pods.add(pod.key)
        ctx.sim.emit(PodScheduled(ctx.sim.t(), pod.key, node_name, attempt))
        opts = ctx.options
        startup = self._delay(opts.pod_create_delay, opts.pod_create_jitter) + \
            self._delay(opts.pod_ready_delay, opts.pod_ready_jitter)
        pod.timers.append(ctx.sim.after(startup, self._running, pod))
        ctx.pods.changed(pod)

    def _running(self, pod: Pod) -> None:
        if not pod.active:
            return
        ctx = self.ctx
        pod.phase = "Running"
        pod.running_at = ctx.sim.now
        ctx.sim.emit(PodRunning(ctx.sim.t(), pod.key, pod.node or ""))
        pod.run_seconds = ctx.lifecycles.run_seconds(pod)
        if pod.run_seconds is not None:
            # Window-only: a pod finishing after the trace is over is not replayed.
            pod.timers.append(ctx.sim.after(pod.run_seconds, ctx.pods.finish, pod, window_only=True))
        ctx.pods.changed(pod)
