"""RunRecord -> the named metrics of DESIGN.md §3.4, as pure functions.

Every metric is derived from the record alone (plus node prices, which the header
carries), so a stored record can be re-reported without re-running anything. Rules:

* ``pods.unschedulable`` = pods created, never bound and not deleted by the end.
* ``pods.pending_seconds`` = first binding - creation, over pods that were bound.
* ``pods.startup_seconds`` = Running - creation (ClusterLoader2's pod-startup SLI).
* ``pods.rescheduled`` = pods created by an owner to replace one of its pods that was
  preempted or evicted, and then bound again.
* node counts are time-weighted over ``[0, header.duration]`` from NodeAdded to NodeRemoved;
  ``cost.node_hours`` is that integral in hours, ``cost.dollars`` weights each node by its
  group's price.
* ``nodes.scale_up_latency_seconds.p90``: each ScaleUp claims the next ``delta`` NodeAdded of
  its group recorded after it; latency = first of those nodes Ready - earliest
  PodUnschedulable of the pods it was made for.
* ``util.*.mean`` = integral of requests of bound, unfinished pods / integral of node
  allocatable - the time-weighted ratio.
* ``scheduler.throughput`` = pods bound per second of engine wall time (EngineStats); 0.0
  when the record has no wall time.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Mapping

from pytest_simkube.metrics.percentiles import summarise
from pytest_simkube.runrecord import (
    NodeAdded,
    NodeReady,
    NodeRemoved,
    PodCreated,
    PodDeleted,
    PodFinished,
    PodRunning,
    PodScheduled,
    PodUnschedulable,
    RunRecord,
    ScaleDown,
    ScaleUp,
)

METRIC_NAMES: tuple[str, ...] = (
    "pods.created", "pods.scheduled", "pods.unschedulable",
    "pods.pending_seconds.p50", "pods.pending_seconds.p90", "pods.pending_seconds.p99",
    "pods.pending_seconds.max", "pods.pending_seconds.mean",
    "pods.startup_seconds.p50", "pods.startup_seconds.p90", "pods.startup_seconds.p99",
    "pods.preempted", "pods.evicted", "pods.rescheduled",
    "nodes.peak", "nodes.mean", "nodes.final",
    "nodes.scale_ups", "nodes.scale_downs", "nodes.scale_up_latency_seconds.p90",
    "cost.node_hours", "cost.dollars",
    "util.cpu.mean", "util.memory.mean",
    "scheduler.attempts", "scheduler.throughput",
)


def end_time(run: RunRecord) -> float:
    """The end of the measured window: the header's duration, else the last record."""
    last = run.records[-1].t if run.records else 0.0
    return max(run.header.duration, last)


def pod_metrics(run: RunRecord) -> dict[str, float]:
    created: dict[str, float] = {}
    owner_of: dict[str, str] = {}
    first_bound: dict[str, float] = {}
    running: dict[str, float] = {}
    deleted: set[str] = set()
    reasons: dict[str, int] = defaultdict(int)
    disrupted_by_owner: dict[str, int] = defaultdict(int)
    replacement: set[str] = set()
    rescheduled = 0
    for r in run.records:
        if isinstance(r, PodCreated):
            created[r.pod] = r.t
            owner_of[r.pod] = r.owner
            if r.owner and disrupted_by_owner[r.owner] > 0:
                disrupted_by_owner[r.owner] -= 1
                replacement.add(r.pod)
        elif isinstance(r, PodScheduled):
            if r.pod not in first_bound:
                first_bound[r.pod] = r.t
                if r.pod in replacement:
                    rescheduled += 1
        elif isinstance(r, PodRunning):
            running.setdefault(r.pod, r.t)
        elif isinstance(r, PodDeleted):
            deleted.add(r.pod)
            reasons[r.reason] += 1
            owner = owner_of.get(r.pod, "")
            if owner and r.reason in ("preempted", "evicted"):
                disrupted_by_owner[owner] += 1
    pending = [first_bound[p] - created[p] for p in first_bound if p in created]
    startup = [running[p] - created[p] for p in running if p in created]
    out: dict[str, float] = {
        "pods.created": float(len(created)),
        "pods.scheduled": float(len(first_bound)),
        "pods.unschedulable": float(sum(1 for p in created if p not in first_bound and p not in deleted)),
    }
    out.update(summarise(pending, "pods.pending_seconds", ("p50", "p90", "p99", "max", "mean")))
    out.update(summarise(startup, "pods.startup_seconds", ("p50", "p90", "p99")))
    out["pods.preempted"] = float(reasons["preempted"])
    out["pods.evicted"] = float(reasons["evicted"])
    out["pods.rescheduled"] = float(rescheduled)
    return out


def node_metrics(run: RunRecord, prices: Mapping[str, float] | None = None) -> dict[str, float]:
    prices = run.header.prices if prices is None else prices
    end = end_time(run)
    group_of: dict[str, str] = {}
    added_at: dict[str, float] = {}
    count = peak = 0
    last_t = 0.0
    node_seconds = 0.0
    dollars = 0.0

    def close(node: str, until: float) -> None:
        nonlocal dollars
        dollars += (until - added_at.pop(node)) / 3600.0 * prices.get(group_of.get(node, ""), 0.0)

    for r in run.records:
        if isinstance(r, (NodeAdded, NodeRemoved)):
            node_seconds += count * (r.t - last_t)
            last_t = r.t
            if isinstance(r, NodeAdded):
                count += 1
                group_of[r.node] = r.group
                added_at[r.node] = r.t
                peak = max(peak, count)
            elif r.node in added_at:
                count -= 1
                close(r.node, r.t)
    node_seconds += count * max(0.0, end - last_t)
    for node in list(added_at):
        close(node, max(end, added_at[node]))
    return {
        "nodes.peak": float(peak),
        "nodes.mean": node_seconds / end if end > 0 else float(count),
        "nodes.final": float(count),
        "cost.node_hours": node_seconds / 3600.0,
        "cost.dollars": dollars,
    }


