"""The arithmetic reprieve of preemption's dry run agrees with running the Filter plugins.

``DefaultPreemption._reprieve_from_totals`` decides which lower-priority pods come back on a
node from the node's totals when only NodeResourcesFit can change its answer.  Seeded random
clusters (pod-count limits, memory-bound and cpu-bound pods, PDBs, pods that must stay
on the plugin path because of host ports or a spread constraint) are preempted with it on
and off: every decision (node, victims, message, nominated node) must be the same.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from pytest_simkube.engine.scheduler.preemption import compute_disruptions_allowed, parse_pdb
from pytest_simkube.engine.scheduler.scheduler import Scheduler


def _node(name: str, rng: random.Random) -> dict[str, Any]:
    allocatable = {"cpu": str(rng.choice([2, 4, 8])), "memory": f"{rng.choice([4, 8, 16])}Gi",
                   "pods": str(rng.choice([3, 5, 110]))}
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                   "topology.kubernetes.io/zone": f"z{rng.randrange(2)}"}},
            "status": {"allocatable": allocatable}}


def _pod(name: str, rng: random.Random, priority: int, node: str | None = None,
         shape: str = "plain") -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "i", "resources": {"requests": {
        "cpu": f"{rng.choice([250, 500, 1000, 2000])}m", "memory": f"{rng.choice([256, 1024, 4096])}Mi"}}}
    spec: dict[str, Any] = {"containers": [container], "priority": priority}
    app = rng.choice(["web", "api", "batch"])
    if shape == "ports":
        container["ports"] = [{"containerPort": 80, "hostPort": 8080}]
    if shape == "spread":
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                              "whenUnsatisfiable": "DoNotSchedule",
                                              "labelSelector": {"matchLabels": {"app": app}}}]
    body: dict[str, Any] = {"metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
                            "spec": spec}
    if node:
        spec["nodeName"] = node
        body["status"] = {"startTime": f"2024-01-01T00:{rng.randrange(60):02d}:00Z"}
    return body


def _decisions(seed: int, arithmetic: bool) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    sched = Scheduler()
    sched.profiles["default-scheduler"].preemption.arithmetic_reprieve = arithmetic  # type: ignore[union-attr]
    nodes = [f"n{i}" for i in range(rng.randrange(3, 9))]
    for name in nodes:
        sched.add_node(_node(name, rng))
    for i in range(rng.randrange(5, 30)):
        # Bound pods are accounted as they are, even past the node's room (overcommitted nodes).
        sched.add_pod(_pod(f"low-{i}", rng, rng.choice([0, 10, 100]), rng.choice(nodes),
                           rng.choice(["plain"] * 8 + ["ports"])))
    if rng.random() < 0.5:
        selector = {"matchLabels": {"app": "web"}}
        pdb = parse_pdb({"metadata": {"name": "web", "namespace": "default"},
                         "spec": {"minAvailable": rng.randrange(1, 4), "selector": selector}})
        pdb.disruptions_allowed = compute_disruptions_allowed(pdb, sched.snapshot.pods.values())
        sched.set_pdbs([pdb])
    seen = []
    for i in range(4):
        shape = rng.choice(["plain"] * 6 + ["ports", "spread"])
        sched.add_pod(_pod(f"vip-{i}", rng, rng.choice([50, 1000]), shape=shape), now=float(i))
        result = sched.schedule_one(float(i))
        assert result is not None
        seen.append((result.pod.name, result.status, result.node, result.nominated_node, result.message,
                     tuple(v.key for v in result.victims)))
    return seen


@pytest.mark.parametrize("seed", range(60))
def test_arithmetic_reprieve_decides_as_the_filter_plugins(seed: int) -> None:
    assert _decisions(seed, True) == _decisions(seed, False)


def test_the_cases_include_preemptions_with_victims() -> None:
    """The seeds above are worth comparing: many of their decisions evict pods."""
    with_victims = sum(1 for seed in range(60) for d in _decisions(seed, True) if d[5])
    assert with_victims >= 30
