"""Small builders for engine tests: traces, workloads and scenarios written in code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.options import EngineOptions
from pytest_simkube.engine.run import build_engine
from pytest_simkube.runrecord import RunRecord
from pytest_simkube.scenario import ClusterSpec, NodeGroupSpec, NodeTemplate, ProposedConfig, Scenario
from pytest_simkube.trace import PodLifecycle, Trace, TraceEvent, TracerConfig, TrackedObjectConfig

GIB = 2**30
T0 = 1_700_000_000  # a Unix time on a minute boundary (2023-11-14T22:13:20Z is not; see cron tests)


def container(cpu: str = "100m", memory: str = "128Mi", name: str = "main") -> dict[str, Any]:
    return {"name": name, "image": "busybox", "resources": {"requests": {"cpu": cpu, "memory": memory}}}


def template(app: str, cpu: str = "100m", memory: str = "128Mi", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": {"containers": [container(cpu, memory)], **spec}}


def deployment(name: str, replicas: int, *, ns: str = "default", strategy: dict | None = None,
               **tpl: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                            "template": template(name, **tpl)}
    if strategy is not None:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def workload(kind: str, name: str, spec: dict[str, Any], ns: str = "default") -> dict[str, Any]:
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}


def node(name: str, cpu: str = "4", memory: str = "16Gi", labels: dict | None = None,
         taints: list | None = None) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"}},
    }
    if taints:
        manifest["spec"]["taints"] = taints
    return manifest


def make_trace(events: list[tuple[float, list[dict], list[dict]]], *,
               lifecycles: dict[tuple[str, str], list[int | None]] | None = None,
               tracked: dict[str, bool] | None = None, end: float = 600.0) -> Trace:
    """``events`` as (seconds after T0, applied, deleted); ``lifecycles`` maps an owner to run
    times (None = Running forever) in launch order, stored under one hash bucket. An empty
    event at ``end`` keeps the replay window open that long (as SimKube's duration cut does)."""
    if events and events[-1][0] < end:
        events = [*events, (end, [], [])]
    tracked = tracked or {"apps/v1.Deployment": True, "apps/v1.StatefulSet": True, "apps/v1.DaemonSet": True,
                          "batch/v1.Job": True, "batch/v1.CronJob": True}
    config = TracerConfig({gvk: TrackedObjectConfig(track_lifecycle=on) for gvk, on in tracked.items()})
    trace_events = [TraceEvent(int(T0 + t), applied, deleted) for t, applied, deleted in events]
    index: dict[str, dict[str, int]] = {}
    for event in trace_events:
        for obj in event.applied_objs:
            gvk = f"{obj['apiVersion']}.{obj['kind']}"
            meta = obj["metadata"]
            index.setdefault(gvk, {})[f"{meta.get('namespace', 'default')}/{meta['name']}"] = 1
    pod_lifecycles = {}
    for owner, runs in (lifecycles or {}).items():
        pod_lifecycles[owner] = {42: [PodLifecycle(T0, T0 + r) if r is not None else PodLifecycle(T0)
                                      for r in runs]}
    return Trace(config=config, events=trace_events, index=index, pod_lifecycles=pod_lifecycles)


def scenario(nodes: list[dict] | None = None, groups: list[NodeGroupSpec] | None = None, *,
             duration: float | None = None, seed: int = 1, name: str = "test") -> Scenario:
    path = Path("/nonexistent/test.simkube.yaml")
    return Scenario(name, path, path.with_suffix(".sktrace"), duration, seed,
                    ClusterSpec(nodes or [], groups or []), ProposedConfig(), [])


def group(name: str = "g", min_size: int = 1, max_size: int = 10, cpu: int = 4000, memory: int = 16 * GIB,
          delay: float = 45.0, price: float = 0.2) -> NodeGroupSpec:
    return NodeGroupSpec(name, min_size, max_size, NodeTemplate(cpu, memory), price, delay)


def engine(trace: Trace, nodes: list[dict] | None = None, groups: list[NodeGroupSpec] | None = None, *,
           duration: float | None = None, seed: int = 1, options: EngineOptions | None = None
           ) -> tuple[EngineContext, Any]:
    """A built engine (the kube-scheduler model, default profile) that a test can run with
    ``finish``."""
    sc = scenario(nodes, groups, duration=duration, seed=seed)
    return build_engine(sc, trace, seed, options or EngineOptions())


def finish(ctx: EngineContext, driver: Any) -> RunRecord:
    duration = ctx.sim.run_until_quiet(driver.window_end, quiet_seconds=ctx.options.quiet_seconds,
                                       drain_limit=ctx.options.drain_limit,
                                       waiting=lambda: bool(ctx.scheduler.unschedulable))
    ctx.sim.run.header.duration = duration
    return ctx.sim.run


def records(run: RunRecord, kind: str) -> list[Any]:
    return [r for r in run.records if r.kind == kind]
