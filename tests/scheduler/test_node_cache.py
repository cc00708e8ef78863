"""Answers cached per node properties follow node changes and ignore pod changes."""

from __future__ import annotations

import numpy as np

from pytest_simkube.engine.scheduler.framework import CycleState
from pytest_simkube.engine.scheduler.plugins.node_affinity import NodeAffinity
from pytest_simkube.engine.scheduler.plugins.taint_toleration import TaintToleration
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod

TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def _passes(plugin, incoming, snap: Snapshot) -> list[bool]:
    verdicts = plugin.filter_many(CycleState(), incoming, snap, snap.order())
    return np.asarray(verdicts.passed).tolist()


def test_node_cache_is_emptied_by_node_changes_only():
    snap = Snapshot.from_objects([node("a"), node("b")])
    snap.node_cache()["x"] = 1
    snap.add_pod(pod("p", node_name="a"))
    snap.remove_pod("default/p")
    assert snap.node_cache() == {"x": 1}
    snap.update_node(node("a", labels={"zone": "z1"}))
    assert snap.node_cache() == {}
    snap.node_cache()["x"] = 1
    snap.remove_node("b")
    assert snap.node_cache() == {}
    snap.node_cache()["x"] = 1
    snap.add_node(node("c"))
    assert snap.node_cache() == {}


def test_taint_verdicts_follow_a_node_update():
    snap = Snapshot.from_objects([node("a"), node("b")])
    plugin = TaintToleration()
    plain = parse_pod(pod("p"))
    tolerant = parse_pod(pod("q", tolerations=[{"key": "dedicated", "operator": "Exists"}]))
    assert _passes(plugin, plain, snap) == [True, True]
    snap.update_node(node("b", taints=[TAINT]))
    assert _passes(plugin, plain, snap) == [True, False]
    assert _passes(plugin, tolerant, snap) == [True, True]
    reasons = plugin.filter_many(CycleState(), plain, snap, snap.order()).status(1).reasons
    assert reasons == ("node(s) had untolerated taint {dedicated: gpu}",)
    snap.update_node(node("b"))
    assert _passes(plugin, plain, snap) == [True, True]


def test_node_affinity_verdicts_follow_labels_and_new_nodes():
    snap = Snapshot.from_objects([node("a", labels={"pool": "batch"}), node("b")])
    plugin = NodeAffinity()
    batch = parse_pod(pod("p", nodeSelector={"pool": "batch"}))
    assert _passes(plugin, batch, snap) == [True, False]
    snap.update_node(node("b", labels={"pool": "batch"}))
    assert _passes(plugin, batch, snap) == [True, True]
    snap.add_node(node("c", labels={"pool": "web"}))
    assert _passes(plugin, batch, snap) == [True, True, False]
