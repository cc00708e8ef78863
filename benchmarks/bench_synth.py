"""Trace synthesis speed and output size.

Run: ``python benchmarks/bench_synth.py [--repeat N] [--spec PATH] [--scale 1 10]``.

Generates the trace of ``scenarios/specs/production-day.yaml`` (500 workloads, about
50,000 pods over 24 h) and of the same spec with every group's ``count`` multiplied
(10x by default), and prints, per size: spec load time, generation time, msgpack
encoding time, file size and pods generated per second of total time. Timings are the
best of ``--repeat`` runs (wall clock; ``cpu s`` is this process's CPU time, the
figure to compare on a shared machine).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from pytest_simkube.trace import dumps_trace
from pytest_simkube.trace.synth import SynthSpec, load_spec, synthesize

DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "scenarios" / "specs" / "production-day.yaml"


def scaled(spec: SynthSpec, factor: int) -> SynthSpec:
    """The same spec with ``factor`` times as many workloads in every group."""
    if factor == 1:
        return spec
    groups = tuple(dataclasses.replace(group, count=group.count * factor) for group in spec.workloads)
    return dataclasses.replace(spec, workloads=groups)


def measure(path: Path, factor: int, repeat: int) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(repeat):
        cpu0, t0 = time.process_time(), time.perf_counter()
        spec = scaled(load_spec(path), factor)
        t1 = time.perf_counter()
        result = synthesize(spec)
        t2 = time.perf_counter()
        data = dumps_trace(result.trace)
        t3, cpu3 = time.perf_counter(), time.process_time()
        run = {"load": t1 - t0, "synth": t2 - t1, "encode": t3 - t2, "total": t3 - t0, "cpu": cpu3 - cpu0}
        best = run if not best or run["total"] < best["total"] else best
        best |= {
            "workloads": sum(result.stats.workloads.values()),
            "pods": result.stats.total_pods,
            "lifecycles": result.stats.lifecycles,
            "events": result.stats.events,
            "mb": len(data) / 1e6,
        }
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    header = (f"{'scale':>5} {'workloads':>9} {'pods':>9} {'lifecycles':>10} {'events':>8} "
              f"{'load s':>7} {'synth s':>8} {'encode s':>8} {'total s':>8} {'cpu s':>7} {'MB':>7} "
              f"{'pods/cpu-s':>10}")
    print(f"spec: {args.spec}")
    print(header)
    print("-" * len(header))
    for factor in args.scale:
        row = measure(args.spec, factor, args.repeat if factor == 1 else max(1, args.repeat // 3))
        print(f"{factor:>4}x {row['workloads']:>9,.0f} {row['pods']:>9,.0f} {row['lifecycles']:>10,.0f} "
              f"{row['events']:>8,.0f} {row['load']:>7.2f} {row['synth']:>8.2f} {row['encode']:>8.2f} "
              f"{row['total']:>8.2f} {row['cpu']:>7.2f} {row['mb']:>7.1f} {row['pods'] / row['cpu']:>10,.0f}")


if __name__ == "__main__":
    main()
