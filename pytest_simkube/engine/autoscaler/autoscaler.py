"""The cluster-autoscaler loop (``core/static_autoscaler.go`` ``RunOnce``), in virtual time.

Every ``scan-interval`` (first at ``scan-interval``):

1. take the pods the scheduler left unschedulable, minus pending DaemonSet pods and pods
   below ``expendable-pods-priority-cutoff`` (``PodListProcessor``);
2. build the what-if cluster: Ready nodes with their pods, plus each group's *upcoming*
   nodes as template copies (``addUpcomingNodesToClusterSnapshot``), and drop the pods that
   fit there, highest priority first (``filter_out_schedulable.go``); when some did, the
   cluster is about to change, so scale-down is skipped this loop
   (``DisableScaleDownForLoop``);
3. drop pods younger than ``new-pod-scale-up-delay`` or their
   ``cluster-autoscaler.kubernetes.io/pod-scale-up-delay`` annotation (``filterOutYoungPods``);
4. unless ``max-nodes-total`` Ready nodes exist, scale up (``scale_up.py``); a successful
   scale-up ends the loop ("no scale down in this iteration");
5. scale-down (``scale_down.py``): the unneeded set is updated every loop, and nodes are
   deleted only outside the cooldown: ``scale-down-delay-after-add`` since the last
   scale-up, ``-after-delete`` since the last deletion (``isScaleDownInCooldown``; deletions
   here never fail, so ``-after-failure`` never applies).

A scale-up asks the engine for ``delta`` nodes now, each Ready after the group's
``provisionDelay``, and records ``ScaleUp(group, delta, pods)``. A scale-down records
``ScaleDown(node, empty|underutilized)`` and drains and removes the node at once: the
engine has no taint step, so ``node-delete-delay-after-taint`` is not modelled.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from pytest_simkube.config.autoscaler import AutoscalerOptions, NodeGroupAutoscalingOptions
from pytest_simkube.engine.autoscaler import expanders
from pytest_simkube.engine.autoscaler.backoff import ExponentialBackoff
from pytest_simkube.engine.autoscaler.estimator import equivalence_groups, equivalence_key
from pytest_simkube.engine.autoscaler.scale_down import (
    DrainOptions,
    PlannerSettings,
    RemainingPdbTracker,
    ScaleDownPlanner,
    crop_nodes,
)
from pytest_simkube.engine.autoscaler.scale_up import ClusterResources, node_cores_and_memory, plan_scale_up
from pytest_simkube.engine.autoscaler.simulator import ClusterSimulation, PodInfoCache
from pytest_simkube.engine.autoscaler.upcoming import TemplateNodes, add_upcoming_nodes, upcoming_counts
from pytest_simkube.engine.objects import Pod
from pytest_simkube.kube.duration import DurationError, parse_duration
from pytest_simkube.kube.pods import PodInfo

POD_SCALE_UP_DELAY = "cluster-autoscaler.kubernetes.io/pod-scale-up-delay"
REMOVED_REASON = "scaled-down"
PROVISION_TIMEOUT_REASON = "provision-timeout"
TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"


def filter_out_schedulable(sim: ClusterSimulation, pending: list[PodInfo]) -> list[PodInfo]:
    """Place what fits on existing and upcoming nodes, highest priority first; return the
    rest. Once a pod found no node, an identical pod (same controller and spec) cannot
    either — the simulated cluster only fills up — so it is not tried again."""
    remaining = []
    failed: set[tuple[object, ...]] = set()
    for info in sorted(pending, key=lambda i: -i.priority):
        key = equivalence_key(info)
        if key in failed or sim.schedule_anywhere(info) is None:
            failed.add(key)
            remaining.append(info)
    return remaining


class ClusterAutoscaler:
    """One cluster-autoscaler over the engine's :class:`~pytest_simkube.engine.cluster_api.ClusterAPI`."""

    def __init__(self, api: Any, options: AutoscalerOptions) -> None:
        self.api = api
        self.options = options
        self.rng = api.rng("cluster-autoscaler")
        self.pod_cache = PodInfoCache()
        self.last_scale_up = -math.inf
        self.last_scale_down_delete = -math.inf
        self.loops = 0
        self._wake_pending = False
        self.deleting: set[str] = set()
        """Nodes tainted for deletion whose drain starts after ``node-delete-delay-after-taint``."""
        # Off unless the scenario asks: the flag's default was false until recent CA
        # releases, and timer-only loops keep scale-up times on scan-interval ticks.
        self.frequent_loops = "frequent-loops-enabled" in options.explicit and options.frequent_loops_enabled
        self.planner = ScaleDownPlanner(PlannerSettings(
            threshold=lambda g: self._group_options(g).scale_down_utilization_threshold or 0.0,
            ignore_daemonsets=lambda g: bool(self._group_options(g).ignore_daemonsets_utilization),
            ignore_mirror=options.ignore_mirror_pods_utilization,
            drain=DrainOptions(options.skip_nodes_with_system_pods, options.skip_nodes_with_local_storage,
                               options.skip_nodes_with_custom_controller_pods),
            recheck_timeout=options.unremovable_node_recheck_timeout,
            max_parallelism=options.max_scale_down_parallelism,
            unneeded_time=options.scale_down_unneeded_time,
            scan_interval=options.scan_interval,
            non_empty_candidates_count=options.scale_down_non_empty_candidates_count,
            candidates_pool_ratio=options.scale_down_candidates_pool_ratio,
            candidates_pool_min_count=options.scale_down_candidates_pool_min_count,
        ), self.pod_cache, api.pod)
        self._group_option_cache: dict[str, NodeGroupAutoscalingOptions] = {}
        self._sim: ClusterSimulation | None = None
        self.backoff = ExponentialBackoff(options.initial_node_group_backoff_duration,
                                          options.max_node_group_backoff_duration,
                                          options.node_group_backoff_reset_timeout)

    def start(self) -> ClusterAutoscaler:
        """Loops on the ``scan-interval`` timer and, with ``frequent-loops-enabled``, also as
        soon as a pod turns unschedulable and right after a loop that scaled up
        (``loop/trigger.go`` ``LoopTrigger.Wait``)."""
        self.api.every(self.options.scan_interval, self.run_once)
        if self.frequent_loops:
            self.api.on_unschedulable(lambda _pod, _decision: self._wake())
        return self

    def _wake(self) -> None:
        """Run a loop at this instant, after the current event (once, however many pods or
        triggers ask: upstream's pod channel holds one signal)."""
        if not self._wake_pending:
            self._wake_pending = True
            self.api.after(0.0, self._triggered_loop)

    def _triggered_loop(self) -> None:
        self._wake_pending = False
        self.run_once()

    # -- the loop ---------------------------------------------------------------------------
    def run_once(self) -> None:
        api = self.api
        now = api.now
        self.loops += 1
        if self.loops % 100 == 0:
            self.pod_cache.forget_missing(api.store.pods)
            self.planner.forget_missing_nodes(api.store.nodes)
        self._remove_nodes_that_never_joined(now)
        scale_down_allowed = True
        pending = self._pods_to_help()
        if pending:
            templates = TemplateNodes(api)
            sim = self._simulation()
            upcoming = upcoming_counts(api)
            add_upcoming_nodes(sim, templates, api, upcoming)
            remaining = filter_out_schedulable(sim, pending)
            if len(remaining) != len(pending):
                scale_down_allowed = False
            remaining = [info for info in remaining if self._old_enough(info, now)]
            ready = sum(1 for n in api.nodes() if n.ready and not n.removing)
            max_total = self.options.max_nodes_total
            if remaining and not (max_total > 0 and ready >= max_total) and self._scale_up(sim, templates,
                                                                                         remaining):
                self.last_scale_up = now
                if self.frequent_loops:
                    self._wake()  # "loop triggered immediately after a scale up"
                return
        if self.options.scale_down_enabled:
            self._scale_down(now, scale_down_allowed)

    # -- scale-up ---------------------------------------------------------------------------
    def _remove_nodes_that_never_joined(self, now: float) -> None:
        """A node not Ready ``max-node-provision-time`` after it was requested failed to come
        up: it is deleted (the group's target shrinks with it) and the group is backed off
        (``clusterstate.go`` ``updateScaleRequests`` "Scale-up timed out" →
        ``RegisterFailedScaleUp``; ``static_autoscaler.go`` ``removeOldUnregisteredNodes``,
        which keeps the group at or above its min size)."""
        api = self.api
        for state in api.node_groups():
            limit = self._group_options(state.name).max_node_provision_time or 0.0
            failed = False
            for name in list(state.nodes):
                node = api.node(name)
                if node is None or node.ready or node.removing or now - node.added_at <= limit:
                    continue
                if state.target <= int(state.spec.min_size):
                    break
                api.drain_and_remove_node(name, PROVISION_TIMEOUT_REASON)
                failed = True
            if failed:
                self.backoff.backoff(state.name, now)

    def _pods_to_help(self) -> list[PodInfo]:
        out = []
        cutoff = self.options.expendable_pods_priority_cutoff
        for pod, _decision in self.api.unschedulable_pods():
            if pod.owner_kind == "DaemonSet" or pod.priority < cutoff:
                continue
            out.append(self.pod_cache.get(pod.key, pod.manifest))
        return out

    def _old_enough(self, info: PodInfo, now: float) -> bool:
        pod = self.api.pod(info.key)
        delay = self.options.new_pod_scale_up_delay
        annotation = ((info.raw.get("metadata") or {}).get("annotations") or {}).get(POD_SCALE_UP_DELAY)
        if annotation is not None:
            # Upstream logs a bad or shorter annotation and keeps the global delay.
            with contextlib.suppress(DurationError):
                delay = max(delay, parse_duration(annotation))
        if pod is None or delay <= 0:
            return True
        return now - pod.created_at > delay

    def _scale_up(self, sim: ClusterSimulation, templates: TemplateNodes, pods: list[PodInfo]) -> bool:
        api = self.api
        nodes = api.nodes()
        used = ClusterResources(nodes=len(nodes), cores=0, memory=0)
        for node in nodes:
            cores, memory = node_cores_and_memory(node.manifest)
            used.cores += cores
            used.memory += memory
        for state in api.node_groups():
            extra = max(0, state.target - state.size)
            used.nodes += extra
        ctx = expanders.Context(self.rng, cluster_size=len(nodes),
                                priorities=self.options.expander_priorities)
        plan = plan_scale_up(api, self.options, sim, templates, equivalence_groups(pods), used, ctx,
                             backed_off=lambda group: self.backoff.is_backed_off(group, api.now))
        if plan is None:
            return False
        spec = api.node_group(plan.group).spec
        api.record_scale_up(plan.group, plan.delta, plan.pods)
        for _ in range(plan.delta):
            api.provision_node(plan.group, ready_at=api.now + float(spec.provision_delay_seconds))
        return True

    # -- scale-down -------------------------------------------------------------------------
    def _scale_down(self, now: float, allowed: bool) -> None:
        api = self.api
        nodes = [n for n in api.nodes() if n.name not in self.deleting]
        tracker = RemainingPdbTracker(api.store.list("PodDisruptionBudget"), api.disruptions_allowed)
        self.planner.update(now, nodes, api.pods_on_node, tracker, self._simulation)
        options = self.options
        in_cooldown = (not allowed
                       or self.last_scale_up + options.scale_down_delay_after_add > now
                       or self.last_scale_down_delete + options.scale_down_delay_after_delete > now)
        if in_cooldown:
            return
        sizes = {state.name: state.target - sum(1 for n in state.nodes if n in self.deleting)
                 for state in api.node_groups()}
        empty, drain = self.planner.nodes_to_delete(
            now, lambda g: self._group_options(g).scale_down_unneeded_time or 0.0, sizes,
            lambda g: int(api.node_group(g).spec.min_size))
        bulk = options.max_empty_bulk_delete if "max-empty-bulk-delete" in options.explicit else None
        empty, drain = crop_nodes(empty, drain, max_parallelism=options.max_scale_down_parallelism,
                                  max_drain_parallelism=options.max_drain_parallelism,
                                  max_empty_bulk_delete=bulk)
        if not empty and not drain:
            return
        # actuation/actuator.go StartDeletion: taint every chosen node ToBeDeletedByClusterAutoscaler
        # (NoSchedule, value = the unix time), wait node-delete-delay-after-taint for the taint
        # to reach the scheduler, then evict the pods and delete the node.
        delay = options.node_delete_delay_after_taint
        for item, reason in [*((n, "empty") for n in empty), *((n, "underutilized") for n in drain)]:
            api.record_scale_down(item.node, reason)
            taint = {"key": TO_BE_DELETED_TAINT, "value": str(int(now)), "effect": "NoSchedule"}
            api.taint_node(item.node, taint)
            self.deleting.add(item.node)
            if delay > 0:
                api.after(delay, self._delete_node, item.node)
            else:
                self._delete_node(item.node)
        self.last_scale_down_delete = now
        deleted = {item.node for item in (*empty, *drain)}
        still_unneeded = [n for n in self.planner.unneeded.nodes.values() if n.node not in deleted]
        self.planner.unneeded.update(still_unneeded, now)

    def _delete_node(self, name: str) -> None:
        self.deleting.discard(name)
        if self.api.node(name) is not None:
            self.api.drain_and_remove_node(name, REMOVED_REASON)

    # -- shared -----------------------------------------------------------------------------
    def _group_options(self, group: str) -> NodeGroupAutoscalingOptions:
        """The group's effective options (``NodeGroupGetOptions`` over the flags)."""
        resolved = self._group_option_cache.get(group)
        if resolved is None:
            spec = self.api.node_group(group).spec
            own = getattr(spec, "autoscaling", None)
            resolved = self._group_option_cache[group] = (own or NodeGroupAutoscalingOptions()).resolve(
                self.options)
        return resolved

    def _simulation(self) -> ClusterSimulation:
        """Ready nodes with their running pods (mirror pods included, as upstream).

        The what-if cluster of the previous call is carried over (``reset_to``): the same
        cluster as a fresh build, without parsing every node and pod again each loop.  Each
        call hands out a clean cluster, so the cluster of an earlier call must no longer be
        in use."""
        api = self.api
        manifests = []
        placed: list[tuple[PodInfo, str]] = []
        for node in api.nodes():
            if not node.ready or node.removing or node.name in self.deleting:
                continue
            manifests.append(node.manifest)
            for pod in api.pods_on_node(node.name):
                placed.append((self._info(pod), node.name))
        if self._sim is None or not self._sim.reset_to(manifests, placed):
            self._sim = ClusterSimulation(manifests, placed)
        return self._sim

    def _info(self, pod: Pod) -> PodInfo:
        return self.pod_cache.get(pod.key, pod.manifest)
