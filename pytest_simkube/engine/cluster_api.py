"""The cluster as an autoscaler sees it: the engine's API for ``engine/autoscaler/``.

cluster-autoscaler talks to the API server (pods, nodes, PDBs) and to a cloud provider
(node groups, target sizes, deleting instances). :class:`ClusterAPI` offers both halves over
the embedded engine, in virtual time, and records the autoscaler's decisions (ScaleUp,
ScaleDown) in the RunRecord. Everything here is read-only except the methods that say
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.controllers.base import int_or_percent
from pytest_simkube.engine.nodes import NodeGroupState
from pytest_simkube.engine.objects import KubeObject, Node, Pod
from pytest_simkube.engine.scheduling import Decision
from pytest_simkube.errors import TraceError
from pytest_simkube.kube.labels import LabelSelectorError, Selector, label_selector_as_selector
from pytest_simkube.runrecord import ScaleDown, ScaleUp


def _labels(pod: Pod) -> dict[str, str]:
    return (pod.manifest.get("metadata") or {}).get("labels") or {}


class ClusterAPI:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._selectors: dict[int, tuple[KubeObject, Selector]] = {}

    def _pdb_selector(self, pdb: KubeObject) -> Selector:
        """The PDB's ``spec.selector`` as the disruption controller reads it
        (``metav1.LabelSelectorAsSelector``: absent matches nothing, ``{}`` every pod of
        the namespace), compiled once per stored object. A malformed one is a TraceError."""
        cached = self._selectors.get(id(pdb))
        if cached is not None and cached[0] is pdb:
            return cached[1]
        try:
            selector = label_selector_as_selector((pdb.get("spec") or {}).get("selector"))
        except LabelSelectorError as exc:
            meta = pdb.get("metadata") or {}
            where = f"PodDisruptionBudget {meta.get('namespace', 'default')}/{meta.get('name', '')}"
            raise exc.to_input_error(TraceError, self._ctx.sim.run.header.trace or None,
                                     f"{where}: spec.selector") from None
        self._selectors[id(pdb)] = (pdb, selector)
        return selector

    # -- time and randomness ------------------------------------------------------
    @property
    def now(self) -> float:
        """Virtual seconds since the replay started."""
        return self._ctx.sim.now

    def rng(self, component: str) -> np.random.Generator:
        """A seeded generator of the component's own (e.g. for the ``random`` expander)."""
        return self._ctx.sim.rng(component)

    def every(self, interval: float, callback: Callable[[], Any], *, first: float | None = None) -> None:
        """Run ``callback()`` every ``interval`` virtual seconds (``scanInterval``), as a
        background timer: it never keeps a finished replay alive by itself."""
        self._ctx.sim.every(interval, callback, first=first)

    def after(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        self._ctx.sim.after(delay, callback, *args)

    # -- pods ---------------------------------------------------------------------
    def unschedulable_pods(self) -> list[tuple[Pod, Decision]]:
        """Pending pods whose last scheduling cycle failed, with that cycle's reasons and
        message, oldest first (what CA lists as ``PodScheduled=False, reason Unschedulable``)."""
        store = self._ctx.store
        out = []
        for key, decision in self._ctx.scheduler.unschedulable.items():
            pod = store.pods.get(key)
            if pod is not None and pod.active and pod.node is None:
                out.append((pod, decision))
        out.sort(key=lambda item: (item[0].created_at, item[0].key))
        return out

    def on_unschedulable(self, callback: Callable[[Pod, Decision], Any]) -> None:
        """Call ``callback(pod, decision)`` whenever a pod turns unschedulable (first failed
        cycle since it was last schedulable), right after that instant's scheduling cycles:
        the hook for cluster-autoscaler's frequent-loops trigger (core/utils ``LoopTrigger``),
        which starts a loop early when new unschedulable pods appear."""
        self._ctx.scheduler.on_unschedulable(callback)

    def pods_on_node(self, node: str) -> list[Pod]:
        n = self._ctx.store.nodes.get(node)
        if n is None:
            return []
        pods = (self._ctx.store.pods.get(k) for k in sorted(n.pods))
        return [p for p in pods if p is not None and p.active]

    def pod(self, key: str) -> Pod | None:
        return self._ctx.store.pods.get(key)

    # -- nodes and node groups ----------------------------------------------------
    def nodes(self) -> list[Node]:
        """All nodes, including not-yet-Ready ones (``Node.ready`` tells)."""
        return [self._ctx.store.nodes[name] for name in sorted(self._ctx.store.nodes)]

    def node(self, name: str) -> Node | None:
        return self._ctx.store.nodes.get(name)

    def node_groups(self) -> list[NodeGroupState]:
        """Each group's spec (``min_size``, ``max_size``, ``price_per_hour``,
        ``provision_delay_seconds``, ``template``, ``node_manifest``), its ``nodes`` and ``target``."""
        return [self._ctx.nodes.groups[g] for g in sorted(self._ctx.nodes.groups)]

    def node_group(self, name: str) -> NodeGroupState:
        return self._ctx.nodes.groups[name]

    def provision_node(self, group: str, ready_at: float) -> str:
        """Start a node in ``group`` now (billed from now); it becomes Ready at ``ready_at``.
        Returns the node name. Raises KeyError for an unknown group."""
        return self._ctx.nodes.provision_node(group, ready_at)

    def drain_and_remove_node(self, node: str, reason: str) -> list[str]:
        """Evict the node's pods (recorded as ``evicted``; controllers re-create them) and
        remove the node; returns the evicted pod keys."""
        return self._ctx.nodes.drain_and_remove_node(node, reason)

    def taint_node(self, node: str, taint: KubeObject) -> Node:
        """Add a taint (``{"key", "value", "effect"}``; one with the same key and effect is
        replaced), e.g. CA's ``ToBeDeletedByClusterAutoscaler:NoSchedule`` before a drain.
        The scheduler sees it from its next cycle. Raises KeyError for an unknown node."""
        return self._ctx.nodes.taint_node(node, taint)

    def untaint_node(self, node: str, key: str, effect: str | None = None) -> Node:
        """Remove the node's taints with ``key`` (and ``effect`` when given)."""
        return self._ctx.nodes.untaint_node(node, key, effect)

    def cordon_node(self, node: str, cordoned: bool = True) -> Node:
        """Set (or with ``cordoned=False`` clear) ``spec.unschedulable``."""
        return self._ctx.nodes.cordon_node(node, cordoned)

    # -- disruption budgets -------------------------------------------------------
    def pdbs_for(self, pod: Pod) -> list[KubeObject]:
        """PodDisruptionBudgets in the pod's namespace whose selector matches it."""
        labels = _labels(pod)
        return [pdb for pdb in self._pdbs(pod.namespace) if self._pdb_selector(pdb).matches(labels)]

    def disruptions_allowed(self, pdb: KubeObject) -> int:
        """``status.disruptionsAllowed`` as the disruption controller computes it
        (pkg/controller/disruption/disruption.go): healthy matching pods minus the desired
        healthy count from ``minAvailable`` (rounded up) or ``expected - maxUnavailable``."""
        spec = pdb.get("spec") or {}
        ns = pdb["metadata"].get("namespace", "default")
        selector = self._pdb_selector(pdb)
        matching = [p for p in self._ctx.store.pods.values()
                    if p.active and p.namespace == ns and selector.matches(_labels(p))]
        expected = len(matching)
        healthy = sum(1 for p in matching if p.ready)
        if spec.get("maxUnavailable") is not None:
            desired = expected - int_or_percent(spec["maxUnavailable"], expected, True, "0")
        elif spec.get("minAvailable") is not None:
            desired = int_or_percent(spec["minAvailable"], expected, True, "0")
        else:
            desired = expected
        return max(0, healthy - max(desired, 0))

    def _pdbs(self, namespace: str) -> list[KubeObject]:
        return self._ctx.store.list_namespaced("PodDisruptionBudget", namespace)

    # -- the record ---------------------------------------------------------------
    def record_scale_up(self, group: str, delta: int, pods: list[str]) -> None:
        ctx = self._ctx
        ctx.sim.emit(ScaleUp(ctx.sim.t(), group, delta, tuple(pods)))

    def record_scale_down(self, node: str, reason: str) -> None:
        ctx = self._ctx
        ctx.sim.emit(ScaleDown(ctx.sim.t(), node, reason))

    @property
    def scheduler(self) -> Any:
        """The engine's scheduler (a SchedulerPort), for what-if placement checks."""
        return self._ctx.scheduler.port

    @property
    def store(self) -> Any:
        """The object store (read-only by convention)."""
        return self._ctx.store
