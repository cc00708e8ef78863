"""Reuse of failed scheduling cycles for identical pods in an unchanged cluster.

A pending Job or ReplicaSet has many pods that differ only in their names.  When the cluster
cannot take them, kube-scheduler still runs a full cycle for each one every time a cluster
event sends them back to activeQ (v1.30 without QueueingHints), and each cycle reaches the
same verdict: same Filter statuses, same FitError, same preemption answer.  Only the pod's
name differs.  The model computes such a verdict once and hands it to the next identical pod
as long as nothing the cycle reads has changed in between:

* the snapshot (``Snapshot.generation``: every node and pod change),
* the nominated pods, the PodDisruptionBudgets, namespace labels and the objects default
  spreading reads in the pod's namespace (the scheduler's ``world_version(namespace)``),
* the rotating start index, unless the cycle filtered every node (or none: PreFilter
  rejected the pod).  Such a failed cycle reads the nodes in another order from another
  start index but reaches the same per-node statuses, the same sorted reason counts and
  the same FitError, and leaves the index where it was (``(start + N) mod N``); verdicts of
  cycles that filtered only some nodes (PreFilter narrowed them) keep the index in their key
  and replay the index they left.

Most verdicts read far less of the snapshot than all of it.  When every Filter plugin that ran
reads only the node and the pods on it (PodTopologySpread and InterPodAffinity returned Skip
at PreFilter), a verdict stays true while the nodes it rejected for lack of room (and every
node preemption may have looked at) keep their pods, whatever happens on the nodes it
rejected for their labels or taints.  Such a verdict carries that *scope* (its slots) and is
reused after other nodes changed, as long as the nodes themselves, the set of pods declaring
required anti-affinity (which could end InterPodAffinity's Skip) and everything above but the
generation and the nominations are unchanged.  ``Snapshot.pod_stamp`` tells which nodes
changed: bound pods stamp their node, and so do pods nominated to it (Filter counts them).
When scope nodes did change and preemption does not look at nodes (it is off or the pod may
not preempt), Filter runs again on those nodes alone; if each rejects the pod with the same
Status as before, the verdict stands; those answers are kept per (pod spec, node, stamp), so
forty Jobs built from one template check a changed node once.  A pending Job that only fits
the batch pool keeps its verdict while the rest of the cluster churns.

A cycle is kept only when it changed nothing itself: it failed, nominated no node, left the
snapshot as it found it, and its preemption answer did not depend on its random start offset.
A preemption dry run evicts pods and puts them back: the nodes it puts back exactly get their
pod stamps back and the block counts as no change (``Snapshot.content_version``), so a
dry run that found no victims neither loses its own verdict nor ends other verdicts' scopes.
Its random draws are replayed on reuse, so the seeded streams stay where a full cycle would
leave them.  This is a pure speed-up: the RunRecord is the same byte for byte with and without it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from pytest_simkube.engine.scheduler.cycle import CycleResult
from pytest_simkube.engine.scheduler.equivalence import equivalence_class
from pytest_simkube.engine.scheduler.framework import FILTER, Code, Framework, Status
from pytest_simkube.engine.scheduler.plugins.volume_plugins import NODE_INDEPENDENT_VOLUME_PLUGINS
from pytest_simkube.kube.pods import PodInfo

NODE_PROPERTY_PLUGINS = frozenset({"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity"})
"""Filter plugins whose verdict reads only the node object (name, labels, taints,
``spec.unschedulable``) and the pod: pods coming and going never change it."""

NODE_LOCAL_PLUGINS = NODE_PROPERTY_PLUGINS | {"NodePorts", "NodeResourcesFit"}
"""Filter plugins whose verdict reads the node and the pods on it (nominated ones included)."""


ANY_START = -1
"""The start index in the key of a verdict that does not depend on it."""


@dataclass(frozen=True)
class FailedCycle:
    """A reusable verdict: the cycle result, the start index after it, the draws it made."""

    outcome: CycleResult
    next_start_node_index: int | None
    """The start index the cycle left; None: the index it found, modulo the node count."""
    preemption_draws: tuple[int, ...]
    scope: np.ndarray | None = None
    """Slots whose pods the verdict read (see the module docstring); None: all of them."""
    scope_statuses: tuple[Status, ...] = ()
    """The Status each scope slot was rejected with."""
    recheckable: bool = False
    """Whether re-filtering the scope nodes that changed is enough to re-establish the
    verdict (preemption did not look at the nodes: it is off or the pod may not preempt)."""


Recheck = Callable[[FailedCycle, np.ndarray, list[Status]], bool]
"""``recheck(entry, slots, expected)``: do the nodes ``slots`` reject the pod now exactly
with the ``expected`` statuses (Filter run again on them alone)?"""

_MAX_ENTRIES = 4096


class FailedCycleMemo:
    """Failed verdicts by (profile, equivalence class, start index), each with the world
    state it was reached in.  The snapshot generation only grows, so an entry whose world
    has passed can never match again; the table is simply emptied when it gets large."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int, int], tuple[Hashable, tuple[int, int], FailedCycle]] = {}
        self.hits = 0
        self.scoped_hits = 0
        """Of ``hits``, those reached at another snapshot generation through a scope."""
        self.rechecked_hits = 0
        """Of ``scoped_hits``, those that re-ran Filter on the scope nodes that changed."""

    def key(self, profile: str, pod: PodInfo, start_index: int) -> tuple[str, int, int]:
        return profile, equivalence_class(pod), start_index

    def lookup(self, world: Hashable, moment: tuple[int, int], pod_stamps: np.ndarray,
               key: tuple[str, int, int], recheck: Recheck | None = None) -> FailedCycle | None:
        """The verdict stored for ``key``, if it was reached in this same ``world`` and
        either at this ``moment`` (snapshot generation, nominator version), or with no change
        since on its scope (``pod_stamps``: ``Snapshot.pod_stamp``, which bound pods and
        nominations stamp), or (``recheck``) with the scope nodes that changed rejecting
        the pod exactly as before."""
        hit = self._entries.get((key[0], key[1], ANY_START))
        if hit is None or hit[0] != world:
            hit = self._entries.get(key)
            if hit is None or hit[0] != world:
                return None
        entry = hit[2]
        if hit[1] == moment:
            return entry
        scope = entry.scope
        if scope is None:
            return None
        if len(scope):
            changed = np.flatnonzero(pod_stamps[scope] > hit[1][0])
            if len(changed):
                if recheck is None or not entry.recheckable:
                    return None
                if not recheck(entry, scope[changed], [entry.scope_statuses[i] for i in changed.tolist()]):
                    return None
                self.rechecked_hits += 1
        self.scoped_hits += 1
        self.store(world, moment, key, entry)
        return entry

    def store(self, world: Hashable, moment: tuple[int, int], key: tuple[str, int, int],
              entry: FailedCycle) -> None:
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        if entry.next_start_node_index is None:
            key = (key[0], key[1], ANY_START)
        self._entries[key] = (world, moment, entry)

    def reuse(self, entry: FailedCycle, pod: PodInfo) -> CycleResult:
        """The stored result, as this pod's (the verdict itself is shared and read-only)."""
        self.hits += 1
        outcome = copy.copy(entry.outcome)
        outcome.pod = pod
        return outcome


