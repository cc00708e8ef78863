"""The kube-scheduler model (``engine/scheduler``) behind the engine's SchedulerPort.

The engine reports cluster changes and asks for one decision at a time; this adapter
translates to the ``Scheduler`` object's API, turns its result into a :class:`Decision`
(reasons counted per rejecting plugin over the nodes, kube-scheduler's FitError message,
preemption victims), and keeps PodDisruptionBudgets current for DefaultPreemption.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from pytest_simkube.engine.objects import KubeObject
from pytest_simkube.engine.scheduling import Decision


class FrameworkScheduler:
    def __init__(self, config: object | None, seed: int,
                 pdb_manifests: Callable[[], list[KubeObject]] | None = None,
                 list_objects: Callable[[str, str], list[KubeObject]] | None = None,
                 get_object: Callable[[str, str, str], KubeObject | None] | None = None,
                 objects_version: Callable[[str], Hashable] | None = None) -> None:
        """``list_objects(kind, namespace)`` lists Services and pod controllers (ReplicaSet,
        StatefulSet, ReplicationController) for PodTopologySpread's system default
        constraints, which only apply when those give the pod a selector
        (plugins/helper/spread.go ``DefaultSelector``); without it there is no default
        spreading, as for a pod no controller owns. ``get_object(kind, namespace, name)``
        finds one such object directly (a lister's ``Get``), for plugins that need only the
        pod's own controller rather than a scan of every one in the namespace.
        ``objects_version(namespace)`` changes whenever those objects in that namespace may
        have changed; without it the scheduler never reuses a failed cycle's verdict
        (``failed_cycles``) and rebuilds default spread constraints every cycle."""
        from pytest_simkube.engine.scheduler.scheduler import Scheduler

        self.inner = Scheduler(config, seed=seed)  # type: ignore[arg-type]
        if objects_version is not None:
            self.inner.world_version = objects_version
        elif list_objects is not None or get_object is not None:
            self.inner.reuse_failed_cycles = False
        for runtime in self.inner.profiles.values():
            if list_objects is not None:
                runtime.framework.handle.list_objects = list_objects  # type: ignore[attr-defined]
            if get_object is not None:
                runtime.framework.handle.get_object = get_object  # type: ignore[attr-defined]
            runtime.framework.handle.objects_version = objects_version
        self._pdb_manifests = pdb_manifests
        self._pdb_refreshed_at: float | None = None

    def add_node(self, node: KubeObject, now: float = 0.0) -> None:
        self.inner.add_node(node, now)

    def update_node(self, node: KubeObject, now: float = 0.0) -> None:
        self.inner.update_node(node, now)

    def remove_node(self, name: str, now: float = 0.0) -> None:
        self.inner.remove_node(name, now)

    def add_pod(self, pod: KubeObject, now: float) -> None:
        self.inner.add_pod(pod, now)

    def remove_pod(self, pod: KubeObject, now: float) -> None:
        meta = pod["metadata"]
        self.inner.delete_pod(f"{meta.get('namespace', '')}/{meta['name']}", now)

    def next_wakeup(self, now: float) -> float | None:
        return self.inner.next_time(now)

    def _refresh_pdbs(self, now: float) -> None:
        """Recompute ``disruptionsAllowed`` (at most once per virtual second) when PDBs exist."""
        if self._pdb_manifests is None:
            return
        if self._pdb_refreshed_at is not None and now - self._pdb_refreshed_at < 1.0:
            return
        manifests = self._pdb_manifests()
        if not manifests and not self.inner.pdbs:
            return
        from pytest_simkube.engine.scheduler.preemption import compute_disruptions_allowed, parse_pdb

        budgets = []
        pods = list(self.inner.snapshot.pods.values())
        for manifest in manifests:
            budget = parse_pdb(manifest)
            budget.disruptions_allowed = compute_disruptions_allowed(budget, pods)
            budgets.append(budget)
        self.inner.set_pdbs(budgets)
        self._pdb_refreshed_at = now

    def schedule_one(self, now: float) -> Decision | None:
        self._refresh_pdbs(now)
        result = self.inner.schedule_one(now)
        if result is None:
            return None
        victims = tuple(v.key for v in result.victims)
        if result.status == "bound":
            return Decision(result.key, result.node, result.attempt, victims=victims)
        reasons: dict[str, int] = {}
        cycle = result.cycle
        if cycle is not None:
            # Shared by every record of an identical failed cycle: never modified.
            reasons = cycle.node_statuses.plugin_counts()
            if not cycle.node_statuses and cycle.pre_filter_status.plugin:
                reasons = {cycle.pre_filter_status.plugin: cycle.num_all_nodes}
        return Decision(result.key, None, result.attempt, reasons, result.message, victims,
                        result.nominated_node)
