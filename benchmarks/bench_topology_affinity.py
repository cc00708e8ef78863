"""PodTopologySpread and InterPodAffinity: cost of one scheduling cycle on large clusters.

Run: ``python benchmarks/bench_topology_affinity.py [--quick]``.  For each cluster size N
(3 zones, two existing pods per node spread over 40 apps, a quarter of them carrying
anti-affinity or preferred affinity terms) and each incoming pod shape, one cycle of both
plugins is timed: PreFilter, Filter over all N nodes, PreScore, Score and NormalizeScore.

* ``warm``: the per-node match counters are live (the normal case: they are maintained on
  every pod add/remove), median of several cycles;
* ``cold``: the counters are rebuilt from the pods first, which is what kube-scheduler does
  every cycle (it walks every pod of every node); ``cold/warm`` is the saving.

The last table is the price of keeping the counters live: microseconds per pod add+remove
with the counters the above cycles registered, and without any.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from pytest_simkube.engine.scheduler.framework import CycleState, Handle
from pytest_simkube.engine.scheduler.plugins import pod_match_index as index_module
from pytest_simkube.engine.scheduler.plugins.inter_pod_affinity import InterPodAffinity
from pytest_simkube.engine.scheduler.plugins.pod_topology_spread import PodTopologySpread
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"
APPS = 40


def make_node(i: int) -> dict[str, Any]:
    name = f"node-{i:05d}"
    return {"metadata": {"name": name, "labels": {HOST: name, ZONE: f"zone-{i % 3}"}},
            "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"}}}


def _term(app: str, key: str) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}


def existing_pod(i: int, node_name: str) -> dict[str, Any]:
    app = f"app-{i % APPS}"
    spec: dict[str, Any] = {"nodeName": node_name, "containers": [{"name": "c", "image": "app:1"}]}
    if i % 8 == 0:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            _term(app, HOST)]}}
    elif i % 8 == 1:
        spec["affinity"] = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "podAffinityTerm": _term(f"app-{(i + 1) % APPS}", ZONE)}]}}
    return {"metadata": {"name": f"p-{i}", "namespace": "bench", "labels": {"app": app}}, "spec": spec}


def incoming(shape: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "app:1"}]}
    app = "app-7"
    if shape == "zone spread DoNotSchedule":
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": ZONE,
                                              "whenUnsatisfiable": "DoNotSchedule",
                                              "labelSelector": {"matchLabels": {"app": app}}}]
    elif shape == "hostname spread ScheduleAnyway":
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": HOST,
                                              "whenUnsatisfiable": "ScheduleAnyway",
                                              "labelSelector": {"matchLabels": {"app": app}}}]
    elif shape == "hostname anti-affinity":
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            _term(app, HOST)]}}
    elif shape == "preferred zone affinity":
        spec["affinity"] = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": _term("app-3", ZONE)}]}}
    return {"metadata": {"name": "incoming", "namespace": "bench", "labels": {"app": app}}, "spec": spec}


SHAPES = ("plain", "zone spread DoNotSchedule", "hostname spread ScheduleAnyway", "hostname anti-affinity",
          "preferred zone affinity")


def one_cycle(plugins: list[Any], snapshot: Snapshot, pod_dict: dict[str, Any]) -> None:
    pod = parse_pod(pod_dict)
    slots = snapshot.order()
    for plugin in plugins:
        state = CycleState()
        _, status = plugin.pre_filter(state, pod, snapshot)
        if status.is_success():
            plugin.filter_many(state, pod, snapshot, slots)
        if plugin.pre_score(state, pod, snapshot, slots).is_success():
            raw = plugin.score_many(state, pod, snapshot, slots)
            plugin.normalize_scores(state, pod, snapshot, slots, raw)


def timed(action: Callable[[], None], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(plugins: list[Any], snapshot: Snapshot, pod_dict: dict[str, Any], repeats: int
            ) -> tuple[float, float]:
    """(warm, cold) seconds per cycle; see the module docstring."""
    one_cycle(plugins, snapshot, pod_dict)  # registers the counters
    warm = timed(lambda: one_cycle(plugins, snapshot, pod_dict), repeats)

    def cold() -> None:
        drop_counters(snapshot)
        one_cycle(plugins, snapshot, pod_dict)

    return warm, timed(cold, max(3, repeats // 3))


def churn_micros(snapshot: Snapshot, pods: list[Any]) -> float:
    """Microseconds per add+remove of ``pods`` (best of 3 rounds after one warm-up round)."""
    rounds = []
    for _ in range(4):  # the first round also parses terms and request vectors once per pod
        start = time.perf_counter()
        for pod in pods:
            snapshot.add_pod(pod)
        for pod in pods:
            snapshot.remove_pod(pod.key)
        rounds.append((time.perf_counter() - start) / len(pods) * 1e6)
    return min(rounds[1:])


def drop_counters(snapshot: Snapshot) -> None:
    """Forget the live counters, so the next cycle rebuilds them by walking every pod."""
    index = index_module._INDEXES.pop(snapshot, None)
    if index is not None:
        snapshot.unsubscribe(index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size, for a smoke run")
    args = parser.parse_args()
    sizes = (1_000,) if args.quick else (1_000, 5_000, 15_000)
    repeats = 5 if args.quick else 9
    print(f"{'pod shape':<32} {'nodes':>6} {'pods':>6} {'warm ms':>8} {'cycles/s':>9} {'cold ms':>8} "
          f"{'cold/warm':>9}")
    churn = []
    for n in sizes:
        snapshot = Snapshot.from_objects(make_node(i) for i in range(n))
        names = snapshot.node_names(snapshot.order().tolist())
        for i in range(2 * n):
            snapshot.add_pod(parse_pod(existing_pod(i, names[i % n])))
        handle = Handle(snapshot)
        plugins = [PodTopologySpread({}, handle), InterPodAffinity({}, handle)]
        for shape in SHAPES:
            warm, cold = measure(plugins, snapshot, incoming(shape), repeats)
            print(f"{shape:<32} {n:>6} {2 * n:>6} {warm * 1e3:>8.2f} {1 / warm:>9.0f} "
                  f"{cold * 1e3:>8.2f} {cold / warm:>9.1f}")
        for shape in SHAPES:
            one_cycle(plugins, snapshot, incoming(shape))
        extra = [parse_pod(existing_pod(10**6 + i, names[i % n])) for i in range(200)]
        with_counters = churn_micros(snapshot, extra)
        drop_counters(snapshot)
        churn.append((n, with_counters, churn_micros(snapshot, extra)))
    print(f"\n{'nodes':>6} {'us per pod add+remove: live counters':>38} {'without':>9} {'counters cost':>14}")
    for n, live, bare in churn:
        print(f"{n:>6} {live:>38.1f} {bare:>9.1f} {live - bare:>14.1f}")


if __name__ == "__main__":
    main()
