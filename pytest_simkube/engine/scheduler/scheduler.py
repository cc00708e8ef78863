"""The ``Scheduler``: queue + framework profiles + snapshot, driven by cluster events.

This is kube-scheduler's ``Scheduler`` object (``pkg/scheduler/scheduler.go``,
``schedule_one.go``, ``eventhandlers.go``) with virtual time: the caller reports cluster
changes (``add_node``, ``update_node``, ``remove_node``, ``add_pod``, ``delete_pod``,
``set_pdbs``) and asks for one scheduling cycle at a time with ``schedule_one(now)``.  The
result says where the pod was bound, or why not; when DefaultPreemption picked victims they
are already gone from the scheduler's view and are returned so the caller deletes them.

Event timing follows the real, asynchronous scheduler closely enough to reproduce its retry
pattern: the scheduler learns of a pod it bound (``AssignedPodAdd``, which is what can wake
pods waiting on pod affinity or topology spread) while the *next* cycle runs, as the binding
goroutine and the informer deliver it; victims deleted by preemption are seen during the
preemptor's own cycle, so the preemptor is retried after its backoff.

Only pods whose ``schedulerName`` matches a profile are handled (as upstream, others are left
to another scheduler).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pytest_simkube.config.scheduler import Profile, SchedulerConfiguration, default_scheduler_config
from pytest_simkube.engine.scheduler.cycle import CycleResult, SchedulingCycle
from pytest_simkube.engine.scheduler.equivalence import spec_class
from pytest_simkube.engine.scheduler.failed_cycles import (
    FailedCycle,
    FailedCycleMemo,
    node_local_scope,
    replayed_start_index,
    reusable,
    start_index_after,
)
from pytest_simkube.engine.scheduler.framework import (
    Code,
    CycleState,
    FilterVerdicts,
    Framework,
    Handle,
    Plugin,
    ProfilePlugins,
    Status,
)
from pytest_simkube.engine.scheduler.node_events import admitted_on_node, node_property_changes
from pytest_simkube.engine.scheduler.plugins import REGISTRY
from pytest_simkube.engine.scheduler.plugins.pod_affinity_terms import affinity_terms_or_empty
from pytest_simkube.engine.scheduler.preemption import (
    DefaultPreemption,
    DisruptionBudget,
    run_filter_with_nominated_pods,
)
from pytest_simkube.engine.scheduler.profiles import profile_plugins
from pytest_simkube.engine.scheduler.queue import (
    ASSIGNED_POD_DELETE,
    NODE_ADD,
    QueuedPodInfo,
    SchedulingQueue,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo, parse_pod

BOUND = "bound"
UNSCHEDULABLE = "unschedulable"
ERROR = "error"

TieBreaker = Callable[[PodInfo, list[str]], str | None]
"""Given the pod and the tie set (node names, node order), name the node to take, or None."""


@dataclass
class ScheduleResult:
    """What one ``schedule_one`` call decided."""

    pod: PodInfo
    status: str
    time: float
    attempt: int
    node: str | None = None
    #: The PodScheduled=False message (``FitError.Error()``), empty when bound.
    message: str = ""
    nominated_node: str | None = None
    #: Pods DefaultPreemption evicted for this pod; the scheduler already forgot them.
    victims: list[PodInfo] = field(default_factory=list)
    #: Nodes with the highest total score (the random tie set), in node order; filled when the
    #: Scheduler records scores.
    top_nodes: list[str] = field(default_factory=list)
    #: Weighted total score per node name when more than one node was feasible.
    scores: dict[str, int] = field(default_factory=dict)
    evaluated_nodes: int = 0
    feasible_nodes: int = 0
    #: Plugins that rejected the pod (what decides which events requeue it).
    rejected_by: tuple[str, ...] = ()
    cycle: CycleResult | None = None

    @property
    def key(self) -> str:
        return self.pod.key


class Nominator:
    """``PodNominator``: pods nominated to nodes by preemption, in nomination order."""

    def __init__(self, on_change: Callable[[str], None] | None = None) -> None:
        self._by_node: dict[str, dict[str, PodInfo]] = {}
        self._node_of: dict[str, str] = {}
        self.version = 0
        """Bumped by every nomination change."""
        self._on_change = on_change
        """Told the node whose nominated pods changed."""

    def add(self, pod: PodInfo, node: str) -> None:
        self.remove(pod.key)
        pod.nominated_node_name = node
        self._by_node.setdefault(node, {})[pod.key] = pod
        self._node_of[pod.key] = node
        self.version += 1
        if self._on_change is not None:
            self._on_change(node)

    def remove(self, key: str) -> PodInfo | None:
        node = self._node_of.pop(key, None)
        if node is None:
            return None
        self.version += 1
        if self._on_change is not None:
            self._on_change(node)
        pod = self._by_node.get(node, {}).pop(key, None)
        if pod is not None:
            pod.nominated_node_name = ""
        if not self._by_node.get(node):
            self._by_node.pop(node, None)
        return pod

    def pods_on(self, node: str) -> list[PodInfo]:
        return list(self._by_node.get(node, {}).values())

    def node_of(self, key: str) -> str | None:
        return self._node_of.get(key)

    def nodes(self) -> list[str]:
        """Nodes with at least one nominated pod."""
        return list(self._by_node)

    def __bool__(self) -> bool:
        return bool(self._node_of)


class NominationAwareFramework(Framework):
    """A Framework whose Filter honours nominated pods (``RunFilterPluginsWithNominatedPods``).

    Nodes without nominated pods of equal or higher priority keep the vectorised result; the
    few nodes with such pods are re-decided one by one with the two-pass rule.
    """

    def __init__(
        self,
        profile: ProfilePlugins,
        registry: Mapping[str, Callable[..., Plugin]],
        handle: Handle,
        nominator: Nominator,
    ) -> None:
        super().__init__(profile, registry, handle)
        self.nominator = nominator

    def run_filter_plugins(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
    ) -> tuple[np.ndarray, FilterVerdicts]:
        passed, verdicts = super().run_filter_plugins(state, pod, snapshot, slots)
        if not self.nominator:
            return passed, verdicts
        nominated_slots = [snapshot.slot_of(name) for name in self.nominator.nodes()]
        positions = np.flatnonzero(np.isin(slots, [s for s in nominated_slots if s is not None]))
        for i in positions.tolist():
            slot = int(slots[i])
            node_name = snapshot.node(slot).name
            if not any(
                p.priority >= pod.priority and p.key != pod.key for p in self.nominator.pods_on(node_name)
            ):
                continue
            status = run_filter_with_nominated_pods(
                self, state, pod, snapshot, slot, self.nominator.pods_on
            )
            passed[i] = status.is_success()
            if status.is_success():
                verdicts.index[i] = 0
            else:
                verdicts.statuses.append(status)
                verdicts.index[i] = len(verdicts.statuses) - 1
        return passed, verdicts


class _ReplayableCycle(SchedulingCycle):
    """A SchedulingCycle whose random tie-break can be steered (conformance replays)."""

    tie_breaker: TieBreaker | None = None
    current_pod: PodInfo | None = None

    def _select(self, max_slots: np.ndarray) -> int:
        if self.tie_breaker is not None and self.current_pod is not None and len(max_slots) > 1:
            names = self.snapshot.node_names(max_slots.tolist())
            wanted = self.tie_breaker(self.current_pod, names)
            if wanted in names:
                # Draw anyway so the random stream stays aligned with an unsteered run.
                super()._select(max_slots)
                return int(max_slots[names.index(wanted)])
        return super()._select(max_slots)


@dataclass
class _ProfileRuntime:
    profile: Profile
    framework: NominationAwareFramework
    cycle: _ReplayableCycle
    preemption: DefaultPreemption | None


class Scheduler:
    """One kube-scheduler instance over a private snapshot, in virtual time."""

    def __init__(
        self,
        config: SchedulerConfiguration | None = None,
        seed: int = 0,
        namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
        initial_backoff_seconds: float | None = None,
        max_backoff_seconds: float | None = None,
        tie_breaker: TieBreaker | None = None,
        record_scores: bool = False,
    ) -> None:
        self.config = config or default_scheduler_config()
        #: Fill ``ScheduleResult.scores`` (total per feasible node) and ``top_nodes`` (the tie set);
        #: on large clusters this bookkeeping costs more than the decision itself.
        self.record_scores = record_scores
        self.snapshot = Snapshot()
        self.seed = seed
        self.nominator = Nominator(self._nominations_changed_on)
        self.pdbs: list[DisruptionBudget] = []
        self._select_rng = random.Random(f"{seed}:select")
        self._preempt_rng = random.Random(f"{seed}:preempt")
        self.profiles: dict[str, _ProfileRuntime] = {}
        for profile in self.config.profiles:
            self.profiles[profile.scheduler_name] = self._build_profile(
                profile, namespace_labels, tie_breaker
            )
        first = self.profiles[self.config.profiles[0].scheduler_name]
        self.queue = SchedulingQueue(
            initial_backoff_seconds=(
                self.config.pod_initial_backoff_seconds
                if initial_backoff_seconds is None
                else initial_backoff_seconds
            ),
            max_backoff_seconds=(
                self.config.pod_max_backoff_seconds if max_backoff_seconds is None else max_backoff_seconds
            ),
            pre_enqueue=lambda pod: (
                self._profile_for(pod, first).framework.run_pre_enqueue_plugins(pod).is_success()
            ),
        )
        self._pending: dict[str, PodInfo] = {}
        self._deferred_adds: list[tuple[float, PodInfo]] = []
        #: Identical pods in an unchanged cluster reuse a failed cycle's verdict (a pure
        #: speed-up, see ``failed_cycles``); off, every cycle runs in full.
        self.reuse_failed_cycles = True
        self.failed_cycles = FailedCycleMemo()
        self._rechecked: dict[tuple[int, int, int], Status] = {}
        self._rechecked_world: Hashable = None
        #: What else a cycle for a pod of a namespace reads that the scheduler is not told
        #: about (the engine passes its object store's versions of the Services and
        #: controllers in that namespace, which default spreading reads).
        self.world_version: Callable[[str], Hashable] = lambda namespace: 0
        self._pdb_version = 0

    # --- construction -----------------------------------------------------------------------

    def _build_profile(
        self,
        profile: Profile,
        namespace_labels: Mapping[str, Mapping[str, str]] | None,
        tie_breaker: TieBreaker | None,
    ) -> _ProfileRuntime:
        handle = Handle(self.snapshot, namespace_labels)
        framework = NominationAwareFramework(
            profile_plugins(profile, self.config), REGISTRY, handle, self.nominator
        )
        cycle = _ReplayableCycle(
            framework, self.snapshot, self._select_rng, self.config.percentage_for(profile)
        )
        cycle.tie_breaker = tie_breaker
        preemption = framework.instances.get("DefaultPreemption")
        if isinstance(preemption, DefaultPreemption):
            preemption.rng = self._preempt_rng
            preemption.pdbs = self.pdbs
            preemption.nominated_pods = self.nominator.pods_on
            preemption.now_key = math.inf
        else:
            preemption = None
        return _ProfileRuntime(profile, framework, cycle, preemption)

    def _profile_for(self, pod: PodInfo, default: _ProfileRuntime | None = None) -> _ProfileRuntime:
        runtime = self.profiles.get(pod.scheduler_name)
        if runtime is None:
            if default is None:
                raise KeyError(pod.scheduler_name)
            return default
        return runtime

    # --- cluster events -----------------------------------------------------------------------

    def _deliver_deferred(self, now: float, include_current: bool = True) -> None:
        """Let the queue hear about pods bound earlier (``AssignedPodAdd``)."""
        keep: list[tuple[float, PodInfo]] = []
        for when, pod in self._deferred_adds:
            if when < now or include_current:
                self.queue.assigned_pod_added(pod, now, self._matches_affinity_term)
            else:
                keep.append((when, pod))
        self._deferred_adds = keep

    def _matches_affinity_term(self, parked: QueuedPodInfo, pod: PodInfo) -> bool:
        """``getUnschedulablePodsWithMatchingAffinityTerm`` (v1.30): a required affinity term matches.

        (Pods rejected by PodTopologySpread are not woken by a pod add in v1.30; later releases
        added that in ``getUnschedulablePodsWithCrossTopologyTerm``.)
        """
        runtime = self.profiles.get(parked.pod.scheduler_name)
        labels = runtime.framework.handle.namespace_labels if runtime else (lambda ns: {})
        terms = affinity_terms_or_empty(parked.pod).required_affinity
        return any(term.matches(pod, labels) for term in terms)

    def _pre_check(self, slot: int) -> Callable[[QueuedPodInfo], bool]:
        return lambda qpi: admitted_on_node(qpi.pod, self.snapshot, slot)

    def add_node(self, node: Mapping[str, Any], now: float = 0.0) -> None:
        """A node joined: parked pods it could admit are retried (``addNodeToCache``)."""
        self._deliver_deferred(now)
        slot = self.snapshot.add_node(node)
        self.queue.move_all_to_active_or_backoff(NODE_ADD, now, self._pre_check(slot))

    def update_node(self, node: Mapping[str, Any], now: float = 0.0) -> None:
        """A node changed: one event per kind of change, each pre-checked (``updateNodeInCache``)."""
        self._deliver_deferred(now)
        name = (node.get("metadata") or {}).get("name")
        old_slot = self.snapshot.slot_of(name) if isinstance(name, str) else None
        if old_slot is None:
            self.add_node(node, now)
            return
        old = self.snapshot.node(old_slot).raw
        slot = self.snapshot.update_node(node)
        for event in node_property_changes(old, node):
            self.queue.move_all_to_active_or_backoff(event, now, self._pre_check(slot))

    def remove_node(self, name: str, now: float = 0.0) -> list[PodInfo]:
        """Remove a node; returns the pods that were bound to it (the caller deletes them).

        As ``deleteNodeFromCache``, this wakes no parked pod.
        """
        self._deliver_deferred(now)
        removed = self.snapshot.remove_node(name)
        for pod in self.nominator.pods_on(name):
            self.nominator.remove(pod.key)
        return removed

    def add_pod(self, pod: PodInfo | Mapping[str, Any], now: float = 0.0) -> PodInfo | None:
        """A pod appeared: bound ones are accounted, pending ones queued (if ours).

        Returns the PodInfo, or None for a pending pod no profile is responsible for.
        """
        self._deliver_deferred(now)
        info = pod if isinstance(pod, PodInfo) else parse_pod(pod)
        if info.node_name:
            self.snapshot.add_pod(info)
            self.queue.assigned_pod_added(info, now, self._matches_affinity_term)
            return info
        if info.scheduler_name not in self.profiles:
            return None
        self._pending[info.key] = info
        if info.nominated_node_name:
            self.nominator.add(info, info.nominated_node_name)
        self.queue.add(info, now)
        return info

    def update_pod(self, pod: PodInfo | Mapping[str, Any], now: float = 0.0) -> PodInfo | None:
        """A pod's object changed: a bound pod is re-accounted (its labels may matter to others),
        a pending one is re-queued as ``PriorityQueue.Update`` does (e.g. scheduling gates lifted)."""
        self._deliver_deferred(now)
        info = pod if isinstance(pod, PodInfo) else parse_pod(pod)
        if info.key in self.snapshot.pods:
            self.snapshot.remove_pod(info.key)
            self.snapshot.add_pod(info, info.node_name or None)
            self.queue.assigned_pod_updated(info, now, self._matches_affinity_term)
            return info
        if info.key not in self._pending:
            return self.add_pod(info, now)
        self._pending[info.key] = info
        node = self.nominator.node_of(info.key)
        if node:
            self.nominator.add(info, node)
        self.queue.update(info, now)
        return info

    def delete_pod(self, key: str, now: float = 0.0) -> PodInfo | None:
        """A pod is gone: a bound one frees its node (and may wake others), a pending one leaves the queue."""
        self._deliver_deferred(now)
        self.nominator.remove(key)
        if key in self.snapshot.pods:
            info = self.snapshot.remove_pod(key)
            self.queue.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, now)
            return info
        self.queue.delete(key)
        return self._pending.pop(key, None)

    def set_pdbs(self, pdbs: Iterable[DisruptionBudget]) -> None:
        """Replace the PodDisruptionBudgets preemption respects."""
        self.pdbs[:] = list(pdbs)
        self._pdb_version += 1

    def _nominations_changed_on(self, node: str) -> None:
        """Filter on ``node`` counts its nominated pods: stamp the node as changed."""
        slot = self.snapshot.slot_of(node)
        if slot is not None:
            self.snapshot.touch(slot)

    def _world(self, namespace: str) -> Hashable:
        """Everything a failed cycle's verdict for a pod of ``namespace`` depends on besides
        the pod, the start index and the pods counted on the nodes (``Snapshot.generation``
        and the nominations, or the pod stamps of the verdict's scope: see ``failed_cycles``)."""
        # Handle versions only grow: their sum changes whenever one of them does.
        snapshot = self.snapshot
        return (snapshot.node_version, snapshot.node_set_version, snapshot.anti_affinity_version,
                self._pdb_version,
                sum([r.framework.handle.version for r in self.profiles.values()]),
                self.world_version(namespace))

    # --- queries -------------------------------------------------------------------------------

    def pending_pods(self) -> list[PodInfo]:
        return list(self._pending.values())

    def has_work(self) -> bool:
        """True while activeQ or backoffQ hold pods (the unschedulable pool waits for events)."""
        counts = self.queue.pending_counts()
        return bool(counts["activeQ"] or counts["backoffQ"])

    def next_time(self, now: float) -> float | None:
        """The earliest virtual time at which ``schedule_one`` can make progress."""
        if self.queue.pending_counts()["activeQ"]:
            return now
        when = self.queue.next_flush_time(now)
        return None if when is None else max(when, now)

    # --- the cycle -------------------------------------------------------------------------------

    def schedule_one(self, now: float) -> ScheduleResult | None:
        """Pop the next pod and run one scheduling cycle (``scheduleOne``); None if none is ready."""
        self._deliver_deferred(now, include_current=False)
        qpi = self.queue.pop(now)
        if qpi is None:
            self._deliver_deferred(now)
            return None
        cycle_number = self.queue.scheduling_cycle
        # Bindings of the previous cycle reach the queue while this one runs.
        self._deliver_deferred(now)
        pod = qpi.pod
        runtime = self._profile_for(pod)
        result = self._nominated_node_fast_path(runtime, pod, now, qpi)
        if result is None:
            result = self._full_cycle(runtime, pod, now, qpi)
        if result.status == BOUND:
            self._bind(pod, result.node or "", now)
            return result
        self.queue.add_unschedulable_if_not_present(qpi, cycle_number, now, result.rejected_by)
        return result

    def _nominated_node_fast_path(
        self, runtime: _ProfileRuntime, pod: PodInfo, now: float, qpi: QueuedPodInfo
    ) -> ScheduleResult | None:
        """``evaluateNominatedNode``: a nominated pod that fits its node takes it unscored.

        As upstream, the nominated node is filtered whatever the PreFilter result says, and
        filtering that one node leaves the rotating start index at 0 (``% len(nodes)`` = 1).
        """
        nominated = self.nominator.node_of(pod.key)
        slot = self.snapshot.slot_of(nominated) if nominated else None
        if slot is None:
            return None
        fwk = runtime.framework
        state = CycleState()
        _, status = fwk.run_pre_filter_plugins(state, pod, self.snapshot)
        if not status.is_success():
            return None
        passed, _ = fwk.run_filter_plugins(state, pod, self.snapshot, np.array([slot], dtype=np.int64))
        runtime.cycle.next_start_node_index = 0
        if not passed[0]:
            return None
        return ScheduleResult(
            pod=pod,
            status=BOUND,
            time=now,
            attempt=qpi.attempts,
            node=nominated,
            top_nodes=[nominated or ""],
            evaluated_nodes=1,
            feasible_nodes=1,
        )

    def _full_cycle(
        self, runtime: _ProfileRuntime, pod: PodInfo, now: float, qpi: QueuedPodInfo
    ) -> ScheduleResult:
        outcome = self._run_cycle(runtime, pod)
        names = (
            self.snapshot.node_names(outcome.max_slots.tolist())
            if self.record_scores and len(outcome.max_slots)
            else []
        )
        scores: dict[str, int] = {}
        if self.record_scores and len(outcome.totals) and len(outcome.feasible) > 1:
            feasible_names = self.snapshot.node_names(outcome.feasible.tolist())
            scores = dict(zip(feasible_names, (int(t) for t in outcome.totals.tolist()), strict=True))
        result = ScheduleResult(
            pod=pod,
            status=BOUND,
            time=now,
            attempt=qpi.attempts,
            top_nodes=names,
            scores=scores,
            evaluated_nodes=outcome.evaluated_nodes,
            feasible_nodes=len(outcome.feasible),
            cycle=outcome,
        )
        if outcome.selected is not None:
            result.node = outcome.selected
            return result
        result.status = UNSCHEDULABLE
        rejectors = set(outcome.node_statuses.rejecting_plugins())
        if not outcome.pre_filter_status.is_success() and outcome.pre_filter_status.plugin:
            rejectors.add(outcome.pre_filter_status.plugin)
        if outcome.pre_filter_status.code is Code.ERROR:
            rejectors = set()
            result.status = ERROR
        result.rejected_by = tuple(sorted(rejectors))
        post_status = outcome.post_filter_status
        # The cycle's FitError text already carries the PostFilter (preemption) message.
        result.message = outcome.fit_error or ""
        post = outcome.post_filter_result
        if (
            post is not None
            and post_status is not None
            and post_status.is_success()
            and post.nominated_node_name
        ):
            self._apply_preemption(runtime, pod, post.nominated_node_name, now, result)
        elif post is not None and not post.nominated_node_name:
            self.nominator.remove(pod.key)
        return result

    def _run_cycle(self, runtime: _ProfileRuntime, pod: PodInfo) -> CycleResult:
        """One cycle, or the verdict an identical pod got in this same cluster state."""
        cycle = runtime.cycle
        preemption = runtime.preemption
        memo_key = world = None
        moment = (self.snapshot.generation, self.nominator.version)
        nominated = pod.nominated_node_name or self.nominator.node_of(pod.key)
        if self.reuse_failed_cycles and not nominated:
            memo_key = self.failed_cycles.key(runtime.profile.scheduler_name, pod,
                                              cycle.next_start_node_index)
            world = self._world(pod.namespace)
            entry = self.failed_cycles.lookup(
                world, moment, self.snapshot.pod_stamp, memo_key,
                lambda entry, slots, expected: self._recheck_rejections(runtime, pod, entry, slots, expected))
            if entry is not None:
                cycle.next_start_node_index = replayed_start_index(entry, cycle.next_start_node_index)
                for num_nodes in entry.preemption_draws:
                    preemption.rng.randrange(num_nodes)  # type: ignore[union-attr]
                return self.failed_cycles.reuse(entry, pod)
        if preemption is not None:
            preemption.draws.clear()
        # A preemption dry run changes the snapshot and puts it back: the cycle leaves the
        # content as it found it, though not the generation.
        content = (self.snapshot.content_version, self.nominator.version)
        cycle.current_pod = pod
        try:
            outcome = cycle.schedule(pod, run_post_filter=True)
        finally:
            cycle.current_pod = None
        if (memo_key is not None and reusable(outcome)
                and (self.snapshot.content_version, self.nominator.version) == content
                and self._world(pod.namespace) == world):
            draws = tuple(preemption.draws) if preemption is not None else ()
            scope, statuses = node_local_scope(outcome, runtime.framework) or (None, ())
            # Re-filtering changed scope nodes suffices unless preemption looked at them.
            recheckable = preemption is None or pod.preemption_policy == "Never"
            next_start = start_index_after(outcome, cycle.next_start_node_index)
            self.failed_cycles.store(world, (self.snapshot.generation, self.nominator.version), memo_key,
                                     FailedCycle(outcome, next_start, draws, scope, statuses, recheckable))
        return outcome

    def _recheck_rejections(self, runtime: _ProfileRuntime, pod: PodInfo, entry: FailedCycle,
                            slots: np.ndarray, expected: list[Status]) -> bool:
        """Filter run again for ``pod`` on ``slots`` alone (with the stored cycle's PreFilter
        state, which node-local plugins compute from the pod's spec only) rejects there with
        ``expected``.  Answers are kept per (spec class, node, node's pod stamp) while the
        nodes stay as they are: pods of other classes with the same spec reuse them (the spec
        names the scheduler, hence the profile)."""
        snapshot = self.snapshot
        world = (snapshot.node_version, snapshot.node_set_version)
        if self._rechecked_world != world:
            self._rechecked_world = world
            self._rechecked.clear()
        cache = self._rechecked
        klass = spec_class(pod)
        missing: list[tuple[int, int, Status]] = []
        stamps = snapshot.pod_stamp[slots].tolist()
        for slot, stamp, status in zip(slots.tolist(), stamps, expected, strict=True):
            known = cache.get((klass, slot, stamp))
            if known is None:
                missing.append((slot, stamp, status))
            elif known != status:
                return False
        if not missing:
            return True
        todo = np.array([slot for slot, _stamp, _status in missing], dtype=np.int64)
        fwk = runtime.cycle.framework
        _passed, verdicts = fwk.run_filter_plugins(entry.outcome.state, pod, snapshot, todo)
        if len(cache) > 65_536:
            cache.clear()
        agree = True
        for i, (slot, stamp, status) in enumerate(missing):
            found = cache[(klass, slot, stamp)] = verdicts.status(i)
            agree = agree and found == status
        return agree

    def _apply_preemption(
        self, runtime: _ProfileRuntime, pod: PodInfo, node: str, now: float, result: ScheduleResult
    ) -> None:
        """``prepareCandidate``: evict the victims, nominate the preemptor, clear lesser nominations."""
        outcome = runtime.preemption.last_outcome if runtime.preemption is not None else None
        victims = list(outcome.victims) if outcome is not None else []
        result.nominated_node = node
        result.victims = victims
        self.nominator.add(pod, node)
        for other in self.nominator.pods_on(node):
            if other.priority < pod.priority:
                self.nominator.remove(other.key)
        for victim in victims:
            if victim.key in self.snapshot.pods:
                self.snapshot.remove_pod(victim.key)
                self.queue.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, now)

    def _bind(self, pod: PodInfo, node: str, now: float) -> None:
        """Assume and bind: the pod now counts on its node; the queue hears of it later."""
        self.nominator.remove(pod.key)
        self._pending.pop(pod.key, None)
        self.snapshot.add_pod(pod, node)
        self._deferred_adds.append((now, pod))

    def settle(self, now: float, max_cycles: int = 1_000_000) -> tuple[float, list[ScheduleResult]]:
        """Run cycles (advancing virtual time over backoffs) until activeQ and backoffQ are empty."""
        results: list[ScheduleResult] = []
        for _ in range(max_cycles):
            result = self.schedule_one(now)
            if result is not None:
                results.append(result)
                continue
            if not self.has_work():
                break
            when = self.next_time(now)
            if when is None:
                break
            now = max(now, when)
        self._deliver_deferred(now)
        return now, results
