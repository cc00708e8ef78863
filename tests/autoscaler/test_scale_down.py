"""Scale-down on the embedded engine (upstream core/scaledown/*, simulator/drainability/rules,
simulator/cluster.go, core/static_autoscaler.go isScaleDownInCooldown)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_simkube.engine.autoscaler.scale_down import (
    DrainOptions,
    NodeToRemove,
    PlannerSettings,
    crop_nodes,
)
from tests.autoscaler.builders import bare_pod, group, kinds, pdb, run
from tests.engine.builders import deployment, make_trace

QUICK = {"scaleDownDelayAfterAdd": "0s", "scaleDownUnneededTime": "1m", "unremovableNodeRecheckTimeout": "1s"}
"""Short delays so the rules, not the timers, decide; the timer tests set their own."""


def subject_on_second_node(subject: list[dict], *, shrink_fill: bool = True, end: float = 600,
                           **autoscaler: Any):
    """``fill`` takes all of g-0; the subject (arriving at t=5) makes CA add g-1 and lands there.
    At t=100 ``fill`` shrinks to 3 pods, so the subject could move back to g-0."""
    fill = deployment("fill", 4, cpu="1")
    events = [(0, [fill], []), (5, subject, [])]
    if shrink_fill:
        events.append((100, [deployment("fill", 3, cpu="1")], []))
    return run(make_trace(events, end=end), [group("g", 1, 5)], **{**QUICK, **autoscaler})


def subject_deployment(name: str = "subject", ns: str = "default", annotations: dict | None = None,
                       volumes: list | None = None) -> dict:
    dep = deployment(name, 1, ns=ns, cpu="1")
    template = dep["spec"]["template"]
    if annotations:
        template["metadata"]["annotations"] = annotations
    if volumes:
        template["spec"]["volumes"] = volumes
    return dep


def removed(record) -> list[tuple[float, str, str]]:
    return [(r.t, r.node, r.reason) for r in kinds(record, "ScaleDown")]


def test_underutilised_node_is_drained_after_the_unneeded_time_and_its_pod_rescheduled():
    record = subject_on_second_node([subject_deployment()])
    # fill shrinks at ~100.5; the loop at 110 finds g-1 unneeded; 1m later it goes.
    assert removed(record) == [(170.0, "g-1", "underutilized")]
    evicted = [r.pod for r in kinds(record, "PodDeleted") if r.reason == "evicted"]
    assert len(evicted) == 1 and evicted[0].startswith("default/subject-")
    replacement = [r for r in kinds(record, "PodScheduled")
                   if r.pod.startswith("default/subject-") and r.t > 170]
    assert [r.node for r in replacement] == ["g-0"]
    assert [r.node for r in kinds(record, "NodeRemoved")] == ["g-1"]


def test_no_scale_down_when_the_pods_do_not_fit_elsewhere():
    assert removed(subject_on_second_node([subject_deployment()], shrink_fill=False)) == []


def test_nodes_at_or_above_the_utilisation_threshold_stay():
    # g-1 runs 1 of 4 cpu: utilisation 0.25 (max of cpu and memory ratios).
    assert removed(subject_on_second_node([subject_deployment()], scaleDownUtilizationThreshold=0.25)) == []
    assert removed(subject_on_second_node([subject_deployment()], scaleDownUtilizationThreshold=0.26)) != []


def test_unremovable_nodes_are_rechecked_only_after_the_recheck_timeout():
    # At 60 g-1's pod has nowhere to go (g-0 full): unremovable until 360; unneeded from 360.
    record = subject_on_second_node([subject_deployment()], unremovableNodeRecheckTimeout="5m", end=900)
    assert removed(record) == [(420.0, "g-1", "underutilized")]


@pytest.mark.parametrize(("delay", "expected"), [("0s", 170.0), ("10m", 610.0)])
def test_no_scale_down_within_scale_down_delay_after_add(delay, expected):
    record = subject_on_second_node([subject_deployment()], scaleDownDelayAfterAdd=delay, end=900)
    assert kinds(record, "ScaleUp")[0].t == 10.0
    assert [t for t, _, _ in removed(record)] == [expected]


SAFE = "cluster-autoscaler.kubernetes.io/safe-to-evict"
LOCAL_OK = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
EMPTY_DIR = [{"name": "scratch", "emptyDir": {}}]


@pytest.mark.parametrize(("subject", "options", "movable"), [
    pytest.param([bare_pod("solo", "1")], {}, False, id="no-controller-blocks"),
    pytest.param([bare_pod("solo", "1", annotations={SAFE: "true"})], {}, True,
                 id="safe-to-evict-true-overrides"),
    pytest.param([subject_deployment(annotations={SAFE: "false"})], {}, False,
                 id="safe-to-evict-false-blocks"),
    pytest.param([subject_deployment(ns="kube-system")], {}, False, id="kube-system-without-pdb-blocks"),
    pytest.param([subject_deployment(ns="kube-system")], {"skipNodesWithSystemPods": False}, True,
                 id="kube-system-allowed-by-flag"),
    pytest.param([subject_deployment(ns="kube-system"),
                  pdb("p", "subject", ns="kube-system", max_unavailable=1)],
                 {}, True, id="kube-system-with-pdb-moves"),
    pytest.param([subject_deployment(volumes=EMPTY_DIR)], {}, False, id="empty-dir-blocks"),
    pytest.param([subject_deployment(volumes=[{"name": "h", "hostPath": {"path": "/x"}}])], {}, False,
                 id="host-path-blocks"),
    pytest.param([subject_deployment(volumes=[{"name": "m", "emptyDir": {"medium": "Memory"}}])], {}, True,
                 id="memory-empty-dir-moves"),
    pytest.param([subject_deployment(volumes=EMPTY_DIR, annotations={LOCAL_OK: "scratch"})], {}, True,
                 id="listed-local-volume-moves"),
    pytest.param([subject_deployment(volumes=EMPTY_DIR)], {"skipNodesWithLocalStorage": False}, True,
                 id="local-storage-allowed-by-flag"),
    pytest.param([subject_deployment(), pdb("p", "subject", min_available=1)], {}, False,
                 id="pdb-without-disruptions-blocks"),
    pytest.param([subject_deployment(), pdb("p", "subject", max_unavailable=1)], {}, True,
                 id="pdb-with-room-moves"),
    pytest.param([subject_deployment(annotations={SAFE: "true"}), pdb("p", "subject", min_available=1)],
                 {}, True, id="safe-to-evict-true-before-pdb-rule"),
])
def test_drainability_rules(subject, options, movable):
    record = subject_on_second_node(subject, **options)
    assert removed(record) == ([(170.0, "g-1", "underutilized")] if movable else [])


SIX_NODES = make_trace([(0, [deployment("web", 24, cpu="1")], []),
                        (200, [], [deployment("web", 24, cpu="1")])], end=900)


@pytest.mark.parametrize(("options", "times"), [
    # The Deployment and its pods go at 200; the 200 s scan finds 6 empty nodes; 1 m later:
    ({}, [260.0] * 6),
    ({"maxEmptyBulkDelete": 2}, [260.0, 260.0, 270.0, 270.0, 280.0, 280.0]),
    ({"maxScaleDownParallelism": 4}, [260.0] * 4 + [270.0] * 2),
    ({"maxEmptyBulkDelete": 2, "scaleDownDelayAfterDelete": "30s"},
     [260.0, 260.0, 290.0, 290.0, 320.0, 320.0]),
])
def test_empty_nodes_go_in_bulk_within_the_deletion_budgets(options, times):
    record = run(SIX_NODES, [group("g", 0, 10)], **{**QUICK, **options})
    assert [(u.t, u.delta) for u in kinds(record, "ScaleUp")] == [(10.0, 6)]
    downs = removed(record)
    assert [t for t, _, _ in downs] == times
    assert {reason for _, _, reason in downs} == {"empty"}


def test_empty_nodes_are_deleted_down_to_the_group_min_size():
    record = run(SIX_NODES, [group("g", 4, 10)], **QUICK)
    assert [(u.t, u.delta) for u in kinds(record, "ScaleUp")] == [(10.0, 2)]
    assert len(removed(record)) == 2
    assert len(kinds(record, "NodeAdded")) - len(kinds(record, "NodeRemoved")) == 4


def test_default_unneeded_time_is_ten_minutes():
    record = run(SIX_NODES, [group("g", 0, 10)])
    assert [t for t, _, _ in removed(record)] == [800.0] * 6  # unneeded since the 200 s scan


def test_scale_down_disabled_keeps_every_node():
    record = run(SIX_NODES, [group("g", 0, 10)], scaleDownEnabled=False, **QUICK)
    assert removed(record) == []


def nodes(prefix: str, count: int, pods: int) -> list[NodeToRemove]:
    return [NodeToRemove(f"{prefix}{i}", "g", [f"p{i}-{j}" for j in range(pods)]) for i in range(count)]


def test_budgets_take_empty_nodes_first_then_drains_up_to_max_drain_parallelism():
    empty, drain = crop_nodes(nodes("e", 3, 0), nodes("d", 3, 1), max_parallelism=10, max_drain_parallelism=1)
    assert ([n.node for n in empty], [n.node for n in drain]) == (["e0", "e1", "e2"], ["d0"])
    empty, drain = crop_nodes(nodes("e", 3, 0), nodes("d", 3, 1), max_parallelism=4, max_drain_parallelism=3)
    assert ([n.node for n in empty], [n.node for n in drain]) == (["e0", "e1", "e2"], ["d0"])
    empty, drain = crop_nodes(nodes("e", 5, 0), nodes("d", 3, 1), max_parallelism=4, max_drain_parallelism=3)
    assert (len(empty), drain) == (4, [])
    empty, drain = crop_nodes(nodes("e", 5, 0), nodes("d", 3, 1), max_parallelism=10, max_drain_parallelism=2,
                              max_empty_bulk_delete=1)
    assert ([n.node for n in empty], [n.node for n in drain]) == (["e0"], ["d0", "d1"])


def test_unneeded_nodes_limit_grows_by_twice_the_parallelism_up_to_the_loops_in_the_unneeded_time():
    settings = PlannerSettings(threshold=lambda g: 0.5, ignore_daemonsets=lambda g: False,
                               ignore_mirror=False, drain=DrainOptions(), recheck_timeout=300.0,
                               max_parallelism=10,
                               unneeded_time=600.0, scan_interval=10.0)
    assert settings.unneeded_nodes_limit(0) == 20
    assert settings.unneeded_nodes_limit(35) == 55
    assert settings.unneeded_nodes_limit(10_000) == 10 * 60 + 10  # planner.go unneededNodesLimit
