"""``run_scenario``: build the embedded cluster for a scenario, replay its trace, return
the RunRecord.

Wiring order matters for determinism and is fixed here: nodes (static, then groups at
``min``), controllers, the autoscaler when the scenario has node groups, then the trace
events. Wall-clock figures go to ``RunRecord.stats`` only (never into the timeline).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_simkube.engine.cluster_api import ClusterAPI
from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.controllers import ALL_CONTROLLERS
from pytest_simkube.engine.framework_port import FrameworkScheduler
from pytest_simkube.engine.lifecycle import Kubelet, LifecycleBook
from pytest_simkube.engine.nodes import NodeManager
from pytest_simkube.engine.options import EngineOptions
from pytest_simkube.engine.pods import PodManager
from pytest_simkube.engine.replay import TraceDriver
from pytest_simkube.engine.scheduler_loop import SchedulerLoop
from pytest_simkube.engine.scheduling import SchedulerPort
from pytest_simkube.engine.simulation import Simulation
from pytest_simkube.runrecord import EngineStats, RunHeader, RunRecord


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot for progress displays (virtual seconds, not wall time)."""

    now: float
    window_end: float
    pods_pending: int
    pods_total: int
    nodes: int


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; ``record`` is the partial RunRecord, marked incomplete."""

    def __init__(self, record: RunRecord) -> None:
        super().__init__("run interrupted")
        self.record = record


DEFAULT_SPREADING_KINDS = ("Service", "ReplicationController", "ReplicaSet", "StatefulSet")
"""What the scheduler reads from the object store (PodTopologySpread's ``DefaultSelector``)."""


def make_scheduler(scenario: Any, options: EngineOptions, seed: int,
                   pdbs: Callable[[], list[Any]] | None = None,
                   list_objects: Callable[[str, str], list[Any]] | None = None,
                   get_object: Callable[[str, str, str], Any] | None = None,
                   objects_version: Callable[[str], Any] | None = None) -> SchedulerPort:
    """The scheduler the run uses: the kube-scheduler model with the scenario's
    KubeSchedulerConfiguration, seeing PDBs and the objects default spreading needs."""
    config = getattr(getattr(scenario, "config", None), "scheduler", None)
    return FrameworkScheduler(config, seed, pdbs, list_objects, get_object, objects_version)


def build_engine(scenario: Any, trace: Any, seed: int, options: EngineOptions,
                 scheduler: SchedulerPort | None = None) -> tuple[EngineContext, TraceDriver]:
    """Everything but running: exposed so tests can drive an engine step by step."""
    groups = list(getattr(scenario.cluster, "node_groups", []) or [])
    header = RunHeader(
        scenario=scenario.name, seed=seed, engine="embedded",
        scenario_path=str(getattr(scenario, "path", "") or ""),
        trace=_relative_trace_path(scenario),
        prices={g.name: float(g.price_per_hour) for g in groups},
    )
    sim = Simulation(seed, header)
    ctx = EngineContext(sim=sim, options=options)
    ctx.lifecycles = LifecycleBook(ctx, trace)
    ctx.pods = PodManager(ctx)
    ctx.kubelet = Kubelet(ctx)
    ctx.store.count_versions(DEFAULT_SPREADING_KINDS)
    port = scheduler if scheduler is not None else make_scheduler(
        scenario, options, seed, lambda: ctx.store.list("PodDisruptionBudget"), ctx.store.list_namespaced,
        lambda kind, namespace, name: ctx.store.get(kind, f"{namespace}/{name}"),
        ctx.store.version)
    ctx.scheduler = SchedulerLoop(ctx, port)
    ctx.nodes = NodeManager(ctx)
    driver = TraceDriver(ctx, trace, getattr(scenario, "duration_seconds", None))
    ctx.epoch = float(driver.start_ts)
    ctx.window_end = driver.window_end
    for node in scenario.cluster.nodes:
        ctx.nodes.add_static(node)
    for group in groups:
        ctx.nodes.add_group(group)
    for cls in ALL_CONTROLLERS:
        ctx.controllers[cls.kind] = cls(ctx)
    ctx.controllers[""] = driver
    if any(int(g.max_size) > int(g.min_size) for g in groups):
        # A group pinned at min == max can neither grow nor shrink: the autoscaler would
        # only spend its scans simulating removals it may not make.
        attach_autoscaler(ctx, scenario)
    driver.schedule()
    return ctx, driver


def attach_autoscaler(ctx: EngineContext, scenario: Any) -> Any:
    """Register the cluster-autoscaler model (``engine/autoscaler``) on the cluster API."""
    try:
        from pytest_simkube.engine.autoscaler import attach  # type: ignore[attr-defined]
    except ImportError:
        return None
    api = ClusterAPI(ctx)
    ctx.controllers.setdefault("_cluster_api", api)
    return attach(api, scenario.config.autoscaler)


def run_scenario(scenario: Any, *, seed: int | None = None,
                 progress: Callable[[Progress], None] | None = None, options: EngineOptions | None = None,
                 trace: Any | None = None,
                 scheduler: SchedulerPort | None = None) -> RunRecord:
    """Replay ``scenario`` on the embedded engine; same scenario + seed = same record.

    ``trace`` overrides ``scenario.load_trace()`` (patched); ``scheduler`` overrides the
    scheduler choice. Ctrl-C raises :class:`RunInterrupted` carrying the partial record.
    """
    options = options or EngineOptions()
    seed = int(scenario.seed if seed is None else seed)
    trace = scenario.load_trace() if trace is None else trace
    wall_start = time.perf_counter()
    ctx, driver = build_engine(scenario, trace, seed, options, scheduler)
    sim = ctx.sim

    def report(_: Simulation) -> None:
        if progress is not None:
            pending = len(ctx.scheduler.unschedulable)
            progress(Progress(sim.now, driver.window_end, pending, len(ctx.store.pods), len(ctx.store.nodes)))

    record = sim.run
    try:
        duration = sim.run_until_quiet(driver.window_end, quiet_seconds=options.quiet_seconds,
                                       drain_limit=options.drain_limit, progress=report if progress else None,
                                       waiting=lambda: bool(ctx.scheduler.unschedulable))
    except KeyboardInterrupt:
        record.header.complete = False
        record.header.duration = round(sim.now, 6)
        record.stats = _stats(wall_start)
        raise RunInterrupted(record) from None
    record.header.duration = round(duration, 6)
    record.header.complete = True
    record.stats = _stats(wall_start)
    report(sim)
    return record


def _relative_trace_path(scenario: Any) -> str:
    """The trace path as the scenario file names it (relative to the scenario's folder), so
    the header does not depend on where the checkout lives."""
    trace = getattr(scenario, "trace_path", None)
    if not trace:
        return ""
    base = getattr(scenario, "path", None)
    try:
        return str(Path(trace).resolve().relative_to(Path(base).resolve().parent)) if base else str(trace)
    except ValueError:
        return str(trace)


def _stats(wall_start: float) -> EngineStats:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall = round(time.perf_counter() - wall_start, 6)
    return EngineStats(wall_seconds=wall, peak_memory_bytes=peak_kib * 1024)
