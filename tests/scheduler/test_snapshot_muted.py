"""Snapshot.muted: listeners hear only the net effect of a block of pod changes."""

from __future__ import annotations

import pytest

from pytest_simkube.engine.scheduler.snapshot import Snapshot, SnapshotError
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod


class Spy:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def on_node_added(self, snapshot, slot):
        self.calls.append(("node+", "", slot))

    def on_node_removed(self, snapshot, slot):
        self.calls.append(("node-", "", slot))

    def on_pod_added(self, snapshot, pod, slot):
        self.calls.append(("pod+", pod.key, slot))

    def on_pod_removed(self, snapshot, pod, slot):
        self.calls.append(("pod-", pod.key, slot))


def _snapshot() -> tuple[Snapshot, Spy]:
    snap = Snapshot.from_objects([node("a"), node("b")], [pod("p1", node_name="a"), pod("p2", node_name="a")])
    spy = Spy()
    snap.subscribe(spy)
    return snap, spy


def test_changes_undone_inside_the_block_are_never_heard():
    snap, spy = _snapshot()
    before = snap.requested[snap.slot_of("a")].tolist()
    with snap.muted():
        first = snap.remove_pod("default/p1")
        second = snap.remove_pod("default/p2")
        snap.add_pod(second, "a")
        snap.add_pod(first, "a")
    assert spy.calls == []
    assert snap.requested[snap.slot_of("a")].tolist() == before
    snap.reorder_pods(snap.slot_of("a"), ["default/p1", "default/p2"])
    assert list(snap.node(snap.slot_of("a")).pods) == ["default/p1", "default/p2"]


def test_net_changes_are_heard_once_at_the_end():
    snap, spy = _snapshot()
    with snap.muted():
        snap.add_pod(pod("p3", node_name="b"))
        snap.remove_pod("default/p1")
        snap.add_pod(pod("p4", node_name="b"))
        snap.remove_pod("default/p4")
        assert spy.calls == []
    assert sorted(spy.calls) == [("pod+", "default/p3", snap.slot_of("b")),
                                 ("pod-", "default/p1", snap.slot_of("a"))]


def test_a_replaced_pod_object_is_heard_as_removed_and_added():
    snap, spy = _snapshot()
    with snap.muted():
        snap.remove_pod("default/p1")
        snap.add_pod(parse_pod(pod("p1", node_name="b")))
    assert spy.calls == [("pod-", "default/p1", snap.slot_of("a")), ("pod+", "default/p1", snap.slot_of("b"))]


def test_nodes_cannot_change_while_muted():
    snap, _spy = _snapshot()
    with snap.muted(), pytest.raises(SnapshotError, match="muted"):
        snap.add_node(node("c"))


def test_one_pod_in_two_snapshots_with_differently_ordered_extended_resources():
    """A PodInfo caches its request row per column layout: the autoscaler's what-if cluster
    may meet extended resources in another order than the scheduler's snapshot."""
    first = Snapshot.from_objects([node("a", extra={"example.com/x": "4", "example.com/y": "4"})])
    second = Snapshot.from_objects([node("a", extra={"example.com/y": "5", "example.com/x": "6"})])
    manifest = pod("p", node_name="a")
    manifest["spec"]["containers"][0]["resources"]["requests"].update({"example.com/x": "1",
                                                                       "example.com/y": "3"})
    info = parse_pod(manifest)
    for snap in (first, second, first):
        if info.key in snap.pods:
            snap.remove_pod(info.key)
        snap.add_pod(info, "a")
        row = snap.requested[snap.slot_of("a")]
        assert row[snap.resource_column("example.com/x")] == 1
        assert row[snap.resource_column("example.com/y")] == 3


def test_a_block_that_puts_every_pod_back_gives_the_nodes_their_stamps_back():
    """A preemption dry run evicts and restores: verdicts scoped to the node stay valid."""
    snap, _spy = _snapshot()
    slot = snap.slot_of("a")
    stamp, content = int(snap.pod_stamp[slot]), snap.content_version
    generation = snap.generation
    with snap.muted():
        first = snap.remove_pod("default/p1")
        second = snap.remove_pod("default/p2")
        snap.add_pod(first, "a")
        snap.add_pod(second, "a")
    assert snap.generation > generation, "generations only grow (caches keyed by them stay safe)"
    assert (int(snap.pod_stamp[slot]), snap.content_version) == (stamp, content)


def test_a_block_that_leaves_a_change_keeps_the_new_stamps():
    snap, _spy = _snapshot()
    slot_a, slot_b = snap.slot_of("a"), snap.slot_of("b")
    stamp_b, content = int(snap.pod_stamp[slot_b]), snap.content_version
    with snap.muted():
        moved = snap.remove_pod("default/p1")
        snap.add_pod(moved, "b")
    assert int(snap.pod_stamp[slot_b]) > stamp_b
    assert int(snap.pod_stamp[slot_a]) == snap.generation - 1
    assert snap.content_version > content


def test_pods_put_back_in_another_order_count_as_a_change():
    """Pod order on a node is what preemption's ordering and the victims list read."""
    snap, _spy = _snapshot()
    slot = snap.slot_of("a")
    stamp = int(snap.pod_stamp[slot])
    with snap.muted():
        first = snap.remove_pod("default/p1")
        snap.add_pod(first, "a")  # now after p2
    assert list(snap.node(slot).pods) == ["default/p2", "default/p1"]
    assert int(snap.pod_stamp[slot]) > stamp
