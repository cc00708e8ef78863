"""Single-node Filter (used node by node by preemption's dry run) agrees with the array form."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.engine.scheduler.framework import CycleState
from pytest_simkube.engine.scheduler.plugins.node_affinity import NodeAffinity
from pytest_simkube.engine.scheduler.plugins.node_name import NodeName
from pytest_simkube.engine.scheduler.plugins.node_ports import NodePorts
from pytest_simkube.engine.scheduler.plugins.node_resources_fit import NodeResourcesFit
from pytest_simkube.engine.scheduler.plugins.node_unschedulable import NodeUnschedulable
from pytest_simkube.engine.scheduler.plugins.taint_toleration import TaintToleration
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod

TAINTS = [{"key": "gpu", "value": "yes", "effect": "NoSchedule"},
          {"key": "spot", "value": "", "effect": "NoExecute"},
          {"key": "soft", "value": "x", "effect": "PreferNoSchedule"}]
PLUGINS = [NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit]


@st.composite
def clusters(draw):
    nodes = []
    for i in range(draw(st.integers(1, 6))):
        nodes.append(node(f"n{i}", cpu=draw(st.sampled_from(["1", "2", "4"])),
                          memory=draw(st.sampled_from(["1Gi", "4Gi"])), pods=draw(st.integers(1, 3)),
                          labels={"pool": draw(st.sampled_from(["a", "b"]))},
                          taints=draw(st.lists(st.sampled_from(TAINTS), max_size=2,
                                               unique_by=lambda t: t["key"])),
                          unschedulable=draw(st.booleans()),
                          extra={"example.com/dongle": "1"} if draw(st.booleans()) else None))
    snap = Snapshot.from_objects(nodes)
    for i in range(draw(st.integers(0, 6))):
        target = f"n{draw(st.integers(0, len(nodes) - 1))}"
        ports = [{"containerPort": 80, "hostPort": 8080}] if draw(st.booleans()) else []
        snap.add_pod(pod(f"b{i}", cpu=draw(st.sampled_from(["100m", "500m", "1"])), node_name=target,
                         ports=ports))
    return snap


@st.composite
def pods(draw):
    spec = {}
    if draw(st.booleans()):
        spec["tolerations"] = [{"key": draw(st.sampled_from(["gpu", "spot", ""])), "operator": "Exists"}]
    if draw(st.booleans()):
        spec["nodeSelector"] = {"pool": draw(st.sampled_from(["a", "b"]))}
    if draw(st.booleans()):
        spec["nodeName"] = f"n{draw(st.integers(0, 6))}"
    if draw(st.booleans()):
        spec["ports"] = [{"containerPort": 80, "hostPort": 8080}]
    incoming = pod("new", cpu=draw(st.sampled_from(["100m", "1", "3"])),
                   memory=draw(st.sampled_from(["128Mi", "2Gi"])), **spec)
    if draw(st.booleans()):
        incoming["spec"]["containers"][0]["resources"]["requests"]["example.com/dongle"] = "1"
    return parse_pod(incoming)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), pods())
def test_single_node_filter_equals_the_array_verdict(snap, incoming):
    slots = snap.order()
    for plugin_class in PLUGINS:
        plugin = plugin_class()
        verdicts = plugin.filter_many(CycleState(), incoming, snap, slots)
        for i, slot in enumerate(slots.tolist()):
            assert plugin.filter(CycleState(), incoming, snap, slot) == verdicts.status(i), plugin_class.name
