"""DaemonSet controller: one pod on every Ready node the pod can run on.

Upstream: kubernetes/kubernetes pkg/controller/daemon/daemon_controller.go (``manage``,
``podsShouldBeOnNode``, ``NodeShouldRunDaemonPod``) and daemon/util/daemonset_util.go.

* A node is eligible when the pod template's nodeSelector / required node affinity match it
  and the pod tolerates its NoSchedule/NoExecute taints, counting the tolerations every
  daemon pod gets (``AddOrUpdateDaemonPodTolerations``: not-ready, unreachable,
  disk-pressure, memory-pressure, pid-pressure, unschedulable).
* Since Kubernetes 1.12 (ScheduleDaemonSetPods, kubernetes/kubernetes#63223; GA 1.17)
  daemon pods are bound by the default scheduler: the controller pins each pod to its node
  with a required node affinity ``matchFields metadata.name In [node]``
  (``ReplaceDaemonSetPodNodeNameNodeAffinity``) and the scheduler does the rest - so a full
  node leaves the daemon pod Pending.
* Surplus or terminal pods are deleted; nodes that become Ready later get their pod on the
  next sync. RollingUpdate (maxUnavailable default 1) replaces outdated pods a few at a time.
"""

from __future__ import annotations

from pytest_simkube.engine.controllers.base import Controller, int_or_percent, pod_manifest, template_hash
from pytest_simkube.engine.objects import (
    KubeObject,
    Node,
    Pod,
    json_copy,
    node_matches_pod,
    untolerated_taint,
)

DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def daemon_pod_spec(template_spec: KubeObject, node_name: str) -> KubeObject:
    spec = dict(template_spec)
    tolerations = list(spec.get("tolerations") or [])
    for tol in DAEMON_TOLERATIONS:
        if tol not in tolerations:
            tolerations.append(tol)
    spec["tolerations"] = tolerations
    affinity = json_copy(spec.get("affinity") or {})
    affinity.setdefault("nodeAffinity", {})["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
    spec["affinity"] = affinity
    return spec


def should_run(template_spec: KubeObject, node: Node) -> bool:
    if not node_matches_pod(node.name, node.labels, template_spec):
        return False
    tolerations = list(template_spec.get("tolerations") or []) + DAEMON_TOLERATIONS
    return untolerated_taint(tolerations, node.taints) is None


class DaemonSetController(Controller):
    kind = "DaemonSet"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        ctx.nodes.watch(self._node_changed)

    def _node_changed(self, verb: str, node: Node) -> None:
        for key in sorted(self.ctx.store.objects[self.kind]):
            self.enqueue(key)

    def sync(self, key: str, obj: KubeObject) -> None:
        ctx = self.ctx
        spec = obj.get("spec") or {}
        template = spec.get("template") or {}
        tspec = template.get("spec") or {}
        revision = template_hash(template)
        name = obj["metadata"]["name"]
        ns = obj["metadata"].get("namespace", "default")
        by_node: dict[str, list[Pod]] = {}
        for pod in ctx.store.pods_of(self.kind, key):
            target = pod.manifest["spec"]["affinity"]["nodeAffinity"][
                "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchFields"][0][
                "values"][0]
            by_node.setdefault(target, []).append(pod)
        nodes = {n.name: n for n in ctx.nodes.ready_nodes()}
        for node_name, pods in sorted(by_node.items()):
            node = nodes.get(node_name)
            for pod in pods:
                if not pod.active:
                    ctx.pods.delete(pod, "completed")
                elif node is None or not should_run(tspec, node):
                    ctx.pods.delete(pod, "scaled-down")
        outdated: list[Pod] = []
        for node_name in sorted(nodes):
            node = nodes[node_name]
            if not should_run(tspec, node):
                continue
            active = [p for p in by_node.get(node_name, []) if p.active]
            if not active:
                manifest = pod_manifest(template, ns, self.new_pod_name(obj), obj, self.kind)
                manifest["spec"] = daemon_pod_spec(tspec, node_name)
                ctx.pods.create(manifest, owner_kind=self.kind, owner_name=name, revision=revision)
            else:
                for extra in active[1:]:
                    ctx.pods.delete(extra, "scaled-down")
                if active[0].revision != revision:
                    outdated.append(active[0])
        strategy = spec.get("updateStrategy") or {}
        if outdated and (strategy.get("type") or "RollingUpdate") == "RollingUpdate":
            desired = sum(1 for n in nodes.values() if should_run(tspec, n))
            max_unavailable = max(1, int_or_percent(
                (strategy.get("rollingUpdate") or {}).get("maxUnavailable"), desired, True, "1"))
            unavailable = sum(1 for p in ctx.store.pods_of(self.kind, key) if p.active and not p.ready)
            for pod in outdated[: max(0, max_unavailable - unavailable)]:
                ctx.pods.delete(pod, "scaled-down")
                self.enqueue(key)
