"""The trace driver: SimKube's ``sk-driver`` replay loop, in virtual time.

Upstream behaviour (acrlabs/simkube sk-driver/src/runner.rs; FORMAT.md §2.8), kept:

* events are replayed in list order at ``ts - first ts`` seconds; applied objects are
  created or updated (``status`` dropped, as the driver strips ``/status``), deleted
  objects are deleted (a missing one is fine, like the driver's tolerated 404);
* a ``duration`` cut drops events at or after ``start + duration`` (``Trace::import``), and
  the window then lasts until ``start + duration``;
* pods come from the controllers; only when the trace holds ``v1.Pod`` objects are those
  created as bare pods (``spec.nodeName`` dropped, as the tracer strips it);
* a running bare pod that is evicted or preempted is re-created as ``<name>-clone-N``
  (SimKube 2.7 ``rescheduleInterruptedBarePods``), keeping its traced run time.

Differences, because the engine runs in virtual time: timestamps keep sub-second
precision (no integer-second sleeps), there is no ``speed`` knob (the engine is as fast as
it can be) and objects stay in their original namespaces (no ``virtual-`` prefix).
"""

from __future__ import annotations

from typing import Any

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.objects import KubeObject, Pod, json_copy
from pytest_simkube.engine.store import object_key

POD_KIND = "Pod"



class TraceDriver:
    def __init__(self, ctx: EngineContext, trace: Any, duration: float | None = None) -> None:
        self.ctx = ctx
        self.trace = trace
        start = trace.start_ts or 0
        self.start_ts = start
        cut = start + duration if duration is not None else None
        self.events = [e for e in trace.events if cut is None or e.ts < cut]
        last = self.events[-1].ts if self.events else start
        self.window_end = float(duration) if duration is not None else float(last - start)
        self._clones: dict[str, int] = {}

    def schedule(self) -> None:
        for index, event in enumerate(self.events):
            self.ctx.sim.at(float(event.ts - self.start_ts), self._apply_event, index)

    def _apply_event(self, index: int) -> None:
        event = self.events[index]
        for obj in event.applied_objs:
            self.apply(obj)
        for obj in event.deleted_objs:
            self.delete(obj)

    def apply(self, obj: KubeObject) -> None:
        kind = obj.get("kind", "")
        # Shallow copies: the engine only ever sets top-level metadata/spec fields, and the
        # trace (which a caller may replay again) must stay untouched.
        local = {k: v for k, v in obj.items() if k != "status"}
        meta = local["metadata"] = dict(obj.get("metadata") or {})
        if kind == POD_KIND:
            local["spec"] = dict(obj.get("spec") or {})
        if kind not in ("PriorityClass", "Namespace", "Node"):
            meta.setdefault("namespace", "default")
        if kind == POD_KIND:
            self._apply_pod(local)
            return
        self.ctx.store.put(kind, local)

    def _apply_pod(self, manifest: KubeObject) -> None:
        key = object_key(manifest)
        if key in self.ctx.store.pods:
            return  # a pod's spec is immutable; later applies change nothing the engine models
        manifest.get("spec", {}).pop("nodeName", None)
        manifest["metadata"].pop("ownerReferences", None)
        self.ctx.pods.create(manifest)

    def delete(self, obj: KubeObject) -> None:
        kind = obj.get("kind", "")
        meta = obj.get("metadata") or {}
        if kind == POD_KIND:
            key = f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"
            pod = self.ctx.store.pods.get(key)
            if pod is not None:
                self.ctx.pods.delete(pod, "trace")
            return
        if kind not in ("PriorityClass", "Namespace", "Node"):
            key = f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"
        else:
            key = meta.get("name", "")
        self.ctx.store.remove(kind, key)

    # -- bare pods: the controllers registry entry for owner kind "" --------------------
    def enqueue(self, key: str, delay: float | None = None) -> None:
        """Bare pods have no owner to re-sync."""

    def pod_changed(self, pod: Pod, disrupted: bool = False) -> None:
        if not disrupted or pod.running_at is None:
            return
        self.ctx.sim.after(self.ctx.options.controller_delay, self._clone, pod)

    def _clone(self, pod: Pod) -> None:
        base = pod.manifest["metadata"].get("annotations", {}).get("static.simkube.io/original-owner") \
            or pod.name
        n = self._clones.get(base, 0) + 1
        self._clones[base] = n
        manifest = json_copy(pod.manifest)
        meta = manifest["metadata"]
        meta["name"] = f"{base}-clone-{n}"
        meta.setdefault("annotations", {})["static.simkube.io/original-owner"] = base
        manifest["spec"].pop("nodeName", None)
        clone = self.ctx.pods.create(manifest)
        if clone is not None and pod.lifecycle_owner is not None:
            clone.lifecycle_owner = pod.lifecycle_owner
            clone.lifecycle_seq = pod.lifecycle_seq
