"""Deployment controller: one ReplicaSet per pod template, rolled per the strategy.

Upstream: kubernetes/kubernetes pkg/controller/deployment/{deployment_controller.go,
sync.go, rolling.go, recreate.go} and deployment/util/deployment_util.go.

* The ReplicaSet for the current template is ``<deployment>-<pod-template-hash>``; an
  unchanged template reuses it, a changed one creates it with 0 replicas.
* RollingUpdate (``rolloutRolling``): scale the new ReplicaSet up to
  ``min(replicas + maxSurge - current total, replicas - new)`` more (``NewRSNewReplicas``);
  then scale old ones down: first their unhealthy pods (``cleanupUnhealthyReplicas``), then
  by ``available - (replicas - maxUnavailable)``, oldest ReplicaSet first
  (``scaleDownOldReplicaSetsForRollingUpdate``). maxSurge rounds up, maxUnavailable down
  (both default 25%); if both resolve to 0, maxUnavailable is 1 (``ResolveFenceposts``).
* Recreate: scale all old ReplicaSets to 0, wait until none of their pods is active, then
  scale the new one to ``replicas``.
* Scaling without a template change with one active ReplicaSet sets its replicas directly.
  Deviation: during a rollout a replica change goes through the rolling formulas above
  rather than upstream's proportional scaling across ReplicaSets.
* Deleting the Deployment deletes its ReplicaSets and their pods (garbage collection).
"""

from __future__ import annotations

from pytest_simkube.engine.controllers.base import Controller, controller_ref, int_or_percent, template_hash
from pytest_simkube.engine.objects import KubeObject


def resolve_fenceposts(spec: KubeObject, replicas: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) of a RollingUpdate deployment (``ResolveFenceposts``)."""
    rolling = ((spec.get("strategy") or {}).get("rollingUpdate") or {})
    surge = int_or_percent(rolling.get("maxSurge"), replicas, True, "25%")
    unavailable = int_or_percent(rolling.get("maxUnavailable"), replicas, False, "25%")
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


class DeploymentController(Controller):
    kind = "Deployment"

    def _replicasets(self, obj: KubeObject) -> list[KubeObject]:
        rs_list = self.owned_objects("ReplicaSet", obj)
        rs_list.sort(key=lambda rs: (rs["metadata"].get("_created", 0.0), rs["metadata"]["name"]))
        return rs_list

    def _rs_controller(self):
        return self.ctx.controllers["ReplicaSet"]

    def _set_replicas(self, rs: KubeObject, replicas: int) -> None:
        if int(rs["spec"].get("replicas", 0)) != replicas:
            rs["spec"]["replicas"] = replicas
            self.ctx.store.put("ReplicaSet", rs)

    def sync(self, key: str, obj: KubeObject) -> None:
        spec = obj.get("spec") or {}
        if spec.get("paused"):
            return
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        rs_list = self._replicasets(obj)
        new_rs = self._new_replicaset(obj, template, rs_list)
        old = [rs for rs in rs_list if rs is not new_rs]
        strategy = (spec.get("strategy") or {}).get("type") or "RollingUpdate"
        if strategy == "Recreate":
            self._recreate(new_rs, old, replicas)
        else:
            self._rolling(spec, new_rs, old, replicas)

    def _new_replicaset(self, obj: KubeObject, template: KubeObject, rs_list: list[KubeObject]) -> KubeObject:
        hash_ = template_hash(template)
        for rs in rs_list:
            if (rs["metadata"].get("labels") or {}).get("pod-template-hash") == hash_:
                return rs
        meta = obj["metadata"]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels["pod-template-hash"] = hash_
        pod_template = {**template, "metadata": {**(template.get("metadata") or {}), "labels": labels}}
        only = not any(int(rs["spec"].get("replicas", 0)) for rs in rs_list)
        rs = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{meta['name']}-{hash_}", "namespace": meta.get("namespace", "default"),
                         "labels": labels, "ownerReferences": [controller_ref(obj, self.kind)],
                         "_created": self.ctx.sim.now},
            "spec": {"replicas": 0, "selector": {"matchLabels": labels}, "template": pod_template},
        }
        if only:
            # Nothing to roll from: the first ReplicaSet starts at full size (sync.go
            # getNewReplicaSet sets NewRSNewReplicas, which is `replicas` with no old pods).
            rs["spec"]["replicas"] = int((obj.get("spec") or {}).get("replicas", 1))
        self.ctx.store.put("ReplicaSet", rs)
        return rs

    def _rolling(self, spec: KubeObject, new_rs: KubeObject, old: list[KubeObject], replicas: int) -> None:
        rsc = self._rs_controller()
        all_rs = [*old, new_rs]
        new_replicas = int(new_rs["spec"].get("replicas", 0))
        surge, unavailable = resolve_fenceposts(spec, replicas)
        unavailable = min(unavailable, replicas)
        # reconcileNewReplicaSet
        if new_replicas > replicas:
            self._set_replicas(new_rs, replicas)
            return
        if new_replicas < replicas:
            total = sum(int(rs["spec"].get("replicas", 0)) for rs in all_rs)
            max_total = replicas + surge
            if total < max_total:
                wanted = new_replicas + min(max_total - total, replicas - new_replicas)
                if wanted != new_replicas:
                    self._set_replicas(new_rs, wanted)
                    return
        # reconcileOldReplicaSets
        old_active = [rs for rs in old if int(rs["spec"].get("replicas", 0)) > 0]
        if not old_active:
            return
        all_count = sum(int(rs["spec"].get("replicas", 0)) for rs in all_rs)
        min_available = replicas - unavailable
        new_unavailable = int(new_rs["spec"].get("replicas", 0)) - rsc.available(self.key_of(new_rs))
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return
        cleaned = 0
        for rs in old_active:  # cleanupUnhealthyReplicas, oldest first
            if cleaned >= max_scaled_down:
                break
            current = int(rs["spec"]["replicas"])
            healthy = rsc.available(self.key_of(rs))
            unhealthy = current - healthy
            if unhealthy <= 0:
                continue
            down = min(max_scaled_down - cleaned, unhealthy)
            self._set_replicas(rs, current - down)
            cleaned += down
        available = sum(rsc.available(self.key_of(rs)) for rs in all_rs)
        budget = available - min_available
        for rs in old_active:  # scaleDownOldReplicaSetsForRollingUpdate
            if budget <= 0:
                break
            current = int(rs["spec"]["replicas"])
            if current == 0:
                continue
            down = min(current, budget)
            self._set_replicas(rs, current - down)
            budget -= down

    def _recreate(self, new_rs: KubeObject, old: list[KubeObject], replicas: int) -> None:
        rsc = self._rs_controller()
        for rs in old:
            self._set_replicas(rs, 0)
        if any(rsc.active_pods(self.key_of(rs)) for rs in old):
            return
        self._set_replicas(new_rs, replicas)

    def on_deleted(self, key: str, obj: KubeObject | None) -> None:
        if obj is None:
            return
        for rs in self.owned_objects("ReplicaSet", obj):
            self.ctx.store.remove("ReplicaSet", self.key_of(rs))
