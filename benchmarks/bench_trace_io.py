"""Trace read/write throughput next to raw msgpack on the same bytes.

Usage:
    python benchmarks/bench_trace_io.py [TRACE_FILE ...] [--repeat N]

Without files it builds a large trace (about 50,000 pods over 24 h): with the trace
synthesiser (``pytest_simkube.trace.synth``) from the spec below, or, with ``--replicated``
or without the synthesiser, by replicating the objects of the SimKube reference traces.
Prints MB/s of ``loads_trace`` / ``dumps_trace`` next to ``msgpack.unpackb`` / ``packb``
and the ratio (target: within 2x), plus hashing throughput.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack

from pytest_simkube.trace import (
    PodLifecycle,
    Trace,
    TraceEvent,
    TracerConfig,
    TrackedObjectConfig,
    dumps_trace,
    loads_trace,
    object_key,
    pod_spec_stable_hash,
    read_trace,
    siphash13,
    spec_hash,
)
from pytest_simkube.trace.hashing import json_hash_bytes
from pytest_simkube.trace.reader import gc_paused

REFERENCE_TRACES = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "simkube" / "traces"
DAY = 24 * 3600


def _best_of(repeat: int, action: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def _paused(action: Callable[[], Any]) -> Any:
    # Per call, like loads/dumps_trace: includes the collection that follows re-enabling the GC.
    with gc_paused():
        return action()


def _template_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in sorted(REFERENCE_TRACES.glob("*.sktrace")):
        for event in read_trace(path).events:
            objects.extend(event.applied_objs)
    if not objects:
        sys.exit(f"no reference traces under {REFERENCE_TRACES}; pass a trace file instead")
    return objects


def build_replicated_trace(pods: int = 50_000, owners: int = 2_000, seed: int = 1) -> Trace:
    """A 24 h trace: ``owners`` objects copied from the reference traces, updated over the day,
    and ``pods`` pod lifecycles spread across them."""
    rng = random.Random(seed)
    templates = _template_objects()
    start = 1_780_000_000
    config = TracerConfig(
        tracked_objects={
            "apps/v1.Deployment": TrackedObjectConfig(("/spec/template",), track_lifecycle=True),
            "apps/v1.StatefulSet": TrackedObjectConfig(("/spec/template",)),
            "batch/v1.CronJob": TrackedObjectConfig(
                ("/spec/jobTemplate/spec/template",), track_lifecycle=True
            ),
            "v1.Pod": TrackedObjectConfig(("",), track_lifecycle=True, skip_owned=True),
        }
    )
    events = [TraceEvent(start)]
    index: dict[str, dict[str, int]] = {}
    lifecycles: dict[tuple[str, str], dict[int, list[PodLifecycle]]] = {}
    owner_keys: list[tuple[str, str]] = []
    # Each owner is applied once, then re-applied a few times with a changed spec during the day.
    applies = sorted(
        (start + (0 if n < owners // 2 else rng.randrange(DAY)), n) for n in range(owners) for _ in range(3)
    )
    for ts, n in applies:
        obj = copy.deepcopy(templates[n % len(templates)])
        obj["metadata"]["name"] = f"{obj['metadata']['name']}-{n}"
        spec = obj.get("spec")
        if isinstance(spec, dict) and "replicas" in spec:
            spec["replicas"] = rng.randrange(1, 50)
        gvk = f"{obj['apiVersion']}.{obj['kind']}"
        key = object_key(obj)
        if key not in index.get(gvk, {}):
            owner_keys.append((gvk, key))
        index.setdefault(gvk, {})[key] = spec_hash(spec)
        if events[-1].ts == ts:
            events[-1].applied_objs.append(obj)
        else:
            events.append(TraceEvent(ts, [obj], []))
    for _ in range(pods):
        owner = rng.choice(owner_keys)
        begin = start + rng.randrange(DAY)
        lifecycle = (
            PodLifecycle(begin, begin + rng.randrange(30, 3600))
            if rng.random() < 0.9
            else PodLifecycle(begin)
        )
        lifecycles.setdefault(owner, {}).setdefault(rng.choice((11, 22, 33)) << 40, []).append(lifecycle)
    return Trace(config=config, events=events, index=index, pod_lifecycles=lifecycles)


# About 50,000 pods over 24 h: diurnal web Deployments plus a steady flow of batch Jobs.
SYNTH_SPEC = """\
start: 2025-03-03T00:00:00Z
duration: 24h
seed: 1
namespaces: [web, batch]
workloads:
  - name: web-{i:03d}
    kind: Deployment
    count: 60
    namespace: web
    replicas:
      diurnal: {min: 2, max: 12, peakHour: 14, noise: 0.1, resample: 10m}
    pod:
      image: registry.example.com/web:1.0
      resources: {requests: {cpu: 250m, memory: 256Mi}}
  - name: etl-{i:03d}
    kind: Job
    count: 40
    namespace: batch
    arrivals:
      poisson: {perHour: 13}
    parallelism: 2
    completions: 4
    runtime: {lognormal: {median: 5m, sigma: 0.5}, max: 1h}
    ttlAfterFinished: 10m
    pod:
      image: registry.example.com/etl:2.0
      resources: {requests: {cpu: 500m, memory: 1Gi}}
