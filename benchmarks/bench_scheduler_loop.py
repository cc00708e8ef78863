"""The scheduling loop around the framework: queue, events, preemption, the run form.

Run: ``python benchmarks/bench_scheduler_loop.py [--quick]``.  Prints:

* queue operations per second (add, pop, park, event-driven requeue);
* the ``Scheduler`` loop's pods/s against a bare scheduling cycle on the same cluster (the
  ratio is the cost of queueing, nominations and bookkeeping);
* preemptions per second on clusters full of low-priority pods (dry run over
  ``max(10% of N, 100)`` candidate nodes);
* the reference run vectors replayed, pods per second (when ``../shared`` is present).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from pathlib import Path
from typing import Any

from pytest_simkube.engine.scheduler.cycle import SchedulingCycle
from pytest_simkube.engine.scheduler.profiles import build_framework
from pytest_simkube.engine.scheduler.queue import NODE_ADD, SchedulingQueue
from pytest_simkube.engine.scheduler.runner import run_case
from pytest_simkube.engine.scheduler.scheduler import Scheduler
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "scheduler-vectors" / "run"


def node(i: int, cpu: str = "16") -> dict[str, Any]:
    name = f"node-{i:05d}"
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "zone": f"z{i % 3}"}},
        "status": {"allocatable": {"cpu": cpu, "memory": "64Gi", "pods": "110"}},
    }


def pod(i: int, cpu: str = "500m", priority: int = 0, node_name: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "metadata": {"name": f"p-{i:06d}", "namespace": "default", "labels": {"app": f"a{i % 20}"}},
        "spec": {
            "containers": [
                {"name": "c", "image": "img", "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}
            ],
            "priority": priority,
        },
    }
    if node_name:
        body["spec"]["nodeName"] = node_name
        body["status"] = {"startTime": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"}
    return body


def bench_queue(n: int) -> tuple[str, float]:
    rng = random.Random(1)
    pods = [parse_pod(pod(i, priority=rng.choice([0, 100, 1000]))) for i in range(n)]
    queue = SchedulingQueue()
    start = time.perf_counter()
    ops = 0
    for i, p in enumerate(pods):
        queue.add(p, i * 0.01)
        ops += 1
    now = n * 0.01
    while (qpi := queue.pop(now)) is not None:
        queue.add_unschedulable_if_not_present(qpi, queue.scheduling_cycle, now, ["NodeResourcesFit"])
        ops += 2
        if qpi.attempts >= 2:
            queue.delete(qpi.key)
            ops += 1
        if ops % 500 == 0:
            queue.move_all_to_active_or_backoff(NODE_ADD, now)
            ops += 1
        now += 0.5
    elapsed = time.perf_counter() - start
    return f"queue ops ({n} pods)", ops / elapsed


def bench_loop_vs_cycle(nodes: int, pods: int) -> list[tuple[str, float]]:
    manifests = [parse_pod(pod(i)) for i in range(pods)]
    snapshot = Snapshot.from_objects([node(i) for i in range(nodes)])
    cycle = SchedulingCycle(build_framework(snapshot), snapshot, random.Random(0))
    start = time.perf_counter()
    for p in manifests:
        result = cycle.schedule(p)
        if result.selected:
            snapshot.add_pod(p, result.selected)
    bare = pods / (time.perf_counter() - start)

    sched = Scheduler(seed=0)
    for i in range(nodes):
        sched.add_node(node(i))
    pending = [parse_pod(pod(i)) for i in range(pods)]
    start = time.perf_counter()
    for i, p in enumerate(pending):
        sched.add_pod(p, now=float(i))
        sched.settle(float(i))
    loop = pods / (time.perf_counter() - start)
    return [
        (f"bare cycle, {nodes} nodes", bare),
        (f"Scheduler loop, {nodes} nodes", loop),
        (f"  loop/cycle ratio, {nodes} nodes", loop / bare),
    ]


def bench_preemption(nodes: int, preemptors: int) -> tuple[str, float]:
    sched = Scheduler(seed=0)
    for i in range(nodes):
        sched.add_node(node(i, cpu="4"))
    k = 0
    for i in range(nodes):
        for _ in range(4):
            sched.add_pod(pod(k, cpu="1", node_name=f"node-{i:05d}"))
            k += 1
    start = time.perf_counter()
    done = 0
    now = 0.0
    for j in range(preemptors):
        sched.add_pod(pod(100_000 + j, cpu="2", priority=1000), now=now)
        result = sched.schedule_one(now)
        if result is not None and result.victims:
            done += 1
        now, _ = sched.settle(now + 1.0)
    elapsed = time.perf_counter() - start
    assert done == preemptors, (done, preemptors)
    return f"preemptions, {nodes} full nodes", done / elapsed


def bench_vectors() -> tuple[str, float] | None:
    files = sorted(VECTORS.glob("run-*.json.gz")) if VECTORS.exists() else []
    if not files:
        return None
    cases = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            cases.append(json.load(handle))
    pending = sum(1 for c in cases for p in c["input"]["pods"] if not p["spec"].get("nodeName"))
    start = time.perf_counter()
    for case in cases:
        run_case(case["input"], case["seed"])
    return f"run vectors replayed ({len(cases)} cases, {pending} arrivals)", pending / (
        time.perf_counter() - start
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [(100, 200)] if args.quick else [(100, 500), (1000, 500), (5000, 200)]
    rows: list[tuple[str, float]] = [bench_queue(2000 if args.quick else 20000)]
    for nodes, pods in sizes:
        rows.extend(bench_loop_vs_cycle(nodes, pods))
    for nodes in [50] if args.quick else [50, 500, 2000]:
        rows.append(bench_preemption(nodes, 20))
    vectors = bench_vectors()
    if vectors:
        rows.append(vectors)
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  {'per second / ratio':>18}")
    for name, value in rows:
        print(f"{name:<{width}}  {value:>18,.2f}")


if __name__ == "__main__":
    main()
