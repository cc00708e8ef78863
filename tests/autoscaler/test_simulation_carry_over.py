"""The autoscaler's what-if cluster carried over between loops equals a fresh build."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.engine.autoscaler.simulator import ClusterSimulation
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod

TAINT = {"key": "ToBeDeletedByClusterAutoscaler", "value": "1", "effect": "NoSchedule"}


def _state(sim: ClusterSimulation) -> list:
    """Everything a fresh build fixes: node order, node properties, pods per node in order,
    the accounted amounts."""
    snap = sim.snapshot
    return [(n.name, n.labels, n.taints, n.unschedulable, list(n.pods),
             snap.requested[n.slot].tolist(), int(snap.pod_count[n.slot])) for n in snap.nodes()]


@st.composite
def clusters(draw, names: list[str]):
    """A cluster state: some nodes (in a fixed relative order, maybe tainted) and pods on them."""
    present = [n for n in names if draw(st.booleans())]
    nodes = [node(n, taints=[TAINT] if draw(st.booleans()) else None) for n in present]
    pods = []
    if present:
        for i in range(draw(st.integers(0, 8))):
            pods.append((f"p{draw(st.integers(0, 10))}-{i % 3}", draw(st.sampled_from(present))))
    return nodes, pods


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_reset_to_equals_a_fresh_build(data):
    names = [f"n{i}" for i in range(5)]
    infos: dict[str, object] = {}
    sim: ClusterSimulation | None = None
    for _ in range(data.draw(st.integers(1, 5))):
        nodes, placements = data.draw(clusters(names))
        placed = []
        seen = set()
        for key, node_name in placements:
            if key in seen:
                continue
            seen.add(key)
            # The same PodInfo object while the pod stays put, a new one when it moved.
            cache_key = f"{key}@{node_name}"
            info = infos.get(cache_key)
            if info is None:
                info = infos[cache_key] = parse_pod(pod(key, node_name=node_name))
            placed.append((info, node_name))
        placed.sort(key=lambda item: item[0].key)  # each node's pods in a stable order, as the API gives
        fresh = ClusterSimulation([json.loads(json.dumps(n)) for n in nodes],
                                  [(parse_pod(pod(i.name, node_name=n)), n) for i, n in placed])
        if sim is None or not sim.reset_to(nodes, placed):
            sim = ClusterSimulation(nodes, placed)
        assert _state(sim) == _state(fresh)
        # A what-if change the next reset must undo.
        if nodes:
            sim.add_node(node("template-1"))
            sim.schedule_anywhere(parse_pod(pod("what-if")))
