"""The scheduling queue: activeQ, backoffQ and the unschedulable pool, in virtual time.

Reproduces kube-scheduler v1.30's ``PriorityQueue``
(``pkg/scheduler/internal/queue/scheduling_queue.go``) with default feature gates, where
QueueingHints are off: a cluster event moves a parked pod when one of the plugins that
rejected it registered for that event (``EventsToRegister``), and the pod goes to backoffQ
while its backoff has not expired, else to activeQ.

Time is virtual: every call that depends on time takes ``now`` (seconds).  The periodic
flushes of upstream (``flushBackoffQCompleted`` every 1 s, ``flushUnschedulablePodsLeftover``
every 30 s) run on ticks at multiples of their period, so a pod whose backoff ends at 3.2 s
becomes poppable at the 4 s tick, as with the real scheduler's ``wait.Until`` loops.

Determinism: Go's maps and heap give arbitrary orders among equals; here ties break by the
order pods entered the queue, so the same calls always give the same result.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from pytest_simkube.kube.pods import PodInfo

# ``framework.ActionType`` bits (pkg/scheduler/framework/types.go, v1.30).
ADD = 1
DELETE = 1 << 1
UPDATE_NODE_ALLOCATABLE = 1 << 2
UPDATE_NODE_LABEL = 1 << 3
UPDATE_NODE_TAINT = 1 << 4
UPDATE_NODE_CONDITION = 1 << 5
UPDATE_NODE_ANNOTATION = 1 << 6
UPDATE = (
    UPDATE_NODE_ALLOCATABLE
    | UPDATE_NODE_LABEL
    | UPDATE_NODE_TAINT
    | UPDATE_NODE_CONDITION
    | UPDATE_NODE_ANNOTATION
)
ALL = ADD | DELETE | UPDATE

POD = "Pod"
NODE = "Node"
WILDCARD = "*"

ACTIVE_Q = "activeQ"
BACKOFF_Q = "backoffQ"
UNSCHEDULABLE_PODS = "unschedulablePods"

BACKOFF_FLUSH_PERIOD = 1.0
"""``flushBackoffQCompleted`` runs every second."""
LEFTOVER_FLUSH_PERIOD = 30.0
"""``flushUnschedulablePodsLeftover`` runs every 30 seconds."""
DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION = 300.0
"""``DefaultPodMaxInUnschedulablePodsDuration`` = 5 minutes."""


class ClusterEvent(NamedTuple):
    """``framework.ClusterEvent``: a resource, the action bits and a label for records."""

    resource: str
    action: int
    label: str = ""

    def is_wildcard(self) -> bool:
        return self.resource == WILDCARD and self.action == ALL

    def matches(self, event: ClusterEvent) -> bool:
        """``ClusterEvent.Match``: does this registered event cover ``event``?"""
        if self.is_wildcard():
            return True
        return (self.resource in (WILDCARD, event.resource)) and bool(self.action & event.action)


# The events of scheduling_queue.go / framework/events.go that the engine raises.
NODE_ADD = ClusterEvent(NODE, ADD, "NodeAdd")
NODE_DELETE = ClusterEvent(NODE, DELETE, "NodeDelete")
NODE_UPDATE = ClusterEvent(NODE, UPDATE, "NodeUpdate")
ASSIGNED_POD_ADD = ClusterEvent(POD, ADD, "AssignedPodAdd")
ASSIGNED_POD_DELETE = ClusterEvent(POD, DELETE, "AssignedPodDelete")
ASSIGNED_POD_UPDATE = ClusterEvent(POD, UPDATE, "AssignedPodUpdate")
UNSCHEDULABLE_TIMEOUT = ClusterEvent(WILDCARD, ALL, "UnschedulableTimeout")
FORCE_ACTIVATE = ClusterEvent(WILDCARD, ALL, "ForceActivate")

# ``EventsToRegister`` of each in-tree plugin in v1.30: which events may make a pod that the
# plugin rejected schedulable.  Plugins absent here never reject a pod for a retryable reason.
PLUGIN_EVENTS: dict[str, tuple[ClusterEvent, ...]] = {
    "SchedulingGates": (ClusterEvent(POD, UPDATE),),
    "NodeUnschedulable": (ClusterEvent(NODE, ADD | UPDATE_NODE_TAINT),),
    "NodeName": (ClusterEvent(NODE, ADD | UPDATE),),
    "TaintToleration": (ClusterEvent(NODE, ADD | UPDATE),),
    "NodeAffinity": (ClusterEvent(NODE, ADD | UPDATE),),
    "NodePorts": (ClusterEvent(POD, DELETE), ClusterEvent(NODE, ADD | UPDATE)),
    "NodeResourcesFit": (ClusterEvent(POD, DELETE), ClusterEvent(NODE, ADD | UPDATE)),
    "PodTopologySpread": (
        ClusterEvent(POD, ALL),
        ClusterEvent(NODE, ADD | DELETE | UPDATE_NODE_LABEL | UPDATE_NODE_TAINT),
    ),
    "InterPodAffinity": (ClusterEvent(POD, ALL), ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL)),
    "VolumeRestrictions": (ClusterEvent(POD, DELETE),),
    "NodeVolumeLimits": (ClusterEvent(POD, DELETE), ClusterEvent(NODE, ADD)),
    "EBSLimits": (ClusterEvent(POD, DELETE), ClusterEvent(NODE, ADD)),
    "GCEPDLimits": (ClusterEvent(POD, DELETE), ClusterEvent(NODE, ADD)),
    "AzureDiskLimits": (ClusterEvent(POD, DELETE), ClusterEvent(NODE, ADD)),
    "VolumeBinding": (ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL),),
    "VolumeZone": (ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL),),
}


@dataclass(eq=False)
class QueuedPodInfo:
    """``framework.QueuedPodInfo``: a pending pod plus its queueing history."""

    pod: PodInfo
    #: When the pod last entered a queue (activeQ order and backoff start).
    timestamp: float
    #: When the pod was first popped for scheduling (``None`` before its first attempt).
    initial_attempt_timestamp: float | None = None
    attempts: int = 0
    #: Plugins that rejected the pod in its last attempt (``UnschedulablePlugins``).
    unschedulable_plugins: set[str] = field(default_factory=set)
    pending_plugins: set[str] = field(default_factory=set)
    #: Blocked by a PreEnqueue plugin (SchedulingGates); never moved by events.
    gated: bool = False
    #: Entry order, the deterministic tie-break among equals.
    seq: int = 0

    @property
    def key(self) -> str:
        return self.pod.key


PreEnqueue = Callable[[PodInfo], bool]
"""Returns False when a PreEnqueue plugin gates the pod."""
PodFilter = Callable[[QueuedPodInfo], bool]


def _strip_for_update_check(raw: dict) -> dict:
    meta = {
        k: v
        for k, v in (raw.get("metadata") or {}).items()
        if k not in ("resourceVersion", "generation", "managedFields")
    }
    return {**{k: v for k, v in raw.items() if k != "status"}, "metadata": meta}


def _is_pod_updated(old: PodInfo, new: PodInfo) -> bool:
    """``isPodUpdated``: the pods differ once status, resourceVersion and generation are ignored."""
    return _strip_for_update_check(old.raw) != _strip_for_update_check(new.raw)


def _priority_sort_key(qpi: QueuedPodInfo) -> tuple[int, float, int]:
    """PrioritySort ``Less``: higher priority first, then the earlier timestamp."""
    return (-qpi.pod.priority, qpi.timestamp, qpi.seq)


class SchedulingQueue:
    """kube-scheduler's ``PriorityQueue`` (without QueueingHints, as v1.30 defaults)."""

    def __init__(
        self,
        initial_backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 10.0,
        max_in_unschedulable_seconds: float = DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION,
        pre_enqueue: PreEnqueue | None = None,
        plugin_events: dict[str, tuple[ClusterEvent, ...]] | None = None,
        sort_key: Callable[[QueuedPodInfo], tuple] = _priority_sort_key,
    ) -> None:
        self.initial_backoff = float(initial_backoff_seconds)
        self.max_backoff = float(max_backoff_seconds)
        self.max_in_unschedulable = float(max_in_unschedulable_seconds)
        self._pre_enqueue = pre_enqueue
        self._plugin_events = PLUGIN_EVENTS if plugin_events is None else plugin_events
        self._sort_key = sort_key
        self._active: list[tuple[tuple, QueuedPodInfo]] = []
        self._backoff: list[tuple[float, int, QueuedPodInfo]] = []
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        #: key -> (queue name, info) for every pod the queue holds.
        self._where: dict[str, tuple[str, QueuedPodInfo]] = {}
        self._counts = {ACTIVE_Q: 0, BACKOFF_Q: 0, UNSCHEDULABLE_PODS: 0}
        self._seq = 0
        self.scheduling_cycle = 0
        self.move_request_cycle = -1
        self._last_backoff_flush = -math.inf
        self._last_leftover_flush = 0.0

    # --- sizes and queries ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def where(self, key: str) -> str | None:
        """Which internal queue holds the pod (``activeQ``, ``backoffQ``, ``unschedulablePods``)."""
        entry = self._where.get(key)
        return entry[0] if entry else None

    def get(self, key: str) -> QueuedPodInfo | None:
        entry = self._where.get(key)
        return entry[1] if entry else None

    def pending_counts(self) -> dict[str, int]:
        """How many pods each internal queue holds (kept up to date, O(1))."""
        return dict(self._counts)

    def unschedulable_pods(self) -> list[QueuedPodInfo]:
        return list(self._unschedulable.values())

    def backoff_duration(self, qpi: QueuedPodInfo) -> float:
        """``calculateBackoffDuration``: initial·2^(attempts−1), capped at the maximum."""
        duration = self.initial_backoff
        for _ in range(1, qpi.attempts):
            if duration > self.max_backoff - duration:
                return self.max_backoff
            duration += duration
        return duration

    def backoff_expiry(self, qpi: QueuedPodInfo) -> float:
        return qpi.timestamp + self.backoff_duration(qpi)

    def is_backing_off(self, qpi: QueuedPodInfo, now: float) -> bool:
        """``isPodBackingoff``: gated pods never back off."""
        if qpi.gated:
            return False
        return self.backoff_expiry(qpi) > now

    # --- internal moves -------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _place(self, qpi: QueuedPodInfo, queue: str) -> None:
        previous = self._where.get(qpi.key)
        if previous is not None:
            self._counts[previous[0]] -= 1
        self._where[qpi.key] = (queue, qpi)
        self._counts[queue] += 1

    def _unplace(self, key: str) -> tuple[str, QueuedPodInfo] | None:
        entry = self._where.pop(key, None)
        if entry is not None:
            self._counts[entry[0]] -= 1
        return entry

    def _push_active(self, qpi: QueuedPodInfo) -> None:
        heapq.heappush(self._active, (self._sort_key(qpi), qpi))
        self._place(qpi, ACTIVE_Q)

    def _push_backoff(self, qpi: QueuedPodInfo) -> None:
        heapq.heappush(self._backoff, (self.backoff_expiry(qpi), qpi.seq, qpi))
        self._place(qpi, BACKOFF_Q)

    def _park(self, qpi: QueuedPodInfo) -> None:
        self._unschedulable[qpi.key] = qpi
        self._place(qpi, UNSCHEDULABLE_PODS)

    def _remove(self, key: str) -> QueuedPodInfo | None:
        """Forget a pod wherever it is; heap entries are dropped lazily."""
        entry = self._unplace(key)
        if entry is None:
            return None
        if entry[0] == UNSCHEDULABLE_PODS:
            self._unschedulable.pop(key, None)
        return entry[1]

    def _live(self, qpi: QueuedPodInfo, queue: str) -> bool:
        entry = self._where.get(qpi.key)
        return entry is not None and entry[0] == queue and entry[1] is qpi

    def _move_to_active(self, qpi: QueuedPodInfo) -> str:
        """``addToActiveQ``: PreEnqueue plugins may gate the pod into the unschedulable pool."""
        qpi.gated = self._pre_enqueue is not None and not self._pre_enqueue(qpi.pod)
        if qpi.gated:
            self._park(qpi)
            return UNSCHEDULABLE_PODS
        self._push_active(qpi)
        return ACTIVE_Q

    def _requeue(self, qpi: QueuedPodInfo, now: float) -> str:
        """``requeuePodViaQueueingHint`` with the Queue hint (the only one without hints)."""
        if self.is_backing_off(qpi, now):
            self._push_backoff(qpi)
            return BACKOFF_Q
        return self._move_to_active(qpi)

    # --- the API the scheduler uses ---------------------------------------------------------

    def add(self, pod: PodInfo, now: float) -> str:
        """A new pending pod (``Add``): straight to activeQ unless gated."""
        self._remove(pod.key)
        qpi = QueuedPodInfo(pod=pod, timestamp=now, seq=self._next_seq())
        return self._move_to_active(qpi)

    def update(self, pod: PodInfo, now: float) -> str | None:
        """The pending pod's object changed (``Update``).

        A parked pod is retried only when something besides its status (and bookkeeping
        metadata) changed, as ``isPodUpdated`` decides upstream.
        """
        entry = self._where.get(pod.key)
        if entry is None:
            return self.add(pod, now)
        queue, qpi = entry
        old_pod, qpi.pod = qpi.pod, pod
        if queue == ACTIVE_Q:
            self._remove(pod.key)
            self._push_active(qpi)
            return ACTIVE_Q
        if queue == BACKOFF_Q:
            self._remove(pod.key)
            self._push_backoff(qpi)
            return BACKOFF_Q
        if not _is_pod_updated(old_pod, pod):
            return UNSCHEDULABLE_PODS
        self._remove(pod.key)
        if self.is_backing_off(qpi, now):
            self._push_backoff(qpi)
            return BACKOFF_Q
        return self._move_to_active(qpi)

    def delete(self, key: str) -> bool:
        """The pending pod was deleted (or bound elsewhere): drop it from every queue."""
        return self._remove(key) is not None

    def flush(self, now: float) -> None:
        """Run the periodic flushes whose ticks fall at or before ``now``."""
        tick = math.floor(now / BACKOFF_FLUSH_PERIOD) * BACKOFF_FLUSH_PERIOD
        if tick > self._last_backoff_flush:
            self._last_backoff_flush = tick
            self._flush_backoff_completed(tick)
        leftover_tick = math.floor(now / LEFTOVER_FLUSH_PERIOD) * LEFTOVER_FLUSH_PERIOD
        if leftover_tick > self._last_leftover_flush:
            self._last_leftover_flush = leftover_tick
            self._flush_unschedulable_leftover(leftover_tick)

    def _flush_backoff_completed(self, now: float) -> None:
        """``flushBackoffQCompleted``: pods whose backoff ended move to activeQ."""
        while self._backoff:
            expiry, _, qpi = self._backoff[0]
            if not self._live(qpi, BACKOFF_Q):
                heapq.heappop(self._backoff)
                continue
            if expiry > now:
                break
            heapq.heappop(self._backoff)
            self._unplace(qpi.key)
            self._move_to_active(qpi)

    def _flush_unschedulable_leftover(self, now: float) -> None:
        """``flushUnschedulablePodsLeftover``: pods parked longer than the limit are retried."""
        stale = [
            qpi for qpi in self._unschedulable.values() if now - qpi.timestamp > self.max_in_unschedulable
        ]
        if stale:
            self._move(stale, UNSCHEDULABLE_TIMEOUT, now)

    def next_flush_time(self, now: float) -> float | None:
        """When the next flush could make a pod poppable (``None`` when nothing waits).

        A backoff pod becomes poppable at the first 1 s tick at or after its expiry; a parked
        pod at the first 30 s tick after it exceeded the unschedulable limit.
        """
        candidates: list[float] = []
        while self._backoff and not self._live(self._backoff[0][2], BACKOFF_Q):
            heapq.heappop(self._backoff)
        if self._backoff:
            expiry = self._backoff[0][0]
            candidates.append(math.ceil(expiry / BACKOFF_FLUSH_PERIOD) * BACKOFF_FLUSH_PERIOD)
        # Parked pods enter the pool in time order, so the first non-gated one is the oldest.
        for qpi in self._unschedulable.values():
            if qpi.gated:
                continue
            due = qpi.timestamp + self.max_in_unschedulable
            tick = math.floor(due / LEFTOVER_FLUSH_PERIOD) * LEFTOVER_FLUSH_PERIOD + LEFTOVER_FLUSH_PERIOD
            candidates.append(tick)
            break
        return min(candidates) if candidates else None

    def pop(self, now: float) -> QueuedPodInfo | None:
        """``Pop``: the head of activeQ after flushing; counts one more attempt."""
        self.flush(now)
        while self._active:
            _, qpi = heapq.heappop(self._active)
            if not self._live(qpi, ACTIVE_Q):
                continue
            self._unplace(qpi.key)
            qpi.attempts += 1
            if qpi.initial_attempt_timestamp is None:
                qpi.initial_attempt_timestamp = now
            qpi.unschedulable_plugins = set()
            qpi.pending_plugins = set()
            self.scheduling_cycle += 1
            return qpi
        return None

    def add_unschedulable_if_not_present(
        self, qpi: QueuedPodInfo, pod_scheduling_cycle: int, now: float, rejector_plugins: Iterable[str] = ()
    ) -> str:
        """``AddUnschedulableIfNotPresent`` after a failed attempt.

        The pod goes to backoffQ when a move request arrived after its cycle started (the
        event may have helped) or when no plugin rejected it (an error); otherwise it parks.
        """
        if qpi.key in self._where:
            return self._where[qpi.key][0]
        qpi.unschedulable_plugins = set(rejector_plugins)
        qpi.timestamp = now
        qpi.seq = self._next_seq()
        rejectors = qpi.unschedulable_plugins | qpi.pending_plugins
        if self.move_request_cycle >= pod_scheduling_cycle or not rejectors:
            self._push_backoff(qpi)
            return BACKOFF_Q
        self._park(qpi)
        return UNSCHEDULABLE_PODS

    # --- cluster events ---------------------------------------------------------------------

    def _worth_requeuing(self, qpi: QueuedPodInfo, event: ClusterEvent) -> bool:
        """``isPodWorthRequeuing`` without hints: some rejector registered for the event."""
        rejectors = qpi.unschedulable_plugins | qpi.pending_plugins
        if not rejectors or event.is_wildcard():
            return True
        for plugin in sorted(rejectors):
            for registered in self._plugin_events.get(plugin, ()):
                if registered.matches(event):
                    return True
        return False

    def _move(self, candidates: Iterable[QueuedPodInfo], event: ClusterEvent, now: float) -> list[str]:
        """``movePodsToActiveOrBackoffQueue``; returns the keys of the pods moved."""
        moved: list[str] = []
        for qpi in list(candidates):
            if qpi.gated or not self._worth_requeuing(qpi, event):
                continue
            self._remove(qpi.key)
            self._requeue(qpi, now)
            moved.append(qpi.key)
        self.move_request_cycle = self.scheduling_cycle
        return moved

    def move_all_to_active_or_backoff(
        self, event: ClusterEvent, now: float, pre_check: PodFilter | None = None
    ) -> list[str]:
        """``MoveAllToActiveOrBackoffQueue``: node events, assigned pod deletions, timeouts."""
        candidates = [q for q in self._unschedulable.values() if pre_check is None or pre_check(q)]
        return self._move(candidates, event, now)

    def assigned_pod_added(
        self, pod: PodInfo, now: float, matches_affinity_term: Callable[[QueuedPodInfo, PodInfo], bool]
    ) -> list[str]:
        """``AssignedPodAdded``: only parked pods with a required affinity term ``pod`` matches.

        ``matches_affinity_term(parked, pod)`` is v1.30's
        ``getUnschedulablePodsWithMatchingAffinityTerm``.  The move still counts as a move
        request, so a pod whose cycle is running when the event arrives is backed off.
        """
        candidates = [q for q in self._unschedulable.values() if matches_affinity_term(q, pod)]
        return self._move(candidates, ASSIGNED_POD_ADD, now)

    def assigned_pod_updated(
        self, pod: PodInfo, now: float, matches_affinity_term: Callable[[QueuedPodInfo, PodInfo], bool]
    ) -> list[str]:
        """``AssignedPodUpdated`` (no in-place resize modelled): as an add, for the new labels."""
        candidates = [q for q in self._unschedulable.values() if matches_affinity_term(q, pod)]
        return self._move(candidates, ASSIGNED_POD_UPDATE, now)

    def activate(self, keys: Iterable[str], now: float) -> None:
        """``Activate``: move the named parked/backoff pods straight to activeQ."""
        for key in keys:
            entry = self._where.get(key)
            if entry is None or entry[0] == ACTIVE_Q:
                continue
            qpi = entry[1]
            self._remove(key)
            self._move_to_active(qpi)

    def pods(self) -> Iterator[QueuedPodInfo]:
        """Every queued pod, in a stable order (activeQ, backoffQ, unschedulable)."""
        order = {ACTIVE_Q: 0, BACKOFF_Q: 1, UNSCHEDULABLE_PODS: 2}
        for _, qpi in sorted(self._where.values(), key=lambda e: (order[e[0]], e[1].seq)):
            yield qpi
