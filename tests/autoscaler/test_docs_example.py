"""The worked example of docs/autoscaler.md: the files are in the repository and the numbers
the page shows are what the engine produces."""

from __future__ import annotations

import dataclasses

from pytest_simkube.engine.run import run_scenario
from pytest_simkube.metrics.compute import compute_metrics
from pytest_simkube.scenario import ClusterSpec
from pytest_simkube.scenario.loader import load_scenario
from pytest_simkube.trace import dumps_trace
from pytest_simkube.trace.synth import load_spec, synthesize
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "autoscaler"


def test_trace_is_generated_from_the_spec():
    trace = synthesize(load_spec(EXAMPLE / "burst.yaml")).trace
    assert dumps_trace(trace) == (EXAMPLE / "burst.sktrace").read_bytes()


def test_burst_scales_up_once_and_down_twice_as_documented():
    record = run_scenario(load_scenario(EXAMPLE / "burst.simkube.yaml"))
    ups = [r for r in record.records if r.kind == "ScaleUp"]
    assert [(u.t, u.group, u.delta, len(u.pods)) for u in ups] == [(310.0, "general", 2, 4)]
    assert [(r.t, r.node) for r in record.records if r.kind == "NodeReady"][1:] == [
        (355.0, "general-1"), (355.0, "general-2")]
    downs = [(r.t, r.node, r.reason) for r in record.records if r.kind == "ScaleDown"]
    assert downs == [(1510.0, "general-1", "empty"), (1510.0, "general-2", "empty")]
    metrics = compute_metrics(record)
    assert (metrics["pods.unschedulable"], metrics["nodes.peak"]) == (0, 3)


def test_a_group_of_one_node_leaves_the_burst_pending():
    scenario = load_scenario(EXAMPLE / "burst.simkube.yaml")
    small = dataclasses.replace(scenario.cluster.node_groups[0], max_size=1)
    scenario = dataclasses.replace(scenario, cluster=ClusterSpec([], [small]))
    record = run_scenario(scenario)
    metrics = compute_metrics(record)
    assert (metrics["nodes.scale_ups"], metrics["pods.scheduled"], metrics["nodes.peak"]) == (0, 2, 1)
    pending = {r.pod for r in record.records if r.kind == "PodUnschedulable"}
    assert len(pending) == 4
