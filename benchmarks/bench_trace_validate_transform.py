"""Validation and what-if transform throughput, next to the cost of reading the same trace.

Usage:
    python benchmarks/bench_trace_validate_transform.py [TRACE_FILE ...] [--repeat N]

Without files it uses the large trace of ``bench_trace_io.py`` (2,000 owners applied 3
times each over 24 h, 50,000 pod lifecycles). For each operation it prints the best time,
applied objects per second and the ratio to ``loads_trace`` on the same trace: a ratio
near or below 1 means a CI job spends no more time validating or transforming a trace
than it spends reading it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_trace_io import build_replicated_trace

from pytest_simkube.trace import Trace, dumps_trace, loads_trace
from pytest_simkube.trace import transform as tf
from pytest_simkube.trace.validate import validate_trace


def _best_of(repeat: int, action: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def operations(trace: Trace) -> list[tuple[str, Callable[[], Any]]]:
    third = trace.duration_seconds // 3
    return [
        ("validate_trace", lambda: validate_trace(trace)),
        ("scale_replicas 2x", lambda: tf.scale_replicas(trace, factor=2)),
        ("scale_time 0.5", lambda: tf.scale_time(trace, "0.5")),
        ("scale_arrival_rate 2", lambda: tf.scale_arrival_rate(trace, 2)),
        ("shift_time -1h", lambda: tf.shift_time(trace, -3600)),
        ("cut_window middle third", lambda: tf.cut_window(trace, third, 2 * third)),
        ("set_resource requests.cpu", lambda: tf.set_resource(trace, "requests", "cpu", "500m")),
        ("scale_resource requests.memory", lambda: tf.scale_resource(trace, "requests", "memory", "1.5")),
        ("drop kind=StatefulSet", lambda: tf.drop_objects(trace, tf.ObjectFilter(kinds=("StatefulSet",)))),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="trace files to measure (default: build a large trace)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)
    inputs = ([(p, Path(p).read_bytes()) for p in args.files] if args.files
              else [("replicated reference content, 24 h", dumps_trace(build_replicated_trace()))])
    for label, data in inputs:
        trace = loads_trace(data, label)
        objects = sum(len(e.applied_objs) for e in trace.events)
        pods = sum(len(lcs) for by_hash in trace.pod_lifecycles.values() for lcs in by_hash.values())
        read = _best_of(args.repeat, lambda d=data, n=label: loads_trace(d, n))
        print(f"{label}: {len(data) / 1e6:.2f} MB, {len(trace.events)} events, {objects} applied objects, "
              f"{pods} pod lifecycles; loads_trace {read * 1000:.0f} ms")
        print(f"  {'operation':<32} {'ms':>8} {'objects/s':>11} {'x read':>7}")
        for name, action in operations(trace):
            elapsed = _best_of(args.repeat, action)
            print(f"  {name:<32} {elapsed * 1000:8.0f} {objects / elapsed:11,.0f} {elapsed / read:7.2f}")


if __name__ == "__main__":
    main()
