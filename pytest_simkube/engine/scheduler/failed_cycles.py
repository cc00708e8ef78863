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
* the rotating start index (part of the key; a failed cycle's new index is replayed).

A cycle is kept only when it changed nothing itself: it failed, nominated no node, left the
snapshot as it found it (a preemption dry run that evicted and restored pods does not count),
and its preemption answer did not depend on its random start offset.  Its random draws are
replayed on reuse, so the seeded streams stay where a full cycle would leave them.  This is a
pure speed-up: the RunRecord is the same byte for byte with and without it.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from dataclasses import dataclass

from pytest_simkube.engine.scheduler.cycle import CycleResult
from pytest_simkube.engine.scheduler.equivalence import equivalence_class
from pytest_simkube.kube.pods import PodInfo


@dataclass(frozen=True)
class FailedCycle:
    """A reusable verdict: the cycle result, the start index after it, the draws it made."""

    outcome: CycleResult
    next_start_node_index: int
    preemption_draws: tuple[int, ...]


_MAX_ENTRIES = 4096


class FailedCycleMemo:
    """Failed verdicts by (profile, equivalence class, start index), each with the world
    state it was reached in.  The snapshot generation only grows, so an entry whose world
    has passed can never match again; the table is simply emptied when it gets large."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int, int], tuple[Hashable, FailedCycle]] = {}
        self.hits = 0

    def key(self, profile: str, pod: PodInfo, start_index: int) -> tuple[str, int, int]:
        return profile, equivalence_class(pod), start_index

    def lookup(self, world: Hashable, key: tuple[str, int, int]) -> FailedCycle | None:
        """The verdict stored for ``key``, if it was reached in this same ``world``."""
        hit = self._entries.get(key)
        if hit is None or hit[0] != world:
            return None
        return hit[1]

    def store(self, world: Hashable, key: tuple[str, int, int], entry: FailedCycle) -> None:
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (world, entry)

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
