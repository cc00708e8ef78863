"""SchedulingGates, PrioritySort, the volume plugins, DefaultBinder and the registry."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_simkube.engine.scheduler.framework import (
    CycleState,
    Framework,
    FrameworkError,
    Handle,
    ProfilePlugins,
)
from pytest_simkube.engine.scheduler.plugins import REGISTRY
from pytest_simkube.engine.scheduler.plugins.volume_plugins import NOT_MODELLED_KEY
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod
from tests.scheduler.plugin_harness import plugin, snapshot_of


def test_scheduling_gates_block_until_removed():
    gate = plugin("SchedulingGates", Snapshot())
    gated = parse_pod(pod("p", schedulingGates=[{"name": "a"}, {"name": "b"}]))
    status = gate.pre_enqueue(gated)
    assert status.reasons == ("waiting for scheduling gates: [a b]",)
    assert gate.pre_enqueue(parse_pod(pod("q"))).is_success()


def test_priority_sort_orders_by_priority_then_time():
    sort = plugin("PrioritySort", Snapshot())
    high = SimpleNamespace(pod=parse_pod(pod("h", priority=100)), timestamp=5.0)
    low_early = SimpleNamespace(pod=parse_pod(pod("l1", priority=0)), timestamp=1.0)
    low_late = SimpleNamespace(pod=parse_pod(pod("l2", priority=0)), timestamp=2.0)
    assert sort.less(high, low_early) and not sort.less(low_early, high)
    assert sort.less(low_early, low_late) and not sort.less(low_late, low_early)


@pytest.mark.parametrize(
    "name",
    [
        "VolumeRestrictions",
        "NodeVolumeLimits",
        "EBSLimits",
        "GCEPDLimits",
        "AzureDiskLimits",
        "VolumeBinding",
        "VolumeZone",
    ],
)
def test_volume_plugins_skip_pods_without_volumes_and_flag_claims(name):
    snap = snapshot_of([node("a")])
    p = plugin(name, snap)
    state = CycleState()
    _r, status = p.pre_filter(state, parse_pod(pod("p")), snap)
    assert status.is_skip()
    with_claim = pod("q", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}])
    state = CycleState()
    _r, status = p.pre_filter(state, parse_pod(with_claim), snap)
    assert status.is_success()
    assert name in state.get(NOT_MODELLED_KEY)
    assert p.filter_many(state, parse_pod(with_claim), snap, snap.order()).passed.all()


def test_volume_binding_never_scores():
    snap = snapshot_of([node("a")])
    assert (
        plugin("VolumeBinding", snap)
        .pre_score(CycleState(), parse_pod(pod("p")), snap, snap.order())
        .is_skip()
    )


def test_default_binder_records_the_node():
    state = CycleState()
    assert plugin("DefaultBinder", Snapshot()).bind(state, parse_pod(pod("p")), "n1").is_success()
    assert state.read("Bind") == "n1"


def test_registry_lists_every_default_plugin():
    for name in (
        "SchedulingGates",
        "PrioritySort",
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "VolumeRestrictions",
        "NodeVolumeLimits",
        "VolumeBinding",
        "VolumeZone",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
        "DefaultBinder",
        "EBSLimits",
        "GCEPDLimits",
        "AzureDiskLimits",
    ):
        assert REGISTRY.available(name), name
        assert REGISTRY[name]({}, Handle(Snapshot())).name == name
    assert not REGISTRY.available("NoSuchPlugin")


def test_framework_rejects_unknown_plugins_and_wrong_points():
    handle = Handle(Snapshot())
    with pytest.raises(FrameworkError, match="not registered"):
        Framework(ProfilePlugins("p", {"filter": ["Nope"]}, {}), REGISTRY, handle)
    with pytest.raises(FrameworkError, match="does not extend score"):
        Framework(ProfilePlugins("p", {"score": ["NodeName"]}, {}), REGISTRY, handle)