def autoscaler_metrics(run: RunRecord) -> dict[str, float]:
    first_unschedulable: dict[str, float] = {}
    ready_at: dict[str, float] = {}
    open_ups: dict[str, deque[list]] = defaultdict(deque)  # group -> [[ScaleUp, nodes still owed, nodes]]
    claims: list[tuple[ScaleUp, list[str]]] = []
    scale_downs = 0
    for r in run.records:
        if isinstance(r, PodUnschedulable):
            first_unschedulable.setdefault(r.pod, r.t)
        elif isinstance(r, ScaleUp):
            entry = [r, r.delta, []]
            open_ups[r.group].append(entry)
            claims.append((r, entry[2]))
        elif isinstance(r, NodeAdded):
            queue = open_ups.get(r.group)
            if queue:  # a node of a group with an unfilled scale-up is that scale-up's
                queue[0][2].append(r.node)
                queue[0][1] -= 1
                if queue[0][1] <= 0:
                    queue.popleft()
        elif isinstance(r, NodeReady):
            ready_at.setdefault(r.node, r.t)
        elif isinstance(r, ScaleDown):
            scale_downs += 1
    latencies: list[float] = []
    for up, nodes in claims:
        ready = [ready_at[n] for n in nodes if n in ready_at]
        waited = [first_unschedulable[p] for p in up.pods if p in first_unschedulable]
        if ready and waited:
            latencies.append(max(0.0, min(ready) - min(waited)))
    out = {"nodes.scale_ups": float(len(claims)), "nodes.scale_downs": float(scale_downs)}
    out.update(summarise(latencies, "nodes.scale_up_latency_seconds", ("p90",)))
    return out


def utilisation_metrics(run: RunRecord) -> dict[str, float]:
    """Time-weighted requested/allocatable for CPU and memory."""
    end = end_time(run)
    requests: dict[str, tuple[int, int]] = {}
    holding: set[str] = set()
    used = [0, 0]
    alloc = [0, 0]
    node_alloc: dict[str, tuple[int, int]] = {}
    used_integral = [0.0, 0.0]
    alloc_integral = [0.0, 0.0]
    last_t = 0.0

    def advance(t: float) -> None:
        nonlocal last_t
        dt = t - last_t
        if dt > 0:
            for i in (0, 1):
                used_integral[i] += used[i] * dt
                alloc_integral[i] += alloc[i] * dt
            last_t = t

    def release(pod: str) -> None:
        if pod in holding:
            holding.discard(pod)
            cpu, mem = requests.get(pod, (0, 0))
            used[0] -= cpu
            used[1] -= mem

    for r in run.records:
        advance(r.t)
        if isinstance(r, PodCreated):
            requests[r.pod] = (r.cpu, r.memory)
        elif isinstance(r, PodScheduled):
            if r.pod not in holding:
                holding.add(r.pod)
                cpu, mem = requests.get(r.pod, (0, 0))
                used[0] += cpu
                used[1] += mem
        elif isinstance(r, (PodFinished, PodDeleted)):
            release(r.pod)
        elif isinstance(r, NodeAdded):
            node_alloc[r.node] = (r.cpu, r.memory)
            alloc[0] += r.cpu
            alloc[1] += r.memory
        elif isinstance(r, NodeRemoved) and r.node in node_alloc:
            cpu, mem = node_alloc.pop(r.node)
            alloc[0] -= cpu
            alloc[1] -= mem
    advance(end)
    return {
        "util.cpu.mean": used_integral[0] / alloc_integral[0] if alloc_integral[0] > 0 else 0.0,
        "util.memory.mean": used_integral[1] / alloc_integral[1] if alloc_integral[1] > 0 else 0.0,
    }


def scheduler_metrics(run: RunRecord) -> dict[str, float]:
    attempts = bound = 0
    for r in run.records:
        if isinstance(r, PodScheduled):
            attempts += 1
            bound += 1
        elif isinstance(r, PodUnschedulable):
            attempts += 1
    wall = run.stats.wall_seconds if run.stats is not None else 0.0
    throughput = bound / wall if wall > 0 and math.isfinite(wall) else 0.0
    return {"scheduler.attempts": float(attempts), "scheduler.throughput": throughput}


def compute_metrics(run: RunRecord, prices: Mapping[str, float] | None = None) -> dict[str, float]:
    """All DESIGN §3.4 metrics, in :data:`METRIC_NAMES` order."""
    values: dict[str, float] = {}
    values.update(pod_metrics(run))
    values.update(node_metrics(run, prices))
    values.update(autoscaler_metrics(run))
    values.update(utilisation_metrics(run))
    values.update(scheduler_metrics(run))
    return {name: values[name] for name in METRIC_NAMES}
