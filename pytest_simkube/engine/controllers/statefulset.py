"""StatefulSet controller: pods ``<name>-0 .. <name>-(replicas-1)`` with stable names.

Upstream: kubernetes/kubernetes pkg/controller/statefulset/stateful_set_control.go
(``updateStatefulSet``, ``processReplica``, ``processCondemned``) and stateful_set_utils.go.

* ``OrderedReady`` (default): pods are created in ordinal order, each only once every lower
  ordinal is Running and Ready ("monotonic"); surplus pods are deleted from the highest
  ordinal down, one at a time, each only when all others are healthy.
* ``Parallel``: every missing pod is created and every surplus pod deleted in one sync.
* A pod that Succeeded or Failed is deleted and re-created (``processReplica``).
* RollingUpdate (default strategy, partition 0): once all pods are healthy, the pod with the
  highest ordinal not at the current revision (template hash) is deleted; it comes back at
  the new revision. ``OnDelete`` leaves outdated pods alone.
"""

from __future__ import annotations

from pytest_simkube.engine.controllers.base import Controller, pod_manifest, template_hash
from pytest_simkube.engine.objects import KubeObject, Pod


class StatefulSetController(Controller):
    kind = "StatefulSet"

    def sync(self, key: str, obj: KubeObject) -> None:
        ctx = self.ctx
        spec = obj.get("spec") or {}
        name = obj["metadata"]["name"]
        ns = obj["metadata"].get("namespace", "default")
        replicas = int(spec.get("replicas", 1))
        monotonic = (spec.get("podManagementPolicy") or "OrderedReady") != "Parallel"
        template = spec.get("template") or {}
        revision = template_hash(template)
        pods: dict[int, Pod] = {p.ordinal: p for p in ctx.store.pods_of(self.kind, key)}

        for ordinal in range(replicas):
            pod = pods.get(ordinal)
            if pod is not None and not pod.active:
                ctx.pods.delete(pod, "completed")
                pod = None
            if pod is None:
                manifest = pod_manifest(template, ns, f"{name}-{ordinal}", obj, self.kind,
                                        {"statefulset.kubernetes.io/pod-name": f"{name}-{ordinal}",
                                         "apps.kubernetes.io/pod-index": str(ordinal)})
                manifest["spec"].setdefault("hostname", f"{name}-{ordinal}")
                pods[ordinal] = ctx.pods.create(manifest, owner_kind=self.kind, owner_name=name,
                                                revision=revision, ordinal=ordinal) or pods.get(ordinal)
                if monotonic:
                    return
            elif monotonic and not pod.ready:
                return

        condemned = sorted((o for o in pods if o >= replicas), reverse=True)
        for ordinal in condemned:
            if monotonic and any(not p.ready for o, p in pods.items() if o != ordinal and o < replicas):
                return
            ctx.pods.delete(pods.pop(ordinal), "scaled-down")
            if monotonic:
                return

        strategy = (spec.get("updateStrategy") or {})
        if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
            return
        partition = int(((strategy.get("rollingUpdate") or {}).get("partition")) or 0)
        if any(not p.ready for o, p in pods.items() if o < replicas):
            return
        for ordinal in range(replicas - 1, partition - 1, -1):
            pod = pods.get(ordinal)
            if pod is not None and pod.revision != revision:
                ctx.pods.delete(pod, "scaled-down")
                self.enqueue(key)
                return
