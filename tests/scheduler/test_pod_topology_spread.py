"""PodTopologySpread: reference vectors, then the rules one by one on small clusters."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.config.scheduler import PodTopologySpreadArgs
from pytest_simkube.engine.scheduler.framework import Code, CycleState, Handle
from pytest_simkube.engine.scheduler.plugins.pod_match_index import PodMatchIndex, pod_match_index
from pytest_simkube.engine.scheduler.plugins.pod_topology_spread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    PodTopologySpread,
    SpreadConstraintError,
    default_selector,
    parse_constraints,
)
from pytest_simkube.engine.scheduler.profiles import args_to_dict
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.conftest import require_reference
from tests.scheduler import topology_harness
from tests.scheduler.conftest import SCHEDULER_VECTORS, vector_paths
from tests.scheduler.plugin_vector_check import load_vector

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def node(name: str, zone: str | None = "a", taints: list[dict[str, str]] | None = None,
         **labels: str) -> dict[str, Any]:
    all_labels = {HOST: name, **labels}
    if zone is not None:
        all_labels[ZONE] = zone
    return {"metadata": {"name": name, "labels": all_labels},
            "spec": {"taints": taints or []},
            "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}


def pod(name: str, node_name: str = "", ns: str = "default", labels: dict[str, str] | None = None,
        **spec: Any) -> dict[str, Any]:
    body = {"containers": [{"name": "c", "image": "x"}], **spec}
    if node_name:
        body["nodeName"] = node_name
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "web"}}, "spec": body}


def spread(key: str = ZONE, skew: int = 1, when: str = "DoNotSchedule", **extra: Any) -> dict[str, Any]:
    return {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": "web"}}, **extra}


def run_filter(snapshot: Snapshot, incoming: dict[str, Any], args: dict[str, Any] | None = None,
               handle: Handle | None = None):
    return topology_harness.run_filter(PodTopologySpread, snapshot, incoming, args, handle)


def run_score(snapshot: Snapshot, incoming: dict[str, Any], args: dict[str, Any] | None = None,
              handle: Handle | None = None):
    return topology_harness.run_score(PodTopologySpread, snapshot, incoming, args, handle)


# ----------------------------------------------------------------------------- reference vectors
# Agreement on every score vector is checked in test_topology_affinity_vectors.py.

def test_score_vectors_exercise_both_filter_reasons_and_scores():
    require_reference(SCHEDULER_VECTORS)
    reasons, scored = set(), 0
    for path in vector_paths("score"):
        for n in load_vector(path)["output"]["nodes"]:
            if (n.get("filter") or {}).get("plugin") == "PodTopologySpread":
                reasons.update(n["filter"]["reasons"])
            scored += "PodTopologySpread" in (n.get("scores") or {})
    assert ERR_REASON_CONSTRAINTS_NOT_MATCH in reasons
    assert scored > 100


# ----------------------------------------------------------------------------- filtering

def test_skew_rejects_the_crowded_zone():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")],
                                 [pod("p1", "n1"), pod("p2", "n1")])
    status, verdicts = run_filter(snap, pod("new", topologySpreadConstraints=[spread()]))
    assert status.is_success()
    assert verdicts["n2"].is_success()
    assert verdicts["n1"].code is Code.UNSCHEDULABLE
    assert verdicts["n1"].reasons == (ERR_REASON_CONSTRAINTS_NOT_MATCH,)


def test_node_without_topology_label_is_unresolvable():
    snap = Snapshot.from_objects([node("n1", "a"), node("bare", zone=None)])
    _, verdicts = run_filter(snap, pod("new", topologySpreadConstraints=[spread()]))
    assert verdicts["bare"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert verdicts["bare"].reasons == (ERR_REASON_NODE_LABEL_NOT_MATCH,)


def test_no_hard_constraints_skips_the_filter():
    snap = Snapshot.from_objects([node("n1")])
    status, _ = run_filter(snap, pod("new", topologySpreadConstraints=[spread(when="ScheduleAnyway")]))
    assert status.is_skip()


def test_only_same_namespace_non_terminating_selected_pods_count():
    terminating = pod("t", "n1")
    terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    snap = Snapshot.from_objects(
        [node("n1", "a"), node("n2", "b")],
        [pod("other-ns", "n1", ns="prod"), pod("other-app", "n1", labels={"app": "db"}), terminating])
    _, verdicts = run_filter(snap, pod("new", topologySpreadConstraints=[spread()]))
    assert all(v.is_success() for v in verdicts.values())


def test_min_domains_treats_global_minimum_as_zero():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")],
                                 [pod("p1", "n1"), pod("p2", "n2")])
    c = spread(skew=1)
    _, without = run_filter(snap, pod("new", topologySpreadConstraints=[c]))
    assert all(v.is_success() for v in without.values())  # 1+1-1 <= 1 everywhere
    _, with_min = run_filter(snap, pod("new", topologySpreadConstraints=[{**c, "minDomains": 3}]))
    assert not any(v.is_success() for v in with_min.values())  # 1+1-0 > 1


def test_node_affinity_policy_decides_which_domains_count():
    # Zone b is outside the pod's nodeSelector; with Honor it is not a domain, so zone a
    # (2 pods) is the global minimum; with Ignore zone b (0 pods) is.
    snap = Snapshot.from_objects([node("n1", "a", pool="x"), node("n2", "b", pool="y")],
                                 [pod("p1", "n1"), pod("p2", "n1")])
    honor = pod("new", nodeSelector={"pool": "x"}, topologySpreadConstraints=[spread()])
    ignore = pod("new", nodeSelector={"pool": "x"},
                 topologySpreadConstraints=[spread(nodeAffinityPolicy="Ignore")])
    assert run_filter(snap, honor)[1]["n1"].is_success()
    assert not run_filter(snap, ignore)[1]["n1"].is_success()


def test_node_taints_policy_honor_drops_tainted_domains():
    taint = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b", taints=taint)],
                                 [pod("p1", "n1"), pod("p2", "n1")])
    assert not run_filter(snap, pod("new", topologySpreadConstraints=[spread()]))[1]["n1"].is_success()
    honor = pod("new", topologySpreadConstraints=[spread(nodeTaintsPolicy="Honor")])
    assert run_filter(snap, honor)[1]["n1"].is_success()


def test_match_label_keys_narrow_the_selector_to_the_pods_revision():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")],
                                 [pod("old1", "n1", labels={"app": "web", "rev": "1"}),
                                  pod("old2", "n1", labels={"app": "web", "rev": "1"})])
    plain = pod("new", labels={"app": "web", "rev": "2"}, topologySpreadConstraints=[spread()])
    keyed = pod("new", labels={"app": "web", "rev": "2"},
                topologySpreadConstraints=[spread(matchLabelKeys=["rev"])])
    assert not run_filter(snap, plain)[1]["n1"].is_success()
    assert run_filter(snap, keyed)[1]["n1"].is_success()


def test_match_label_keys_with_a_nil_selector_select_by_the_keys_alone():
    constraints = parse_constraints([{"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
                                      "matchLabelKeys": ["rev", "absent"]}], {"rev": "2"}, "DoNotSchedule")
    assert constraints[0].selector.matches({"rev": "2", "app": "anything"})
    assert not constraints[0].selector.matches({"rev": "1"})


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("maxSkew", 0, "maxSkew: must be greater than zero"),
    ("whenUnsatisfiable", "Sometimes", "whenUnsatisfiable: unsupported value 'Sometimes'"),
    ("topologyKey", "", "topologyKey: can not be empty"),
    ("minDomains", -1, "minDomains: must be greater than zero"),
    ("nodeTaintsPolicy", "Maybe", "nodeTaintsPolicy: unsupported value"),
    ("labelSelector", {"matchExpressions": [{"key": "a", "operator": "In"}]},
     "labelSelector.matchExpressions[0].values: for 'in', 'notin' operators"),
])
def test_malformed_constraints_name_the_field(field, value, fragment):
    with pytest.raises(SpreadConstraintError) as info:
        parse_constraints([{**spread(), field: value}], {}, "DoNotSchedule")
    assert f"spec.topologySpreadConstraints[0].{fragment}" in str(info.value)


def test_malformed_constraint_is_a_prefilter_error_naming_the_pod():
    snap = Snapshot.from_objects([node("n1")])
    status, _ = run_filter(snap, pod("new", topologySpreadConstraints=[{**spread(), "maxSkew": 0}]))
    assert status.code is Code.ERROR
    assert "default/new" in status.message() and "maxSkew" in status.message()


def test_preemption_dry_run_updates_counts():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")],
                                 [pod("p1", "n1"), pod("p2", "n1")])
    plugin = PodTopologySpread({}, Handle(snap))
    incoming = parse_pod(pod("new", topologySpreadConstraints=[spread()]))
    state = CycleState()
    plugin.pre_filter(state, incoming, snap)
    n1 = snap.slot_of("n1")
    assert not plugin.filter(state, incoming, snap, n1).is_success()
    victim = snap.pods["default/p1"]
    copy = state.clone()
    plugin.remove_pod(copy, incoming, victim, n1)
    assert not plugin.filter(copy, incoming, snap, n1).is_success()  # 1 + 1 - 0 > 1
    plugin.remove_pod(copy, incoming, snap.pods["default/p2"], n1)
    assert plugin.filter(copy, incoming, snap, n1).is_success()
    assert not plugin.filter(state, incoming, snap, n1).is_success()  # the original is untouched
    plugin.add_pod(copy, incoming, victim, n1)
    assert not plugin.filter(copy, incoming, snap, n1).is_success()


# ----------------------------------------------------------------------------- scoring

def test_soft_constraint_score_formula():
    # zones: a has 2 matching pods, b has 1, c has 0 -> raw = cnt*ln(3+2) + (2-1)
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b"), node("n3", "c")],
                                 [pod("p1", "n1"), pod("p2", "n1"), pod("p3", "n2")])
    status, raw, norm = run_score(snap, pod("new", topologySpreadConstraints=[
        spread(skew=2, when="ScheduleAnyway")]))
    assert status.is_success()
    expected_raw = {n: math.floor(c * math.log(5) + 1 + 0.5) for n, c in (("n1", 2), ("n2", 1), ("n3", 0))}
    assert raw == expected_raw
    high, low = max(expected_raw.values()), min(expected_raw.values())
    assert norm == {n: 100 * (high + low - r) // high for n, r in expected_raw.items()}
    assert norm["n3"] == 100 and norm["n1"] < norm["n2"]


def test_hostname_constraint_counts_the_node_itself_and_scored_node_count():
    snap = Snapshot.from_objects([node("n1"), node("n2"), node("n3")], [pod("p1", "n1")])
    incoming = pod("new", topologySpreadConstraints=[spread(HOST, when="ScheduleAnyway")])
    _, raw, norm = run_score(snap, incoming)
    assert raw == {"n1": round(math.log(3 + 2)), "n2": 0, "n3": 0}
    assert norm == {"n1": 0, "n2": 100, "n3": 100}


def test_nodes_missing_a_soft_topology_key_score_zero():
    snap = Snapshot.from_objects([node("n1", "a"), node("bare", zone=None)], [pod("p1", "n1")])
    _, raw, norm = run_score(snap, pod("new", topologySpreadConstraints=[spread(when="ScheduleAnyway")]))
    assert norm["bare"] == 0 and raw["bare"] == 0
    assert norm["n1"] == 100


def test_system_defaults_need_an_owner_selector():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("p1", "n1")])
    bare = pod("new")
    status, _, _ = run_score(snap, bare)
    assert status.is_skip()  # no Service/RC/RS/STS selects the pod: no default spreading

    owned = pod("new")
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                                             "controller": True}]
    replica_set = {"metadata": {"name": "web-1", "namespace": "default"},
                   "spec": {"selector": {"matchLabels": {"app": "web"}}}}
    handle = Handle(snap)
    handle.list_objects = lambda kind, ns: [replica_set] if kind == "ReplicaSet" else []  # type: ignore[attr-defined]
    status, raw, norm = run_score(snap, owned, handle=handle)
    assert status.is_success()
    # hostname maxSkew 3 over 2 nodes, zone maxSkew 5 over 2 zones: n1 holds the one match.
    weight = math.log(2 + 2)
    assert raw["n1"] == math.floor(1 * weight + 2 + 1 * weight + 4 + 0.5)
    assert raw["n2"] == math.floor(2 + 4 + 0.5)
    assert norm["n2"] == 100 and norm["n1"] < 100


def test_listed_default_constraints_replace_the_system_ones():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("p1", "n1"), pod("p2", "n1")])
    owned = pod("new")
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ReplicationController",
                                             "name": "rc", "controller": True}]
    handle = Handle(snap)
    handle.list_objects = lambda kind, ns: (  # type: ignore[attr-defined]
        [{"metadata": {"name": "rc"}, "spec": {"selector": {"app": "web"}}}]
        if kind == "ReplicationController" else [])
    args = {"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule"}]}
    plugin = PodTopologySpread(args, handle)
    state = CycleState()
    info = parse_pod(owned)
    _, status = plugin.pre_filter(state, info, snap)
    assert status.is_success()
    assert not plugin.filter(state, info, snap, snap.slot_of("n1")).is_success()
    assert plugin.filter(state, info, snap, snap.slot_of("n2")).is_success()
    empty_list = PodTopologySpread({"defaultingType": "List"}, handle)
    assert empty_list.pre_filter(CycleState(), info, snap)[1].is_skip()


def test_default_selector_merges_services_and_owner():
    info = parse_pod(pod("p", labels={"app": "web", "tier": "fe"}))
    info.raw["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "s",
                                                "controller": True}]
    objects = {
        "Service": [{"spec": {"selector": {"app": "web"}}}, {"spec": {"selector": {"app": "db"}}},
                    {"spec": {}}],
        "StatefulSet": [{"metadata": {"name": "s"},
                         "spec": {"selector": {"matchExpressions": [
                             {"key": "tier", "operator": "In", "values": ["fe"]}]}}}],
    }
    selector = default_selector(info, lambda kind, ns: objects.get(kind, []))
    assert str(selector) == "app=web,tier in (fe)"
    assert default_selector(info, None).is_empty()


def test_match_counts_follow_pod_changes_incrementally():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("p1", "n1")])
    plugin = PodTopologySpread({}, Handle(snap))
    incoming = parse_pod(pod("new", topologySpreadConstraints=[spread()]))
    index = pod_match_index(snap)

    def decide() -> dict[str, bool]:
        state = CycleState()
        plugin.pre_filter(state, incoming, snap)
        return {n: plugin.filter(state, incoming, snap, snap.slot_of(n)).is_success() for n in ("n1", "n2")}

    assert decide() == {"n1": False, "n2": True}
    snap.add_pod(pod("p2", "n2"))
    assert decide() == {"n1": True, "n2": True}
    snap.add_pod(pod("p3", "n2"))
    assert decide() == {"n1": True, "n2": False}
    snap.remove_pod("default/p3")
    snap.remove_pod("default/p2")
    assert decide() == {"n1": False, "n2": True}
    # The live counters equal a fresh scan.
    fresh = PodMatchIndex(snap)
    snap.unsubscribe(fresh)
    assert index._counters
    for key, entry in index._counters.items():
        fresh_counts = fresh.counts(key, entry.predicate)
        assert np.array_equal(entry.counts[: snap.capacity], fresh_counts[: snap.capacity])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_counts_equal_a_fresh_snapshot(data):
    nodes = [node(f"n{i}", zone) for i, zone in enumerate("aabbc")]
    names = [n["metadata"]["name"] for n in nodes]

    def some_pod(i: int) -> dict[str, Any]:
        return pod(f"p{i}", data.draw(st.sampled_from(names)),
                   ns=data.draw(st.sampled_from(["default", "prod"])),
                   labels={"app": data.draw(st.sampled_from(["web", "db"]))})

    pods = [some_pod(i) for i in range(data.draw(st.integers(0, 14)))]
    constraints = [spread(data.draw(st.sampled_from([ZONE, HOST])), data.draw(st.integers(1, 2)), when)
                   for when in data.draw(st.lists(st.sampled_from(["DoNotSchedule", "ScheduleAnyway"]),
                                                  min_size=1, max_size=2, unique=True))]
    incoming = pod("new", topologySpreadConstraints=constraints)
    live = Snapshot.from_objects(nodes, pods[: len(pods) // 2])
    run_filter(live, incoming)  # builds the live counters
    run_score(live, incoming)
    for p in pods[len(pods) // 2:]:
        live.add_pod(p)
    some_pods = st.lists(st.sampled_from(pods), unique_by=lambda p: p["metadata"]["name"])
    removed = data.draw(some_pods) if pods else []
    for p in removed:
        live.remove_pod(f"{p['metadata']['namespace']}/{p['metadata']['name']}")
    fresh = Snapshot.from_objects(nodes, [live.pods[k].raw for k in live.pods])
    live_status, live_verdicts = run_filter(live, incoming)
    fresh_status, fresh_verdicts = run_filter(fresh, incoming)
    assert live_status.code == fresh_status.code
    assert ({n: v.reasons for n, v in live_verdicts.items()}
            == {n: v.reasons for n, v in fresh_verdicts.items()})
    assert run_score(live, incoming)[1:] == run_score(fresh, incoming)[1:]


def test_args_from_the_configuration_loader():
    typed = PodTopologySpreadArgs(defaulting_type="List", default_constraints=(
        {"maxSkew": 2, "topologyKey": ZONE, "whenUnsatisfiable": "ScheduleAnyway"},))
    listed = PodTopologySpread(args_to_dict(typed), None)
    assert not listed.system_defaulted
    assert [c["maxSkew"] for c in listed.default_constraints] == [2]
    assert PodTopologySpread(args_to_dict(PodTopologySpreadArgs()), None).system_defaulted


def test_system_defaults_keep_nodes_without_a_zone_and_count_them_as_the_empty_zone():
    # System defaults do not require every topology key: a zone-less node is scored on its
    # hostname constraint only, yet its pods form the "" zone that widens the zone count.
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b"), node("bare", zone=None)],
                                 [pod("p1", "n1"), pod("p2", "bare")])
    owned = pod("new")
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                                             "controller": True}]
    handle = Handle(snap)
    handle.list_objects = lambda kind, ns: (  # type: ignore[attr-defined]
        [{"metadata": {"name": "rs"}, "spec": {"selector": {"matchLabels": {"app": "web"}}}}]
        if kind == "ReplicaSet" else [])
    status, raw, norm = run_score(snap, owned, handle=handle)
    assert status.is_success()
    w = math.log(3 + 2)  # three scored nodes; three zones: a, b and ""
    assert raw == {"n1": round(1 * w + 2 + 1 * w + 4), "n2": 2 + 4, "bare": round(1 * w + 2)}
    high, low = max(raw.values()), min(raw.values())
    assert norm == {n: 100 * (high + low - r) // high for n, r in raw.items()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_default_spreading_scores_from_kept_domain_sums_equal_a_fresh_count(data):
    """System default spreading reads per-zone sums the index keeps across pod and node
    changes; scores must equal those of counting every node afresh."""
    zones = ["a", "b", "c", None]
    snap = Snapshot.from_objects([node(f"n{i}", data.draw(st.sampled_from(zones))) for i in range(5)])
    owned = pod("new")
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                                             "controller": True}]
    handle = Handle(snap)
    handle.list_objects = lambda kind, ns: (  # type: ignore[attr-defined]
        [{"metadata": {"name": "rs"}, "spec": {"selector": {"matchLabels": {"app": "web"}}}}]
        if kind == "ReplicaSet" else [])
    plugin = PodTopologySpread({}, handle)
    info = parse_pod(owned)
    live: list[str] = []

    def scores() -> list[int]:
        state = CycleState()
        if not plugin.pre_score(state, info, snap, snap.order()).is_success():
            return []
        return plugin.score_many(state, info, snap, snap.order()).tolist()

    for step in range(data.draw(st.integers(1, 20))):
        action = data.draw(st.sampled_from(["add", "remove", "relabel", "add-node"]))
        names = [n.name for n in snap.nodes()]
        if action == "add" or not live:
            app = data.draw(st.sampled_from(["web", "db"]))
            snap.add_pod(pod(f"p{step}", data.draw(st.sampled_from(names)), labels={"app": app}))
            live.append(f"default/p{step}")
        elif action == "remove":
            snap.remove_pod(live.pop(data.draw(st.integers(0, len(live) - 1))))
        elif action == "relabel":
            snap.update_node(node(data.draw(st.sampled_from(names)), data.draw(st.sampled_from(zones))))
        else:
            snap.add_node(node(f"m{step}", data.draw(st.sampled_from(zones))))
        kept = scores()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("pytest_simkube.engine.scheduler.plugins.pod_topology_spread._Eligibility.includes_all",
                          lambda self, constraint: False)
            fresh = scores()
        assert kept == fresh


def test_default_constraints_are_rebuilt_when_the_selecting_objects_change():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("p1", "n1")])
    objects: dict[str, list[dict[str, Any]]] = {}
    version = [0]
    handle = Handle(snap)
    handle.list_objects = lambda kind, ns: objects.get(kind, [])  # type: ignore[attr-defined]
    handle.objects_version = lambda namespace: version[0]
    plugin = PodTopologySpread({}, handle)

    def skipped(name: str) -> bool:
        return plugin.pre_score(CycleState(), parse_pod(pod(name)), snap, snap.order()).is_skip()

    assert skipped("first")  # nothing selects the pod: no default spreading
    objects["Service"] = [{"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}}}]
    assert skipped("second")  # same class, same version: the kept answer
    version[0] += 1
    assert not skipped("third")  # the Service now selects it: spread by default
    objects["Service"] = []
    version[0] += 1
    assert skipped("fourth")
