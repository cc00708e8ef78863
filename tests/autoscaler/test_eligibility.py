"""Utilisation and candidate eligibility on hand-built nodes and pods
(upstream simulator/utilization/info.go, core/scaledown/eligibility/eligibility.go)."""

from __future__ import annotations

from pytest_simkube.engine.autoscaler.scale_down import (
    SCALE_DOWN_DISABLED,
    DrainOptions,
    PlannerSettings,
    RemainingPdbTracker,
    ScaleDownPlanner,
    pods_to_move,
    utilization,
)
from pytest_simkube.engine.autoscaler.simulator import PodInfoCache
from pytest_simkube.engine.objects import Node, Pod

GIB = 2**30


def node(name: str = "n", cpu: int = 4000, memory: int = 16 * GIB, annotations: dict | None = None) -> Node:
    manifest = {"metadata": {"name": name, "annotations": annotations or {}}}
    return Node(name=name, manifest=manifest, group="g", cpu=cpu, memory=memory, ready=True)


def pod(name: str, cpu: int, memory: int, owner: str = "ReplicaSet", annotations: dict | None = None,
        node_name: str = "n") -> Pod:
    manifest = {"metadata": {"name": name, "namespace": "default", "annotations": annotations or {}},
                "spec": {"containers": [{"name": "c"}]}}
    return Pod(key=f"default/{name}", manifest=manifest, created_at=0.0, owner_kind=owner, owner_name="o",
               cpu=cpu, memory=memory, phase="Running", node=node_name)


def test_utilisation_is_the_larger_of_the_cpu_and_memory_ratios():
    pods = [pod("a", 1000, 12 * GIB)]
    assert utilization(node(), pods) == 0.75  # memory 12/16 beats cpu 1/4


def test_ignored_daemonset_and_mirror_pods_leave_both_sides_of_the_ratio():
    pods = [pod("app", 1000, GIB), pod("ds", 2000, GIB, owner="DaemonSet"),
            pod("mirror", 1000, GIB, owner="", annotations={"kubernetes.io/config.mirror": "x"})]
    assert utilization(node(), pods) == 1.0
    assert utilization(node(), pods, ignore_daemonsets=True) == 2000 / 2000
    assert utilization(node(), pods, ignore_mirror=True) == 3000 / 3000
    assert utilization(node(), pods, ignore_daemonsets=True, ignore_mirror=True) == 1000 / 1000


def test_candidates_skip_annotated_and_busy_nodes():
    pods = {"idle": [pod("a", 100, GIB, node_name="idle")], "busy": [pod("b", 3000, GIB, node_name="busy")],
            "off": [pod("c", 100, GIB, node_name="off")]}
    nodes = [node("idle"), node("busy"), node("off", annotations={SCALE_DOWN_DISABLED: "true"})]
    for n in nodes:
        n.pods = {p.key for p in pods[n.name]}
    by_key = {p.key: p for ps in pods.values() for p in ps}
    settings = PlannerSettings(threshold=lambda g: 0.5, ignore_daemonsets=lambda g: False,
                               ignore_mirror=False, drain=DrainOptions(), recheck_timeout=300.0)
    planner = ScaleDownPlanner(settings, PodInfoCache(), by_key.get)
    assert [n.name for n in planner.candidates(nodes)] == ["idle"]
    assert planner.last_reasons == {"busy": "NotUnderutilized", "off": "ScaleDownDisabledAnnotation"}


def test_pods_to_move_keeps_daemonset_pods_apart_and_ignores_mirror_pods():
    pods = [pod("app", 100, GIB), pod("ds", 100, GIB, owner="DaemonSet"),
            pod("mirror", 100, GIB, owner="", annotations={"kubernetes.io/config.mirror": "x"})]
    drain = pods_to_move(pods, RemainingPdbTracker([], lambda p: 0), DrainOptions())
    assert ([p.name for p in drain.pods], [p.name for p in drain.daemonset_pods], drain.blocking) == (
        ["app"], ["ds"], None)


def test_custom_controllers_block_unless_the_flag_allows_them():
    pods = [pod("custom", 100, GIB, owner="MyOperator")]
    tracker = RemainingPdbTracker([], lambda p: 0)
    assert pods_to_move(pods, tracker, DrainOptions()).blocking == ("default/custom", "NotReplicated")
    relaxed = DrainOptions(skip_nodes_with_custom_controller_pods=False)
    assert pods_to_move(pods, tracker, relaxed).blocking is None


def test_pdb_budget_is_spent_by_earlier_nodes_in_the_same_loop():
    budget = {"metadata": {"name": "p", "namespace": "default"},
              "spec": {"selector": {"matchLabels": {"app": "web"}}}}
    tracker = RemainingPdbTracker([budget], lambda p: 1)
    web = [pod(f"w{i}", 100, GIB) for i in range(2)]
    for p in web:
        p.manifest["metadata"]["labels"] = {"app": "web"}
    assert pods_to_move([web[0]], tracker, DrainOptions()).blocking is None
    tracker.remove_pods([web[0]])
    assert pods_to_move([web[1]], tracker, DrainOptions()).blocking == ("default/w1", "NotEnoughPdb")
