"""Embedded engine throughput: virtual seconds per wall second, pods per second, memory.

Cases:
* ``day``  - ``scenarios/specs/production-day.yaml`` synthesised (24 h, about 50,000 pods,
  500 workloads) on general, batch and GPU pools of 8 CPU / 32 GiB nodes that the autoscaler
  may grow to 1,000 nodes (``--fixed``: 1,000 nodes from the start, no autoscaler);
* ``big``  - 10,000 nodes and 100,000 pods (1,000 Deployments x 100 replicas, created at
  once, 10 minutes of virtual time): the scheduling hot path at scale.

Run ``python benchmarks/bench_engine.py [--case day|big|all] [--hours H] [--fixed]
[--profile FILE]``; ``--hours`` cuts the day for a quick look, ``--profile`` writes cProfile
statistics of the run (``python -m pstats FILE``). The ratio column is
virtual time over wall time (the engine's speed-up over real time); ``cpu_s`` is this
process's CPU time (on a shared machine wall time also counts time the process waited for
a CPU); ``cycles`` counts scheduling cycles (every retry of a pending pod is one).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_simkube.engine.run import run_scenario  # noqa: E402
from pytest_simkube.metrics import compute_metrics  # noqa: E402
from pytest_simkube.scenario import ClusterSpec, NodeGroupSpec, NodeTemplate, ProposedConfig, Scenario  # noqa: E402
from pytest_simkube.trace import Trace, TraceEvent, TracerConfig, TrackedObjectConfig  # noqa: E402

GIB = 2**30


def _scenario(name: str, groups: list[NodeGroupSpec], duration: float | None) -> Scenario:
    path = ROOT / "benchmarks" / f"{name}.simkube.yaml"
    return Scenario(name, path, path, duration, 7, ClusterSpec([], groups), ProposedConfig(), [])


def _day_groups(autoscaled: bool) -> list[NodeGroupSpec]:
    """General m5.2xlarge-like nodes, a batch pool and a GPU pool, 1,000 nodes at most."""
    gpu_taint = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
    specs = [
        ("general", 10, 800, NodeTemplate(8000, 32 * GIB, instance_type="m5.2xlarge"), 0.384),
        ("batch", 2, 150, NodeTemplate(8000, 32 * GIB, labels={"workload-class": "batch"},
                                       instance_type="m5.2xlarge"), 0.384),
        ("gpu", 0, 50, NodeTemplate(8000, 32 * GIB, extended={"nvidia.com/gpu": 1}, taints=gpu_taint,
                                    instance_type="g5.2xlarge"), 1.212),
    ]
    return [NodeGroupSpec(name, low if autoscaled else high, high, template, price, 45.0)
            for name, low, high, template, price in specs]


def day_case(hours: float, fixed: bool = False) -> tuple[Scenario, Trace]:
    """``fixed`` pins every pool at its maximum (no autoscaler): the engine and scheduler alone."""
    from pytest_simkube.trace.synth import synthesize_file

    trace = synthesize_file(ROOT / "scenarios" / "specs" / "production-day.yaml").trace
    try:
        from pytest_simkube.engine.autoscaler import attach  # noqa: F401
        autoscaled = not fixed
    except ImportError:
        autoscaled = False
    return _scenario("day", _day_groups(autoscaled), hours * 3600.0), trace


def big_case() -> tuple[Scenario, Trace]:
    start = 1_741_000_000
    deployments = []
    for i in range(1000):
        name = f"svc-{i:04d}"
        deployments.append({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "bench"},
            "spec": {"replicas": 100, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "x", "resources": {
                                      "requests": {"cpu": "250m", "memory": "512Mi"}}}]}}}})
    trace = Trace(config=TracerConfig({"apps/v1.Deployment": TrackedObjectConfig()}),
                  events=[TraceEvent(start, deployments, []), TraceEvent(start + 600, [], [])])
    group = NodeGroupSpec("general", 10_000, 10_000, NodeTemplate(8000, 32 * GIB), 0.384, 45.0)
    return _scenario("big", [group], None), trace


def measure(name: str, scenario: Scenario, trace: Trace,
            profile: str | None = None) -> dict[str, float | str]:
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    record = run_scenario(scenario, trace=trace)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    metrics = compute_metrics(record)
    virtual = record.header.duration
    return {
        "case": name, "pods": metrics["pods.created"],
        "bound": metrics["pods.scheduled"], "cycles": metrics["scheduler.attempts"],
        "nodes_peak": metrics["nodes.peak"],
        "virtual_s": virtual, "wall_s": wall, "cpu_s": cpu, "ratio": virtual / wall if wall else 0.0,
        "pods_per_s": metrics["pods.scheduled"] / wall if wall else 0.0,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["day", "big", "all"], default="day")
    parser.add_argument("--hours", type=float, default=24.0, help="cut the day case to this many hours")
    parser.add_argument("--fixed", action="store_true", help="day case: 1,000 nodes at once, no autoscaler")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile statistics of the run to FILE")
    args = parser.parse_args()
    rows = []
    if args.case in ("day", "all"):
        label = f"day {args.hours:g}h" + (" fixed" if args.fixed else "")
        rows.append(measure(label, *day_case(args.hours, args.fixed), args.profile))
    if args.case in ("big", "all"):
        rows.append(measure("10k nodes/100k pods", *big_case(), args.profile))
    columns = ["case", "pods", "bound", "cycles", "nodes_peak", "virtual_s", "wall_s", "cpu_s", "ratio",
               "pods_per_s", "peak_rss_mib"]
    print(" | ".join(f"{c:>12}" for c in columns))
    for row in rows:
        cells = (f"{row[c]:>12.1f}" if isinstance(row[c], float) else f"{row[c]!s:>12}" for c in columns)
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
