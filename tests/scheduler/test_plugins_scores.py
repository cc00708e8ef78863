"""Score plugins: the v1.30 formulas on hand-computed cases."""

from __future__ import annotations

import numpy as np

from pytest_simkube.engine.scheduler.framework import default_normalize_score
from tests.scheduler.cluster_builders import node, pod
from tests.scheduler.plugin_harness import scores, snapshot_of

GI = 2**30


def _cluster():
    # a: 4 cpu / 8Gi with 1 cpu / 2Gi used; b: 8 cpu / 8Gi empty
    return snapshot_of(
        [node("a", cpu="4", memory="8Gi"), node("b", cpu="8", memory="8Gi")],
        [pod("x", cpu="1", memory="2Gi", node_name="a")],
    )


def test_least_allocated_default():
    raw, norm, _ = scores("NodeResourcesFit", _cluster(), pod("p", cpu="1", memory="2Gi"))
    # a: cpu (4000-2000)*100/4000 = 50, mem (8-4)*100/8 = 50 -> 50
    # b: cpu (8000-1000)*100/8000 = 87, mem (8-2)*100/8 = 75 -> (87+75)//2 = 81
    assert raw == {"a": 50, "b": 81}
    assert norm == raw


def test_most_allocated_with_weights():
    args = {
        "scoringStrategy": {
            "type": "MostAllocated",
            "resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}],
        }
    }
    raw, _norm, _ = scores("NodeResourcesFit", _cluster(), pod("p", cpu="1", memory="2Gi"), args)
    # a: cpu 50, mem 50 -> 50; b: cpu 1000*100/8000 = 12, mem 25 -> (36+25)//4 = 15
    assert raw == {"a": 50, "b": 15}


def test_requested_to_capacity_ratio_shape_and_rounding():
    args = {
        "scoringStrategy": {
            "type": "RequestedToCapacityRatio",
            "resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}],
            "requestedToCapacityRatio": {
                "shape": [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]
            },
        }
    }
    raw, _norm, _ = scores("NodeResourcesFit", _cluster(), pod("p", cpu="1", memory="2Gi"), args)
    # a: util cpu 50 -> 50, mem 50 -> 50 -> 50; b: cpu 12 -> 12, mem 25 -> 25 -> round((36+25)/4) = 15
    assert raw == {"a": 50, "b": 15}


def test_resource_scorers_count_best_effort_pods_as_100m_200mi():
    snap = snapshot_of([node("a", cpu="1", memory="1Gi")])
    raw, _norm, _ = scores("NodeResourcesFit", snap, pod("p", cpu=None, memory=None))
    # cpu (1000-100)*100/1000 = 90, mem (1024-200)*100/1024 = 80 -> 85
    assert raw == {"a": 85}
    # BalancedAllocation uses the real (zero) requests: both fractions 0 -> 100
    raw, _norm, _ = scores("NodeResourcesBalancedAllocation", snap, pod("p", cpu=None, memory=None))
    assert raw == {"a": 100}


def test_balanced_allocation_v1_30_formula():
    raw, _norm, status = scores(
        "NodeResourcesBalancedAllocation", _cluster(), pod("p", cpu="1", memory="2Gi")
    )
    # a: f_cpu 0.5, f_mem 0.5 -> 100; b: f_cpu 0.125, f_mem 0.25 -> (1 - 0.0625)*100 = 93
    assert raw == {"a": 100, "b": 93}
    assert status is not None and status.is_success()


def test_taint_toleration_scores_prefer_no_schedule_reversed():
    soft = {"key": "spot", "value": "true", "effect": "PreferNoSchedule"}
    snap = snapshot_of(
        [
            node("clean"),
            node("one", taints=[soft]),
            node("two", taints=[soft, {"key": "old", "value": "", "effect": "PreferNoSchedule"}]),
        ]
    )
    raw, norm, _ = scores("TaintToleration", snap, pod("p"))
    assert raw == {"clean": 0, "one": 1, "two": 2}
    assert norm == {"clean": 100, "one": 50, "two": 0}
    tolerant = pod(
        "p",
        tolerations=[
            {"key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"},
            {"key": "old", "operator": "Exists", "effect": "NoSchedule"},
        ],
    )
    raw, _norm, _ = scores("TaintToleration", snap, tolerant)
    assert raw == {"clean": 0, "one": 0, "two": 1}  # a NoSchedule toleration does not count for scoring


def test_node_affinity_preferred_terms():
    snap = snapshot_of(
        [node("a", labels={"pool": "x", "ssd": "1"}), node("b", labels={"pool": "y"}), node("c")]
    )
    preferred = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 30,
                    "preference": {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["x"]}]},
                },
                {"weight": 10, "preference": {"matchExpressions": [{"key": "pool", "operator": "Exists"}]}},
                {"weight": 0, "preference": {"matchExpressions": [{"key": "pool", "operator": "Exists"}]}},
            ]
        }
    }
    raw, norm, status = scores("NodeAffinity", snap, pod("p", affinity=preferred))
    assert raw == {"a": 40, "b": 10, "c": 0}
    assert norm == {"a": 100, "b": 25, "c": 0}
    _raw, _norm, status = scores("NodeAffinity", snap, pod("p"))
    assert status.is_skip()


def test_image_locality():
    mib = 2**20
    images = [{"names": ["registry/app:1"], "sizeBytes": 500 * mib}]
    snap = snapshot_of([node("a", images=images), node("b", images=images), node("c"), node("d")])
    raw, norm, _ = scores("ImageLocality", snap, pod("p", image="registry/app:1"))
    # sum = 500MiB * 2/4 = 250MiB; (250-23)/(1000-23)*100 = 23
    assert raw == {"a": 23, "b": 23, "c": 0, "d": 0}
    assert norm == raw
    untagged = snapshot_of([node("a", images=[{"names": ["app:latest"], "sizeBytes": 2000 * mib}])])
    raw, _norm, _ = scores("ImageLocality", untagged, pod("p", image="app"))
    assert raw == {"a": 100}


def test_default_normalize_score():
    assert default_normalize_score(np.array([0, 5, 10]), reverse=False).tolist() == [0, 50, 100]
    assert default_normalize_score(np.array([0, 5, 10]), reverse=True).tolist() == [100, 50, 0]
    assert default_normalize_score(np.array([0, 0]), reverse=True).tolist() == [100, 100]
    assert default_normalize_score(np.array([0, 0]), reverse=False).tolist() == [0, 0]
    assert default_normalize_score(np.array([1, 3]), reverse=False).tolist() == [33, 100]
