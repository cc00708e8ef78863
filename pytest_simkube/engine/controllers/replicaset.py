"""ReplicaSet controller: keep ``spec.replicas`` active pods.

Upstream: kubernetes/kubernetes pkg/controller/replicaset/replica_set.go (``manageReplicas``,
``getPodsToDelete``) and pkg/controller/controller_utils.go (``ActivePodsWithRanks``). Pods
to delete on scale-down are the first ``diff`` after sorting active pods by:

1. unassigned before assigned; 2. Pending < Unknown < Running; 3. not ready before ready;
4. lower ``controller.kubernetes.io/pod-deletion-cost`` first; 5. higher rank first (more
   pods of the same owner on that pod's node - "doubled up"); 6. ready for less time first;
7. higher restart count first (always 0 here); 8. newer first.
With ``LogarithmicScaleDown`` (default on since 1.22) times in 6 and 8 are compared by
``floor(log2(age in ns))`` buckets and a tie goes to the smaller UID (here: the pod name).
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cmp_to_key

from pytest_simkube.engine.controllers.base import Controller, pod_manifest
from pytest_simkube.engine.lifecycle import controller_of
from pytest_simkube.engine.objects import KubeObject, Pod

PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


def _deletion_cost(pod: Pod) -> int:
    raw = ((pod.manifest.get("metadata") or {}).get("annotations") or {}).get(DELETION_COST)
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        return 0


def _log_bucket(now: float, t: float) -> int:
    age_ns = (now - t) * 1e9
    return int(math.log2(age_ns)) if age_ns > 0 else -1


def rank_for_deletion(pods: list[Pod], related: list[Pod], now: float) -> list[Pod]:
    """Active pods sorted so the ones to delete first come first (``ActivePodsWithRanks``)."""
    on_node = Counter(p.node for p in related if p.node)
    rank = {p.key: on_node[p.node] if p.node else 0 for p in pods}

    def less(a: Pod, b: Pod) -> bool:
        if (a.node is None) != (b.node is None):
            return a.node is None
        pa, pb = PHASE_ORDINAL.get(a.phase, 0), PHASE_ORDINAL.get(b.phase, 0)
        if pa != pb:
            return pa < pb
        if a.ready != b.ready:
            return not a.ready
        ca, cb = _deletion_cost(a), _deletion_cost(b)
        if ca != cb:
            return ca < cb
        if rank[a.key] != rank[b.key]:
            return rank[a.key] > rank[b.key]
        if a.ready and b.ready and a.running_at != b.running_at:
            diff = _log_bucket(now, a.running_at or 0.0) - _log_bucket(now, b.running_at or 0.0)
            return a.name < b.name if diff == 0 else diff < 0
        if a.created_at != b.created_at:
            diff = _log_bucket(now, a.created_at) - _log_bucket(now, b.created_at)
            return a.name < b.name if diff == 0 else diff < 0
        return False

    def compare(a: Pod, b: Pod) -> int:
        if less(a, b):
            return -1
        if less(b, a):
            return 1
        return 0

    return sorted(pods, key=cmp_to_key(compare))


class ReplicaSetController(Controller):
    kind = "ReplicaSet"

    def active_pods(self, key: str) -> list[Pod]:
        return [p for p in self.ctx.store.pods_of(self.kind, key) if p.active]

    def available(self, key: str) -> int:
        """``status.availableReplicas`` with ``minReadySeconds: 0``: ready pods."""
        return sum(1 for p in self.ctx.store.pods_of(self.kind, key) if p.active and p.ready)

    def sync(self, key: str, obj: KubeObject) -> None:
        ctx = self.ctx
        replicas = int((obj.get("spec") or {}).get("replicas", 1))
        active = self.active_pods(key)
        diff = len(active) - replicas
        if diff < 0:
            template = (obj.get("spec") or {}).get("template") or {}
            ns = obj["metadata"].get("namespace", "default")
            revision = ((obj["metadata"].get("labels") or {}).get("pod-template-hash")) or ""
            for _ in range(-diff):
                manifest = pod_manifest(template, ns, self.new_pod_name(obj), obj, self.kind)
                ctx.pods.create(manifest, owner_kind=self.kind, owner_name=obj["metadata"]["name"],
                                revision=revision)
        elif diff > 0:
            related = self._related_pods(obj, active)
            for pod in rank_for_deletion(active, related, ctx.sim.now)[:diff]:
                ctx.pods.delete(pod, "scaled-down")

    def _related_pods(self, obj: KubeObject, own: list[Pod]) -> list[Pod]:
        """Active pods of every ReplicaSet with the same controlling owner (``getRelatedPods``)."""
        owner = controller_of(obj)
        if owner is None:
            return own
        ns = obj["metadata"].get("namespace", "")
        pods: list[Pod] = []
        for rs in self.ctx.store.children(self.kind, owner[0], f"{ns}/{owner[1]}"):
            pods.extend(self.active_pods(self.key_of(rs)))
        return pods

    def pod_changed(self, pod: Pod, disrupted: bool = False) -> None:
        key = f"{pod.namespace}/{pod.owner_name}"
        self.enqueue(key)
        rs = self.ctx.store.get(self.kind, key)
        owner = controller_of(rs) if rs is not None else None
        if owner is not None:
            parent = self.ctx.controllers.get(owner[0])
            if parent is not None:
                parent.enqueue(f"{pod.namespace}/{owner[1]}")
