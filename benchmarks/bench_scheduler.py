"""Scheduler throughput and memory: pods placed per second on N nodes, one core.

Run: ``python benchmarks/bench_scheduler.py [--quick]``.  For each cluster size N and
workload, M pods are scheduled one after another with default sampling
(percentageOfNodesToScore adaptive, rotating start index) and each placement is applied to
the live snapshot, exactly as the cluster engine drives the scheduler.  Prints pods per
CPU-second of this process (one core; unaffected by other processes competing for the CPU)
and per wall-clock second, and the snapshot's memory per node and per pod (tracemalloc,
Python + NumPy allocations).
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from pytest_simkube.engine.scheduler.cycle import SchedulingCycle
from pytest_simkube.engine.scheduler.plugins import REGISTRY
from pytest_simkube.engine.scheduler.profiles import build_framework
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod

ZONES = ("zone-a", "zone-b", "zone-c")


def make_node(i: int) -> dict[str, Any]:
    name = f"node-{i:05d}"
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                              "topology.kubernetes.io/zone": ZONES[i % len(ZONES)],
                                              "pool": f"pool-{i % 4}"}},
        "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110",
                                   "ephemeral-storage": "100Gi"}},
    }


def plain_pod(i: int) -> dict[str, Any]:
    return {"metadata": {"name": f"plain-{i}", "namespace": "bench", "labels": {"app": f"app-{i % 20}"}},
            "spec": {"containers": [{"name": "c", "image": "app:1",
                                     "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}}]}}


def zone_spread_pod(i: int) -> dict[str, Any]:
    pod = plain_pod(i)
    pod["spec"]["topologySpreadConstraints"] = [{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": pod["metadata"]["labels"]["app"]}}}]
    return pod


def hostname_anti_affinity_pod(i: int) -> dict[str, Any]:
    pod = plain_pod(i)
    pod["spec"]["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchLabels": {"app": pod["metadata"]["labels"]["app"]}},
        "topologyKey": "kubernetes.io/hostname"}]}}
    return pod


def preferred_zone_affinity_pod(i: int) -> dict[str, Any]:
    pod = plain_pod(i)
    pod["spec"]["affinity"] = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 50, "podAffinityTerm": {
            "labelSelector": {"matchLabels": {"app": pod["metadata"]["labels"]["app"]}},
            "topologyKey": "topology.kubernetes.io/zone"}}]}}
    return pod


WORKLOADS: dict[str, tuple[Callable[[int], dict[str, Any]], tuple[str, ...]]] = {
    "plain": (plain_pod, ()),
    "zone spread DoNotSchedule": (zone_spread_pod, ("PodTopologySpread",)),
    "hostname anti-affinity": (hostname_anti_affinity_pod, ("InterPodAffinity",)),
    "preferred zone affinity": (preferred_zone_affinity_pod, ("InterPodAffinity",)),
}


def run(num_nodes: int, num_pods: int, make_pod: Callable[[int], dict[str, Any]]
        ) -> tuple[float, float, int]:
    """(pods per CPU-second, pods per wall second, unschedulable) for one workload on a fresh cluster."""
    snapshot = Snapshot.from_objects(make_node(i) for i in range(num_nodes))
    cycle = SchedulingCycle(build_framework(snapshot), snapshot, random.Random(1))
    pods = [parse_pod(make_pod(i)) for i in range(num_pods)]
    placed = 0
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for pod in pods:
        result = cycle.schedule(pod)
        if result.selected is not None:
            snapshot.add_pod(pod, result.selected)
            placed += 1
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    return num_pods / cpu, num_pods / wall, num_pods - placed


def memory(num_nodes: int, num_pods: int) -> tuple[float, float]:
    """Bytes per node (empty snapshot) and per bound pod (PodInfo + accounting)."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    snapshot = Snapshot.from_objects(make_node(i) for i in range(num_nodes))
    with_nodes = tracemalloc.get_traced_memory()[0]
    names = snapshot.node_names(snapshot.order().tolist())
    for i in range(num_pods):
        snapshot.add_pod(parse_pod(plain_pod(i)), names[i % num_nodes])
    with_pods = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (with_nodes - base) / num_nodes, (with_pods - with_nodes) / num_pods


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--pods", type=int, default=2000, help="pods placed per measurement")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append",
                        help="only this workload (repeatable); default: all")
    parser.add_argument("--nodes", type=int, action="append", help="only this cluster size (repeatable)")
    args = parser.parse_args()
    sizes = tuple(args.nodes) if args.nodes else (100, 1000) if args.quick else (100, 1_000, 5_000, 15_000)
    num_pods = 300 if args.quick else args.pods
    print(f"{'workload':<28} {'nodes':>7} {'pods':>6} {'pods/cpu-s':>11} {'pods/wall-s':>12} "
          f"{'unschedulable':>14}")
    for name, (make_pod, needs) in WORKLOADS.items():
        if args.workload and name not in args.workload:
            continue
        if not all(REGISTRY.available(plugin) for plugin in needs):
            print(f"{name:<28} {'-':>7} (plugin {', '.join(needs)} not available)")
            continue
        for n in sizes:
            cpu_rate, wall_rate, failed = run(n, num_pods, make_pod)
            print(f"{name:<28} {n:>7} {num_pods:>6} {cpu_rate:>11.0f} {wall_rate:>12.0f} {failed:>14}",
                  flush=True)
    per_node, per_pod = memory(5_000 if not args.quick else 1_000, 20_000 if not args.quick else 2_000)
    print(f"\nmemory: {per_node / 1024:.1f} KiB per node, {per_pod / 1024:.1f} KiB per bound pod")


if __name__ == "__main__":
    main()
