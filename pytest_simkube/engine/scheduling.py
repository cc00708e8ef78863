"""What the engine needs from a scheduler, and a minimal resource-fit scheduler.

The engine talks to any scheduler through :class:`SchedulerPort`: it reports cluster
changes (nodes and pods appearing and disappearing) and asks for one decision at a time in
virtual time. The full kube-scheduler model lives in ``engine/scheduler/``;
:class:`ResourceFitScheduler` here is a deliberately small one (resources, node selector /
required node affinity, taints; least-allocated choice; no preemption) for engine tests
and for runs that only care about the workload side.

Queue semantics follow kube-scheduler's ``SchedulingQueue``
(pkg/scheduler/internal/queue/scheduling_queue.go): activeQ ordered by priority then
enqueue time; a failed pod waits ``min(1 s * 2^(attempts-1), 10 s)`` backoff and sits in the
unschedulable pool until a cluster event moves it back - a node added moves every pod, a pod
removed only pods some node rejected for resources (1.30 queueing hints) - or for at most
5 minutes (``podMaxInUnschedulablePodsDuration``).
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from pytest_simkube.engine.objects import (
    KubeObject,
    node_allocatable,
    node_matches_pod,
    pod_requests,
    untolerated_taint,
)

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
MAX_IN_UNSCHEDULABLE = 300.0


@dataclass(slots=True)
class Decision:
    """The outcome of one scheduling cycle.

    ``node`` is None when the pod did not fit; then ``reasons`` counts rejecting nodes per
    plugin and ``message`` is kube-scheduler's aggregated FitError text. ``victims`` are pod
    keys to delete so a preemptor can fit (it is then retried, not bound).
    """

    pod: str
    node: str | None
    attempt: int
    reasons: dict[str, int] = field(default_factory=dict)
    message: str = ""
    victims: tuple[str, ...] = ()
    nominated_node: str | None = None


class SchedulerPort(Protocol):
    """The engine's view of a scheduler. Pods are v1.Pod dicts with ``spec.priority`` set."""

    def add_node(self, node: KubeObject, now: float = 0.0) -> None: ...

    def update_node(self, node: KubeObject, now: float = 0.0) -> None:
        """A Ready node's manifest changed (taints, ``spec.unschedulable``, labels)."""

    def remove_node(self, name: str, now: float = 0.0) -> None: ...

    def add_pod(self, pod: KubeObject, now: float) -> None:
        """A new pod: queued if unbound, accounted on its node if ``spec.nodeName`` is set."""

    def remove_pod(self, pod: KubeObject, now: float) -> None:
        """A pod was deleted or finished: free its resources / drop it from the queue."""

    def schedule_one(self, now: float) -> Decision | None:
        """Run one cycle for the next ready pod; None when no pod is ready at ``now``."""

    def next_wakeup(self, now: float) -> float | None:
        """When a waiting pod becomes ready to retry, or None."""


