"""Autoscaler model cost: wall time of one cluster-autoscaler loop at several cluster sizes.

Cases (each a cluster of 4-CPU / 16 GiB group nodes with 100m/128Mi Deployment pods):

* ``scale-down``: every node runs a few pods (utilisation well under 0.5), so each loop
  checks every node; ``scaleDownUnneededTime`` is long so nothing is deleted. Nothing changes
  between loops, so after the first few the drain simulation is reused (the common case);
* ``scale-down-resim``: the same, but every loop simulates again as if the cluster had
  changed: the what-if cluster and the drains of the candidates the limits let through
  (already-unneeded nodes, ``scaleDownNonEmptyCandidatesCount`` new ones at most, from a pool
  of ``max(10% of nodes, 50)``);
* ``steady``: nodes are busy (utilisation above the threshold): the cheap path most loops take;
* ``scale-up``: the same cluster plus pending pods that need new nodes: filtering them
  against existing and upcoming nodes, the binpacking estimate per group and the expander
  (timed on the planning step, which does not change the cluster).

Run ``python benchmarks/bench_autoscaler.py [--sizes 100,500,1000] [--loops N]``. Columns:
nodes, pods, milliseconds per loop, and loops per second of wall time (a 24 h replay runs
8,640 loops at the default 10 s scan interval).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_simkube.config.autoscaler import parse_autoscaler_options  # noqa: E402
from pytest_simkube.engine.autoscaler import ClusterAutoscaler, expanders  # noqa: E402
from pytest_simkube.engine.autoscaler.autoscaler import filter_out_schedulable  # noqa: E402
from pytest_simkube.engine.autoscaler.estimator import equivalence_groups  # noqa: E402
from pytest_simkube.engine.autoscaler.scale_up import ClusterResources, plan_scale_up  # noqa: E402
from pytest_simkube.engine.autoscaler.upcoming import TemplateNodes  # noqa: E402
from pytest_simkube.engine.cluster_api import ClusterAPI  # noqa: E402
from pytest_simkube.engine.options import EngineOptions  # noqa: E402
from pytest_simkube.engine.run import build_engine  # noqa: E402
from pytest_simkube.scenario import ClusterSpec, NodeGroupSpec, NodeTemplate, ProposedConfig, Scenario  # noqa: E402
from pytest_simkube.trace import Trace, TraceEvent, TracerConfig, TrackedObjectConfig  # noqa: E402

GIB = 2**30
START = 1_741_000_000


def deployment(name: str, replicas: int, cpu: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "bench"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "x", "resources": {
                                      "requests": {"cpu": cpu, "memory": "128Mi"}}}]}}}}


def cluster(nodes: int, pods_per_node: int, cpu: str, pending: int = 0):
    """An engine with ``nodes`` Ready group nodes holding about ``pods_per_node`` pods each."""
    objects = [deployment(f"svc-{i:03d}", nodes * pods_per_node // 50, cpu) for i in range(50)]
    if pending:
        objects.append(deployment("burst", pending, "3800m"))
    trace = Trace(config=TracerConfig({"apps/v1.Deployment": TrackedObjectConfig()}),
                  events=[TraceEvent(START, objects, []), TraceEvent(START + 3600, [], [])])
    group = NodeGroupSpec("general", nodes, nodes * 4, NodeTemplate(4000, 16 * GIB), 0.2, 45.0)
    path = ROOT / "benchmarks" / "autoscaler.simkube.yaml"
    options = parse_autoscaler_options({"scanInterval": "1h", "scaleDownUnneededTime": "24h"}, None)
    scenario = Scenario("autoscaler", path, path, None, 7, ClusterSpec([], [group]),
                        ProposedConfig(autoscaler=options), [])
    ctx, _ = build_engine(scenario, trace, 7, EngineOptions())
    ctx.sim.run_until_quiet(5.0, drain_limit=0.0)  # pods created and bound; first scan at 1 h
    return ctx, options


def time_loops(nodes: int, pods_per_node: int, cpu: str, loops: int, resimulate: bool = False
               ) -> tuple[int, float]:
    ctx, options = cluster(nodes, pods_per_node, cpu)
    autoscaler = ClusterAutoscaler(ClusterAPI(ctx), options)
    for _ in range(5):
        autoscaler.run_once()  # warm caches and let the unneeded set settle, as a running autoscaler
    start = time.perf_counter()
    for _ in range(loops):
        if resimulate:
            autoscaler.planner.forget_last_simulation()
        autoscaler.run_once()
    return len(ctx.store.pods), (time.perf_counter() - start) / loops


def time_scale_up(nodes: int, loops: int) -> tuple[int, float]:
    ctx, options = cluster(nodes, 4, "100m", pending=nodes)
    api = ClusterAPI(ctx)
    autoscaler = ClusterAutoscaler(api, options)
    pending = autoscaler._pods_to_help()
    start = time.perf_counter()
    for _ in range(loops):
        sim = autoscaler._simulation()
        templates = TemplateNodes(api)
        remaining = filter_out_schedulable(sim, pending)
        used = ClusterResources(len(api.nodes()), 4 * len(api.nodes()), 16 * GIB * len(api.nodes()))
        plan = plan_scale_up(api, options, sim, templates, equivalence_groups(remaining), used,
                             expanders.Context(api.rng("bench"), len(api.nodes())))
        assert plan is not None and plan.delta > 0
    return len(ctx.store.pods), (time.perf_counter() - start) / loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000", help="node counts, comma separated")
    parser.add_argument("--loops", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for nodes in (int(n) for n in args.sizes.split(",")):
        pods, seconds = time_loops(nodes, 4, "100m", args.loops)
        rows.append(("scale-down", nodes, pods, seconds))
        pods, seconds = time_loops(nodes, 4, "100m", args.loops, resimulate=True)
        rows.append(("scale-down-resim", nodes, pods, seconds))
        pods, seconds = time_loops(nodes, 30, "100m", args.loops)
        rows.append(("steady", nodes, pods, seconds))
        pods, seconds = time_scale_up(nodes, max(1, args.loops // 2))
        rows.append(("scale-up", nodes, pods, seconds))
    print(f"{'case':>16} | {'nodes':>6} | {'pods':>7} | {'ms/loop':>9} | {'loops/s':>8}")
    for case, nodes, pods, seconds in rows:
        print(f"{case:>16} | {nodes:>6} | {pods:>7} | {seconds * 1000:>9.1f} | {1 / seconds:>8.1f}")


if __name__ == "__main__":
    main()
