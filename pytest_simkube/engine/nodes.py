"""Nodes: the scenario's static nodes, node groups (starting at ``min``), and the node
operations an autoscaler needs (provision after a delay, drain and remove).

A provisioned node is recorded as NodeAdded when the instance is requested (it is paid for
from then on) and NodeReady at ``ready_at``; only a Ready node is offered to the scheduler
and to DaemonSets, as a real node is only schedulable once its kubelet reports Ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.objects import KubeObject, Node, json_copy, node_allocatable
from pytest_simkube.runrecord import NodeAdded, NodeReady, NodeRemoved

NodeWatcher = Callable[[str, Node], None]
"""``watcher(verb, node)`` with verb ``ready``, ``updated`` (taints, cordon) or ``removed``."""


@dataclass
class NodeGroupState:
    """A node group's spec (the scenario's NodeGroupSpec) and its live members."""

    spec: Any
    target: int = 0
    nodes: list[str] = field(default_factory=list)
    next_index: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def size(self) -> int:
        return len(self.nodes)


class NodeManager:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.groups: dict[str, NodeGroupState] = {}
        self._watchers: list[NodeWatcher] = []

    def watch(self, watcher: NodeWatcher) -> None:
        self._watchers.append(watcher)

    # -- set-up -------------------------------------------------------------------
    def add_static(self, manifest: KubeObject) -> Node:
        return self.add_node(json_copy(manifest), group="", ready_at=self.ctx.sim.now)

    def add_group(self, spec: Any) -> NodeGroupState:
        state = self.groups[spec.name] = NodeGroupState(spec)
        for _ in range(int(spec.min_size)):
            self.provision_node(spec.name, ready_at=self.ctx.sim.now)
        return state

    # -- operations ---------------------------------------------------------------
    def provision_node(self, group: str, ready_at: float) -> str:
        """Create the next node of ``group``; it becomes Ready (schedulable) at ``ready_at``."""
        state = self.groups[group]
        while True:
            manifest = json_copy(state.spec.node_manifest(state.next_index))
            state.next_index += 1
            if manifest["metadata"]["name"] not in self.ctx.store.nodes:
                break
        state.nodes.append(manifest["metadata"]["name"])
        state.target = max(state.target, state.size)
        self.add_node(manifest, group=group, ready_at=ready_at)
        return manifest["metadata"]["name"]

    def add_node(self, manifest: KubeObject, group: str, ready_at: float) -> Node:
        ctx = self.ctx
        cpu, memory, max_pods = node_allocatable(manifest)
        name = manifest["metadata"]["name"]
        node = Node(name=name, manifest=manifest, group=group, cpu=cpu, memory=memory, max_pods=max_pods,
                    added_at=ctx.sim.now)
        ctx.store.nodes[name] = node
        ctx.sim.emit(NodeAdded(ctx.sim.t(), name, group, cpu, memory))
        if ready_at <= ctx.sim.now:
            self._ready(node)
        else:
            ctx.sim.at(ready_at, self._ready, node)
        return node

    def _ready(self, node: Node) -> None:
        ctx = self.ctx
        if node.removing or node.name not in ctx.store.nodes:
            return
        node.ready = True
        ctx.sim.emit(NodeReady(ctx.sim.t(), node.name))
        ctx.scheduler.port.add_node(node.manifest, ctx.sim.now)
        ctx.scheduler.kick()
        for watcher in self._watchers:
            watcher("ready", node)

    def drain_and_remove_node(self, name: str, reason: str, pod_reason: str = "evicted") -> list[str]:
        """Evict every pod on the node (controllers recreate them), then delete the node.

        Returns the evicted pod keys. The node leaves its group, and the group's target
        shrinks with it (cluster-autoscaler's ``DeleteNodes`` decreases the target size).
        """
        ctx = self.ctx
        node = ctx.store.nodes.get(name)
        if node is None:
            return []
        if node.ready and not node.removing:
            # Only a Ready node was ever offered to the scheduler; one still booting is
            # simply cancelled (its pending ``_ready`` sees ``removing`` and does nothing).
            ctx.scheduler.port.remove_node(name, ctx.sim.now)
        node.removing = True
        evicted = sorted(node.pods)
        for key in evicted:
            pod = ctx.store.pods.get(key)
            if pod is not None:
                ctx.pods.delete(pod, pod_reason)
        del ctx.store.nodes[name]
        state = self.groups.get(node.group)
        if state is not None and name in state.nodes:
            state.nodes.remove(name)
            state.target = max(state.size, state.target - 1)
        ctx.sim.emit(NodeRemoved(ctx.sim.t(), name, reason))
        for watcher in self._watchers:
            watcher("removed", node)
        return evicted

    def update_node(self, name: str, change: Callable[[KubeObject], None]) -> Node:
        """Apply ``change`` to a copy of the node's manifest and publish it: the scheduler
        sees the new taints / ``spec.unschedulable`` (its ``updateNodeInCache``) and node
        watchers get ``updated``. A node still booting is updated in place and offered to the
        scheduler as changed when it becomes Ready. Raises KeyError for an unknown node."""
        node = self.ctx.store.nodes[name]
        manifest = json_copy(node.manifest)
        manifest.setdefault("spec", {})
        change(manifest)
        node.manifest = manifest
        if node.ready and not node.removing:
            self.ctx.scheduler.port.update_node(manifest, self.ctx.sim.now)
            self.ctx.scheduler.kick()
            for watcher in self._watchers:
                watcher("updated", node)
        return node

    def taint_node(self, name: str, taint: KubeObject) -> Node:
        """Add (or replace, by key and effect) a taint, as ``kubectl taint`` does."""

        def add(manifest: KubeObject) -> None:
            taints = [t for t in manifest["spec"].get("taints") or []
                      if (t.get("key"), t.get("effect")) != (taint.get("key"), taint.get("effect"))]
            manifest["spec"]["taints"] = [*taints, dict(taint)]

        return self.update_node(name, add)

    def untaint_node(self, name: str, key: str, effect: str | None = None) -> Node:
        """Remove the taints with ``key`` (and ``effect`` when given)."""

        def remove(manifest: KubeObject) -> None:
            manifest["spec"]["taints"] = [
                t for t in manifest["spec"].get("taints") or []
                if t.get("key") != key or (effect is not None and t.get("effect") != effect)]

        return self.update_node(name, remove)

    def cordon_node(self, name: str, cordoned: bool = True) -> Node:
        """Set ``spec.unschedulable`` (``kubectl cordon`` / ``uncordon``); the scheduler's
        NodeUnschedulable plugin then rejects pods that do not tolerate
        ``node.kubernetes.io/unschedulable:NoSchedule``."""

        def cordon(manifest: KubeObject) -> None:
            if cordoned:
                manifest["spec"]["unschedulable"] = True
            else:
                manifest["spec"].pop("unschedulable", None)

        return self.update_node(name, cordon)

    def ready_nodes(self) -> list[Node]:
        return [n for n in self.ctx.store.nodes.values() if n.ready and not n.removing]