def _key(pod: KubeObject) -> str:
    meta = pod["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


class ResourceFitScheduler:
    """Least-allocated placement over NumPy node arrays; see the module docstring."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        self._labels: list[dict[str, str]] = []
        self._taints: list[list[KubeObject]] = []
        cap = 64
        self._alive = np.zeros(cap, dtype=bool)
        self._alloc = np.zeros((cap, 3), dtype=np.int64)
        self._used = np.zeros((cap, 3), dtype=np.int64)
        self._mask_cache: dict[str, np.ndarray] = {}
        self._pods: dict[str, tuple[KubeObject, tuple[int, int], int]] = {}
        self._shape: dict[str, str] = {}
        self._static_only: set[str] = set()
        """Unschedulable pods no node rejected for resources: freed resources cannot help them
        (kube-scheduler 1.30's queueing hints skip them on pod deletion)."""
        self._placed: dict[str, tuple[int, int, int]] = {}
        self._active: list[tuple[int, int, str]] = []
        self._in_active: set[str] = set()
        self._backoff: list[tuple[float, int, str]] = []
        self._unschedulable: dict[str, float] = {}
        self._attempts: dict[str, int] = {}
        self._seq = 0

    # -- nodes --------------------------------------------------------------------
    def add_node(self, node: KubeObject, now: float = 0.0) -> None:
        name = node["metadata"]["name"]
        if name in self._index:
            return
        i = len(self._names)
        if i >= len(self._alive):
            grow = len(self._alive)
            self._alive = np.concatenate([self._alive, np.zeros(grow, dtype=bool)])
            self._alloc = np.concatenate([self._alloc, np.zeros((grow, 3), dtype=np.int64)])
            self._used = np.concatenate([self._used, np.zeros((grow, 3), dtype=np.int64)])
        self._names.append(name)
        self._index[name] = i
        self._labels.append((node.get("metadata") or {}).get("labels") or {})
        self._taints.append((node.get("spec") or {}).get("taints") or [])
        self._alive[i] = True
        self._alloc[i] = node_allocatable(node)
        self._used[i] = 0
        self._mask_cache.clear()
        self._cluster_event()

    def update_node(self, node: KubeObject, now: float = 0.0) -> None:
        i = self._index[node["metadata"]["name"]]
        self._labels[i] = (node.get("metadata") or {}).get("labels") or {}
        self._taints[i] = (node.get("spec") or {}).get("taints") or []
        self._mask_cache.clear()
        self._cluster_event()

    def remove_node(self, name: str, now: float = 0.0) -> None:
        i = self._index.get(name)
        if i is not None:
            self._alive[i] = False

    # -- pods ---------------------------------------------------------------------
    def add_pod(self, pod: KubeObject, now: float) -> None:
        key = _key(pod)
        spec = pod.get("spec") or {}
        self._pods[key] = (pod, pod_requests(spec), int(spec.get("priority") or 0))
        placement = [spec.get("nodeSelector"), spec.get("affinity"), spec.get("tolerations")]
        self._shape[key] = json.dumps(placement, sort_keys=True)
        node = spec.get("nodeName")
        if node:
            self._place(key, node)
        else:
            self._push_active(key)

    def remove_pod(self, pod: KubeObject, now: float) -> None:
        key = _key(pod)
        self._pods.pop(key, None)
        self._shape.pop(key, None)
        self._static_only.discard(key)
        self._unschedulable.pop(key, None)
        self._attempts.pop(key, None)
        self._in_active.discard(key)
        placed = self._placed.pop(key, None)
        if placed is not None:
            i, cpu, mem = placed
            self._used[i] -= (cpu, mem, 1)
            self._cluster_event(resources_only=True)

    def _place(self, key: str, node: str) -> None:
        i = self._index.get(node)
        if i is None:
            return
        _, (cpu, mem), _ = self._pods[key]
        self._used[i] += (cpu, mem, 1)
        self._placed[key] = (i, cpu, mem)

    def _push_active(self, key: str) -> None:
        if key in self._in_active or key not in self._pods:
            return
        self._in_active.add(key)
        self._seq += 1
        heapq.heappush(self._active, (-self._pods[key][2], self._seq, key))

    def _cluster_event(self, resources_only: bool = False) -> None:
        """Move unschedulable pods back (to backoff if still backing off, else active): all of
        them for a new node, only those short of resources when resources were freed."""
        if not self._unschedulable:
            return
        moved = [k for k in self._unschedulable if not (resources_only and k in self._static_only)]
        for key in sorted(moved, key=lambda k: (self._unschedulable[k], k)):
            self._requeue(key)
            del self._unschedulable[key]

    def _requeue(self, key: str) -> None:
        attempts = self._attempts.get(key, 0)
        backoff = min(INITIAL_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
        ready = self._unschedulable.get(key, 0.0) + backoff
        self._seq += 1
        heapq.heappush(self._backoff, (ready, self._seq, key))

    # -- cycles -------------------------------------------------------------------
    def _promote(self, now: float) -> None:
        backoff = self._backoff
        while backoff and backoff[0][0] <= now:
            _, _, key = heapq.heappop(backoff)
            self._push_active(key)
        if self._unschedulable and now - min(self._unschedulable.values()) >= MAX_IN_UNSCHEDULABLE:
            stale = [k for k, t in self._unschedulable.items() if now - t >= MAX_IN_UNSCHEDULABLE]
            for key in stale:
                del self._unschedulable[key]
                self._push_active(key)

    def next_wakeup(self, now: float) -> float | None:
        times = []
        while self._backoff and self._backoff[0][2] not in self._pods:
            heapq.heappop(self._backoff)
        if self._backoff:
            times.append(self._backoff[0][0])
        if self._unschedulable:
            times.append(min(self._unschedulable.values()) + MAX_IN_UNSCHEDULABLE)
        return min(times) if times else None

    def schedule_one(self, now: float) -> Decision | None:
        self._promote(now)
        while self._active:
            _, _, key = heapq.heappop(self._active)
            if key in self._in_active:
                self._in_active.discard(key)
                break
        else:
            return None
        pod, (cpu, mem), _ = self._pods[key]
        attempt = self._attempts.get(key, 0) + 1
        self._attempts[key] = attempt
        n = len(self._names)
        static = self._static_mask(pod, self._shape[key])[:n]
        alive = self._alive[:n]
        free = self._alloc[:n] - self._used[:n]
        cpu_ok = free[:, 0] >= cpu
        mem_ok = free[:, 1] >= mem
        pods_ok = free[:, 2] >= 1
        fits = alive & static & cpu_ok & mem_ok & pods_ok
        if fits.any():
            alloc = np.maximum(self._alloc[:n, :2], 1)
            score = ((free[:, 0] - cpu) / alloc[:, 0] + (free[:, 1] - mem) / alloc[:, 1]) * 50.0
            score = np.where(fits, np.floor(score), -1.0)
            i = int(np.argmax(score))
            self._place(key, self._names[i])
            return Decision(key, self._names[i], attempt)
        return self._unfit(key, attempt, now, alive, static, cpu_ok, mem_ok, pods_ok)

    def _unfit(self, key: str, attempt: int, now: float, alive: np.ndarray, static: np.ndarray,
               cpu_ok: np.ndarray, mem_ok: np.ndarray, pods_ok: np.ndarray) -> Decision:
        self._unschedulable[key] = now
        total = int(alive.sum())
        if total and not (alive & static & ~(pods_ok & cpu_ok & mem_ok)).any():
            self._static_only.add(key)
        else:
            self._static_only.discard(key)
        counts: dict[str, int] = {}
        if total:
            considered = alive & static
            reasons = {
                "Too many pods": int((considered & ~pods_ok).sum()),
                "Insufficient cpu": int((considered & pods_ok & ~cpu_ok).sum()),
                "Insufficient memory": int((considered & pods_ok & ~mem_ok).sum()),
                "node(s) didn't match Pod's node affinity/selector or had untolerated taint":
                    int((alive & ~static).sum()),
            }
            parts = sorted((f"{v} {k}" for k, v in reasons.items() if v))
            message = f"0/{total} nodes are available: {', '.join(parts)}."
            fit_nodes = int((considered & ~(pods_ok & cpu_ok & mem_ok)).sum())
            if fit_nodes:
                counts["NodeResourcesFit"] = fit_nodes
            if reasons[next(reversed(reasons))]:
                counts["NodeAffinity"] = reasons[next(reversed(reasons))]
        else:
            message = "no nodes available to schedule pods"
        return Decision(key, None, attempt, counts, message)

    def _static_mask(self, pod: KubeObject, shape: str) -> np.ndarray:
        spec = pod.get("spec") or {}
        mask = self._mask_cache.get(shape)
        if mask is None or len(mask) < len(self._names):
            tolerations = spec.get("tolerations") or []
            mask = np.zeros(len(self._alive), dtype=bool)
            for i, name in enumerate(self._names):
                mask[i] = node_matches_pod(name, self._labels[i], spec) and \
                    untolerated_taint(tolerations, self._taints[i], ("NoSchedule", "NoExecute")) is None
            self._mask_cache[shape] = mask
        return mask

    def pending(self) -> list[str]:
        return sorted(set(self._pods) - set(self._placed))

    def snapshot(self) -> dict[str, Any]:
        return {"nodes": len(self._names), "placed": len(self._placed)}