"""


def build_synthesised_trace() -> Trace | None:
    """The 24 h trace from the synthesiser, or None when this checkout has no synthesiser."""
    try:
        from pytest_simkube.trace.synth import synthesize_file
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "bench.yaml"
        spec.write_text(SYNTH_SPEC)
        return synthesize_file(spec, seed=1).trace


def _load_input(paths: list[str], replicated: bool) -> list[tuple[str, bytes]]:
    if paths:
        return [(p, Path(p).read_bytes()) for p in paths]
    synthesised = None if replicated else build_synthesised_trace()
    if synthesised is not None:
        return [("synthesised 24 h, 60 Deployments + 40 Jobs", dumps_trace(synthesised))]
    return [("replicated reference content, 50,000 pods / 24 h", dumps_trace(build_replicated_trace()))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="trace files to measure (default: build a large trace)")
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs (default 5)")
    parser.add_argument(
        "--replicated",
        action="store_true",
        help="measure a trace built from copies of the reference objects instead of a synthesised one",
    )
    args = parser.parse_args(argv)

    print("read  = msgpack bytes -> Trace (loads_trace) vs msgpack.unpackb (use_list=False)")
    print("write = Trace -> msgpack bytes (dumps_trace) vs msgpack.packb of the decoded value")
    print(
        "'paused' = raw msgpack with the garbage collector paused, as loads/dumps_trace do; the fair floor\n"
    )
    print(
        f"{'input':<44} {'MB':>5} {'events':>6} {'objs':>5} {'pods':>6}  {'op':<5} {'raw MB/s':>8} "
        f"{'paused':>7} {'ours':>7} {'x raw':>6} {'x paused':>8}  byte-exact"
    )
    for label, data in _load_input(args.files, args.replicated):
        megabytes = len(data) / 1e6
        trace = loads_trace(data, label)
        raw_value = msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=False)
        timings = {
            "read": (
                lambda d=data: msgpack.unpackb(d, raw=False, strict_map_key=False, use_list=False),
                lambda d=data, n=label: loads_trace(d, n),
            ),
            "write": (
                lambda v=raw_value: msgpack.packb(v, use_bin_type=True),
                lambda t=trace: dumps_trace(t),
            ),
        }
        pods = sum(len(lcs) for by_hash in trace.pod_lifecycles.values() for lcs in by_hash.values())
        objects = sum(len(e.applied_objs) for e in trace.events)
        identical = "yes" if dumps_trace(trace) == data else "no (layout upgraded)"
        for op, (raw_action, our_action) in timings.items():
            raw = _best_of(args.repeat, raw_action)
            paused = _best_of(args.repeat, lambda action=raw_action: _paused(action))
            ours = _best_of(args.repeat, our_action)
            print(
                f"{label[:44]:<44} {megabytes:5.2f} {len(trace.events):6d} {objects:5d} {pods:6d}  {op:<5} "
                f"{megabytes / raw:8.1f} {megabytes / paused:7.1f} {megabytes / ours:7.1f} "
                f"{ours / raw:6.2f} {ours / paused:8.2f}  {identical}"
            )

    # Hashing: the pure-Python SipHash over SimKube's JSON walk. "distinct" hashes bytes never
    # seen before (the walk plus every SipHash round); "repeated" is a spec hashed again, as
    # for every pod of one template, served from the digest cache after the walk.
    specs = [obj.get("spec") for obj in _template_objects()]
    pod_specs = [s for s in specs if isinstance(s, dict) and "containers" in s]
    walked = [json_hash_bytes(s) for s in specs]
    mean_bytes = sum(map(len, walked)) / len(walked)
    rounds = max(1, 500 // len(specs))
    distinct = _best_of(3, lambda: [siphash13(json_hash_bytes(s)) for _ in range(rounds) for s in specs])
    repeated = _best_of(3, lambda: [spec_hash(s) for _ in range(rounds) for s in specs])
    print(f"\nhashing {len(specs)} reference object specs (mean {mean_bytes:.0f} walked bytes):")
    print(
        f"  spec_hash, distinct specs:  {rounds * len(specs) / distinct:9,.0f} specs/s "
        f"({sum(map(len, walked)) * rounds / distinct / 1e6:.2f} MB/s of walked bytes)"
    )
    print(f"  spec_hash, repeated specs:  {rounds * len(specs) / repeated:9,.0f} specs/s")
    if pod_specs:
        elapsed = _best_of(3, lambda: [pod_spec_stable_hash(s) for _ in range(rounds) for s in pod_specs])
        print(f"  pod_spec_stable_hash, repeated: {rounds * len(pod_specs) / elapsed:9,.0f} pod specs/s")


if __name__ == "__main__":
    main()