def reusable(outcome: CycleResult) -> bool:
    """A failed cycle whose answer another identical pod may take as it is."""
    if outcome.selected is not None:
        return False
    post = outcome.post_filter_result
    if post is not None and post.nominated_node_name:
        return False
    status = outcome.post_filter_status
    return status is None or status.code.value != "Error"


def start_index_after(outcome: CycleResult, next_start_node_index: int) -> int | None:
    """The start index a failed cycle left, or None when the verdict does not depend on
    the index it started from (it filtered every node, or PreFilter stopped it before any)."""
    if not outcome.pre_filter_status.is_success():
        return None
    if outcome.num_all_nodes and outcome.evaluated_nodes == outcome.num_all_nodes:
        return None
    return next_start_node_index


def replayed_start_index(entry: FailedCycle, current: int) -> int:
    """The start index after reusing ``entry`` from ``current``: the stored one, or for an
    index-free verdict ``(current + N) mod N`` as a cycle over all N nodes leaves it."""
    if entry.next_start_node_index is not None:
        return entry.next_start_node_index
    outcome = entry.outcome
    if not outcome.pre_filter_status.is_success():
        return current
    return current % outcome.num_all_nodes


def _may_depend_on_pods(status: Status) -> bool:
    """A rejection pods could lift, or one preemption examines (upstream's
    ``nodesWherePreemptionMightHelp`` takes every node not UnschedulableAndUnresolvable)."""
    unresolvable = status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    return status.plugin not in NODE_PROPERTY_PLUGINS or not unresolvable


def node_local_scope(outcome: CycleResult, framework: Framework
                     ) -> tuple[np.ndarray, tuple[Status, ...]] | None:
    """A failed verdict's scope: the slots it read pods on, with the Status each was rejected
    with, when only node-local Filter plugins ran; None when it may depend on pods anywhere."""
    if not outcome.pre_filter_status.is_success() or len(outcome.feasible):
        return None
    if len(outcome.node_statuses) != outcome.num_all_nodes:
        return None
    skipped = outcome.state.skip_filter_plugins
    for plugin in framework.plugins(FILTER):
        if plugin.name in skipped or plugin.name in NODE_LOCAL_PLUGINS:
            continue
        if plugin.name not in NODE_INDEPENDENT_VOLUME_PLUGINS:
            return None
    found = outcome.node_statuses.rejections_where(_may_depend_on_pods)
    if found is None:
        return None
    slots, statuses = found
    return np.array(slots, dtype=np.int64), tuple(statuses)
