"""The engine with the cluster-autoscaler model attached: pending pods get nodes."""

from __future__ import annotations

import pytest

from pytest_simkube.engine.run import run_scenario
from pytest_simkube.metrics import compute_metrics
from tests.engine.builders import deployment, group, make_trace, records, scenario

autoscaler = pytest.importorskip("pytest_simkube.engine.autoscaler")


def test_scale_up_from_min_gives_pending_pods_nodes_after_the_provision_delay():
    trace = make_trace([(0, [deployment("web", 6, cpu="3")], [])], end=900)
    sc = scenario(groups=[group("g", min_size=1, max_size=5, cpu=4000, delay=45.0)])
    record = run_scenario(sc, trace=trace)
    ups = records(record, "ScaleUp")
    assert ups and all(up.group == "g" for up in ups)
    assert sum(up.delta for up in ups) == 4            # 1 pod (3 CPU) per 4-CPU node: 1 + 4 = 5 = max
    ready = {r.node: r.t for r in records(record, "NodeReady")}
    added = {r.node: r.t for r in records(record, "NodeAdded")}
    for node in ("g-1", "g-2", "g-3", "g-4"):
        assert ready[node] - added[node] == pytest.approx(45.0)
    metrics = compute_metrics(record)
    assert metrics["pods.scheduled"] == 5
    assert metrics["pods.unschedulable"] == 1        # the group's max stops the sixth
    assert metrics["nodes.peak"] == 5
    assert 45.0 <= metrics["nodes.scale_up_latency_seconds.p90"] <= 120.0
