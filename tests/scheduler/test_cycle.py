"""The scheduling cycle: sampling, rotation, single-node skip, tie-break, fit errors, snapshot upkeep."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simkube.engine.scheduler.cycle import fit_error_message, num_feasible_nodes_to_find
from pytest_simkube.engine.scheduler.framework import Status
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod
from tests.scheduler.plugin_harness import default_cycle, snapshot_of


@pytest.mark.parametrize(
    ("nodes", "percentage", "expected"),
    [
        (50, None, 50),
        (99, 10, 99),
        (100, None, 100),
        (500, None, 230),
        (1000, None, 420),
        (5000, None, 500),
        (15000, None, 750),
        (6000, None, 300),
        (1000, 50, 500),
        (1000, 1, 100),
    ],
)
def test_num_feasible_nodes_to_find(nodes, percentage, expected):
    assert num_feasible_nodes_to_find(nodes, percentage) == expected


def test_fit_error_message_counts_and_sorts_reasons_as_strings():
    statuses = {f"n{i}": Status.unschedulable("Insufficient cpu") for i in range(12)}
    statuses |= {f"m{i}": Status.unschedulable("Insufficient cpu", "Insufficient memory") for i in range(3)}
    statuses["t"] = Status.unresolvable("node(s) had untolerated taint {a: b}")
    text = fit_error_message(16, statuses)
    assert text == (
        "0/16 nodes are available: 1 node(s) had untolerated taint {a: b}, "
        "15 Insufficient cpu, 3 Insufficient memory."
    )
    assert fit_error_message(3, {}, pre_filter_message="pod affinity terms conflict") == (
        "0/3 nodes are available: pod affinity terms conflict."
    )
    # FitError.Error() appends the PostFilter message as it is (preemption's ends with ".").
    post = "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
    assert fit_error_message(2, statuses, post_filter_message=post).endswith(
        "3 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found "
        "for incoming pod."
    )
    assert fit_error_message(
        3, {}, pre_filter_message="pod affinity terms conflict", post_filter_message=post
    ) == f"0/3 nodes are available: pod affinity terms conflict. {post}"
    assert fit_error_message(2, [], post_filter_message=post) == f"0/2 nodes are available: {post}"


def _big_cluster(n):
    return snapshot_of([node(f"n{i:03d}") for i in range(n)])


def test_sampling_stops_at_k_feasible_and_rotates_the_start_index():
    snap = _big_cluster(200)  # k = max(100, 200*48/100) = 100
    cycle = default_cycle(snap)
    first = cycle.schedule(parse_pod(pod("p1")))
    assert len(first.feasible) == 100 and first.evaluated_nodes == 100
    assert snap.node_names(first.feasible[:2].tolist()) == ["n000", "n001"]
    assert cycle.next_start_node_index == 100
    second = cycle.schedule(parse_pod(pod("p2")))
    assert snap.node_names(second.feasible[:1].tolist()) == ["n100"]
    assert cycle.next_start_node_index == 0


def test_rejected_nodes_count_towards_processed_nodes():
    nodes = [node(f"n{i:03d}", cpu="1" if i % 2 else "100m") for i in range(200)]
    snap = snapshot_of(nodes)
    cycle = default_cycle(snap)
    result = cycle.schedule(parse_pod(pod("p", cpu="500m")))
    assert len(result.feasible) == 100
    # the 100th feasible node is n199: 100 feasible (odd) + 100 rejected (even) processed
    assert result.evaluated_nodes == 200
    assert len(result.node_statuses) == 100
    assert cycle.next_start_node_index == 0
    second = default_cycle(snap)
    second.next_start_node_index = 150
    result = second.schedule(parse_pod(pod("p", cpu="500m")))
    # from n150: 25 feasible up to n199, then 75 more from n000 ending at n149
    assert result.evaluated_nodes == 200 and second.next_start_node_index == 150
    assert snap.node_names(result.feasible[:1].tolist()) == ["n151"]


def test_single_feasible_node_is_taken_without_scoring():
    snap = snapshot_of([node("a", cpu="100m"), node("b", cpu="4")])
    result = default_cycle(snap).schedule(parse_pod(pod("p", cpu="1")))
    assert result.selected == "b" and result.single_feasible_node_scoring_skipped and not result.scores
    explained = default_cycle(snap).schedule(parse_pod(pod("p", cpu="1")), evaluate_all_nodes=True)
    assert explained.single_feasible_node_scoring_skipped and explained.scores


def test_tie_break_is_seeded_and_uniform():
    snap = _big_cluster(4)
    picks = collections.Counter(
        default_cycle(snap, seed=s).schedule(parse_pod(pod("p"))).selected for s in range(400)
    )
    assert set(picks) == {"n000", "n001", "n002", "n003"}
    assert min(picks.values()) > 60
    again = [default_cycle(snap, seed=7).schedule(parse_pod(pod("p"))).selected for _ in range(3)]
    assert len(set(again)) == 1


def test_unschedulable_pod_gets_the_fit_error_and_every_node_status():
    snap = snapshot_of(
        [
            node("a", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}]),
            node("b", cpu="1"),
            node("c", unschedulable=True),
        ]
    )
    result = default_cycle(snap).schedule(parse_pod(pod("p", cpu="2")))
    assert result.selected is None
    assert result.fit_error == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
        "{k: v}, 1 node(s) were unschedulable."
    )
    assert {n: s.plugin for n, s in result.node_statuses.items()} == {
        "a": "TaintToleration",
        "b": "NodeResourcesFit",
        "c": "NodeUnschedulable",
    }


def test_prefilter_rejection_is_reported_once():
    snap = snapshot_of([node("a"), node("b")])
    conflict = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["a"]},
                            {"key": "metadata.name", "operator": "In", "values": ["b"]},
                        ]
                    }
                ]
            }
        }
    }
    result = default_cycle(snap).schedule(parse_pod(pod("p", affinity=conflict)))
    assert result.fit_error == "0/2 nodes are available: pod affinity terms conflict."
    assert result.pre_filter_status.plugin == "NodeAffinity"


def test_placements_fill_nodes_and_are_deterministic():
    def run(seed):
        snap = _big_cluster(10)
        cycle = default_cycle(snap, seed=seed)
        out = []
        for i in range(60):
            p = parse_pod(pod(f"p{i}", cpu="500m", memory="1Gi"))
            result = cycle.schedule(p)
            if result.selected:
                snap.add_pod(p, result.selected)
            out.append(result.selected)
        return out, snap

    first, snap = run(3)
    assert first == run(3)[0]
    assert first.count(None) == 0  # 10 nodes x 8 pods of 500m fit 60 pods
    assert snap.requested[snap.order(), 0].sum() == 60 * 500
    assert max(collections.Counter(first).values()) <= 8


_node_ops = st.lists(
    st.tuples(
        st.sampled_from(["add_pod", "remove_pod", "add_node", "remove_node"]),
        st.integers(0, 5),
        st.integers(1, 4),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(_node_ops)
def test_incremental_snapshot_equals_rebuilt(ops):
    snap = Snapshot(capacity=2)
    nodes = {f"n{i}": node(f"n{i}", cpu="8", labels={"zone": f"z{i % 2}"}) for i in range(3)}
    for manifest in nodes.values():
        snap.add_node(manifest)
    pods: dict[str, dict] = {}
    counter = 0
    for op, which, size in ops:
        names = [n for n in nodes if snap.has_node(n)]
        if op == "add_pod" and names:
            counter += 1
            manifest = pod(f"p{counter}", cpu=f"{size}00m", node_name=names[which % len(names)])
            snap.add_pod(manifest)
            pods[f"default/p{counter}"] = manifest
        elif op == "remove_pod" and pods:
            key = sorted(pods)[which % len(pods)]
            snap.remove_pod(key)
            del pods[key]
        elif op == "add_node":
            name = f"x{which}{size}"
            if not snap.has_node(name):
                nodes[name] = node(name, cpu=str(size), labels={"zone": f"z{size % 2}"})
                snap.add_node(nodes[name])
        elif op == "remove_node" and len(names) > 1:
            gone = names[which % len(names)]
            for removed in snap.remove_node(gone):
                pods.pop(removed.key, None)
    live = [nodes[n] for n in snap.node_names(snap.order().tolist())]
    rebuilt = Snapshot.from_objects(live, [pods[k] for k in sorted(pods)])
    a, b = snap.order(), rebuilt.order()
    assert snap.node_names(a.tolist()) == rebuilt.node_names(b.tolist())
    for col in range(len(rebuilt.resources)):
        name = rebuilt.resources[col]
        mine = snap.resource_column(name)
        assert np.array_equal(snap.requested[a, mine], rebuilt.requested[b, col]), name
        assert np.array_equal(snap.allocatable[a, mine], rebuilt.allocatable[b, col]), name
    assert np.array_equal(snap.pod_count[a], rebuilt.pod_count[b])
    assert np.array_equal(snap.non_zero_requested[a], rebuilt.non_zero_requested[b])
    zone_a = [snap.label_vocab("zone").get(v) for v in ("z0", "z1")]
    assert [snap.label_codes("zone")[s] in zone_a for s in a.tolist()] == [True] * len(a)


def test_update_node_keeps_pods_and_refreshes_labels_taints_allocatable():
    snap = snapshot_of([node("a", labels={"zone": "z1"}), node("b")], [pod("x", cpu="1", node_name="a")])
    codes_before = snap.label_codes("zone").copy()
    slot = snap.update_node(
        node("a", cpu="2", labels={"zone": "z2"}, taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])
    )
    assert slot == snap.slot_of("a") and list(snap.node(slot).pods) == ["default/x"]
    assert snap.requested[slot, 0] == 1000 and snap.allocatable[slot, 0] == 2000
    assert snap.label_codes("zone")[slot] == snap.label_vocab("zone")["z2"] != codes_before[slot]
    assert snap.taint_sets[snap.taint_set[slot]][0].key == "k"
    assert snap.node_names(snap.order().tolist()) == ["a", "b"]
    removed = snap.remove_node("a")
    assert [p.key for p in removed] == ["default/x"] and "default/x" not in snap.pods
    again = snap.add_node(node("c"))
    assert again == slot  # the freed slot is reused, at the end of the node order
    assert snap.node_names(snap.order().tolist()) == ["b", "c"] and snap.requested[again].sum() == 0
