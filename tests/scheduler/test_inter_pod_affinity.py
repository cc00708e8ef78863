"""InterPodAffinity: reference vectors, then each rule on small clusters."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.config.scheduler import InterPodAffinityArgs
from pytest_simkube.engine.scheduler.framework import Code, CycleState, Handle
from pytest_simkube.engine.scheduler.plugins.inter_pod_affinity import (
    ERR_REASON_AFFINITY,
    ERR_REASON_ANTI_AFFINITY,
    ERR_REASON_EXISTING_ANTI_AFFINITY,
    InterPodAffinity,
)
from pytest_simkube.engine.scheduler.plugins.pod_affinity_terms import AffinityTermError, parse_affinity_terms
from pytest_simkube.engine.scheduler.profiles import args_to_dict
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.conftest import require_reference
from tests.scheduler import topology_harness
from tests.scheduler.conftest import SCHEDULER_VECTORS, vector_paths
from tests.scheduler.plugin_vector_check import load_vector

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"
REQ = "requiredDuringSchedulingIgnoredDuringExecution"
PREF = "preferredDuringSchedulingIgnoredDuringExecution"


def node(name: str, zone: str = "a") -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {HOST: name, ZONE: zone}},
            "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}


def pod(name: str, node_name: str = "", ns: str = "default", app: str = "web",
        affinity: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "x"}]}
    if node_name:
        spec["nodeName"] = node_name
    if affinity:
        spec["affinity"] = affinity
    return {"metadata": {"name": name, "namespace": ns, "labels": {"app": app}}, "spec": spec}


def term(app: str, key: str = ZONE, **extra: Any) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key, **extra}


def decide(snapshot: Snapshot, incoming: dict[str, Any], handle: Handle | None = None):
    return topology_harness.run_filter(InterPodAffinity, snapshot, incoming, handle=handle)


def scores(snapshot: Snapshot, incoming: dict[str, Any], args: dict[str, Any] | None = None,
           handle: Handle | None = None):
    return topology_harness.run_score(InterPodAffinity, snapshot, incoming, args, handle)


# ----------------------------------------------------------------------------- reference vectors
# Agreement on every score vector is checked in test_topology_affinity_vectors.py.

def test_score_vectors_exercise_every_filter_reason():
    require_reference(SCHEDULER_VECTORS)
    reasons = set()
    for path in vector_paths("score"):
        for n in load_vector(path)["output"]["nodes"]:
            if (n.get("filter") or {}).get("plugin") == "InterPodAffinity":
                reasons.update(n["filter"]["reasons"])
    assert {ERR_REASON_EXISTING_ANTI_AFFINITY, ERR_REASON_ANTI_AFFINITY} <= reasons


# ----------------------------------------------------------------------------- filtering

def test_required_affinity_needs_a_matching_pod_in_the_domain():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("db", "n1", app="db")])
    incoming = pod("new", affinity={"podAffinity": {REQ: [term("db")]}})
    _, verdicts = decide(snap, incoming)
    assert verdicts["n1"].is_success()
    assert verdicts["n2"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert verdicts["n2"].reasons == (ERR_REASON_AFFINITY,)


def test_first_pod_of_a_self_affine_group_may_go_anywhere():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("other", "n1", app="db")])
    _, verdicts = decide(snap, pod("new", affinity={"podAffinity": {REQ: [term("web")]}}))
    assert all(v.is_success() for v in verdicts.values())
    # ...but not when it does not match its own terms.
    _, verdicts = decide(snap, pod("new", affinity={"podAffinity": {REQ: [term("cache")]}}))
    assert not any(v.is_success() for v in verdicts.values())


def test_required_anti_affinity_keeps_out_of_the_domain():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "a"), node("n3", "b")], [pod("w", "n1")])
    _, verdicts = decide(snap, pod("new", affinity={"podAntiAffinity": {REQ: [term("web")]}}))
    assert verdicts["n1"].reasons == (ERR_REASON_ANTI_AFFINITY,)
    assert verdicts["n2"].code is Code.UNSCHEDULABLE  # same zone
    assert verdicts["n3"].is_success()


def test_existing_pods_anti_affinity_repels_the_incoming_pod():
    guard = pod("guard", "n1", app="db", affinity={"podAntiAffinity": {REQ: [term("web", HOST)]}})
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "a")], [guard])
    status, verdicts = decide(snap, pod("new"))
    assert status.is_success()
    assert verdicts["n1"].reasons == (ERR_REASON_EXISTING_ANTI_AFFINITY,)
    assert verdicts["n2"].is_success()
    status, _ = decide(snap, pod("new", app="api"))
    assert status.is_skip()  # nothing to check: PreFilter skips the plugin


def test_terms_select_the_owning_namespace_by_default_and_listed_or_selected_ones():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("db", "n1", ns="prod", app="db")])
    same_ns = pod("new", affinity={"podAffinity": {REQ: [term("db")]}})
    assert not decide(snap, same_ns)[1]["n1"].is_success()
    listed = pod("new", affinity={"podAffinity": {REQ: [term("db", namespaces=["prod"])]}})
    assert decide(snap, listed)[1]["n1"].is_success()
    everywhere = pod("new", affinity={"podAffinity": {REQ: [term("db", namespaceSelector={})]}})
    assert decide(snap, everywhere)[1]["n1"].is_success()
    by_label = pod("new", affinity={"podAffinity": {REQ: [
        term("db", namespaceSelector={"matchLabels": {"env": "production"}})]}})
    assert not decide(snap, by_label)[1]["n1"].is_success()
    handle = Handle(snap, namespace_labels={"prod": {"env": "production"}})
    assert decide(snap, by_label, handle)[1]["n1"].is_success()
    by_name = pod("new", affinity={"podAffinity": {REQ: [
        term("db", namespaceSelector={"matchLabels": {"kubernetes.io/metadata.name": "prod"}})]}})
    assert decide(snap, by_name)[1]["n1"].is_success()


def test_preemption_dry_run_updates_the_counts():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("w", "n1")])
    plugin = InterPodAffinity({}, Handle(snap))
    info = parse_pod(pod("new", affinity={"podAntiAffinity": {REQ: [term("web", HOST)]}}))
    state = CycleState()
    plugin.pre_filter(state, info, snap)
    n1 = snap.slot_of("n1")
    assert not plugin.filter(state, info, snap, n1).is_success()
    copy = state.clone()
    plugin.remove_pod(copy, info, snap.pods["default/w"], n1)
    assert plugin.filter(copy, info, snap, n1).is_success()
    assert not plugin.filter(state, info, snap, n1).is_success()


@pytest.mark.parametrize(("affinity", "where"), [
    ({"podAffinity": {REQ: [{"labelSelector": {}, "topologyKey": ""}]}},
     f"spec.affinity.podAffinity.{REQ}[0].topologyKey"),
    ({"podAntiAffinity": {PREF: [{"weight": 0, "podAffinityTerm": term("a")}]}},
     f"spec.affinity.podAntiAffinity.{PREF}[0].weight"),
    ({"podAffinity": {REQ: [term("a", namespaceSelector={"matchExpressions": [
        {"key": "k", "operator": "Bogus"}]})]}},
     f"spec.affinity.podAffinity.{REQ}[0].namespaceSelector.matchExpressions[0].operator"),
])
def test_malformed_terms_name_the_field(affinity, where):
    with pytest.raises(AffinityTermError) as info:
        parse_affinity_terms("default", affinity)
    assert info.value.where == where
    snap = Snapshot.from_objects([node("n1")])
    status, _ = decide(snap, pod("new", affinity=affinity))
    assert status.code is Code.ERROR and where in status.message()


# ----------------------------------------------------------------------------- scoring

def test_preferred_terms_add_and_subtract_weights_per_domain():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b"), node("n3", "c")],
                                 [pod("db", "n1", app="db"), pod("c1", "n2", app="cache"),
                                  pod("c2", "n2", app="cache")])
    incoming = pod("new", affinity={
        "podAffinity": {PREF: [{"weight": 10, "podAffinityTerm": term("db")}]},
        "podAntiAffinity": {PREF: [{"weight": 3, "podAffinityTerm": term("cache")}]}})
    status, raw, norm = scores(snap, incoming)
    assert status.is_success()
    assert raw == {"n1": 10, "n2": -6, "n3": 0}
    assert norm == {"n1": 100, "n2": 0, "n3": int(100 * (6 / 16))}


def test_existing_pods_terms_score_with_hard_pod_affinity_weight():
    friend = pod("friend", "n1", app="db", affinity={"podAffinity": {REQ: [term("web", HOST)]}})
    shy = pod("shy", "n2", app="db", affinity={"podAntiAffinity": {PREF: [
        {"weight": 7, "podAffinityTerm": term("web", HOST)}]}})
    snap = Snapshot.from_objects([node("n1"), node("n2"), node("n3")], [friend, shy])
    _, raw, _ = scores(snap, pod("new"))
    assert raw == {"n1": 1, "n2": -7, "n3": 0}
    _, raw, _ = scores(snap, pod("new"), {"hardPodAffinityWeight": 5})
    assert raw["n1"] == 5
    _, raw, _ = scores(snap, pod("new"), {"hardPodAffinityWeight": 0})
    assert raw["n1"] == 0
    status, _, _ = scores(snap, pod("new"), {"ignorePreferredTermsOfExistingPods": True})
    assert status.is_skip()


def test_no_matching_terms_anywhere_skips_scoring():
    snap = Snapshot.from_objects([node("n1"), node("n2")], [pod("x", "n1", app="db")])
    status, _, _ = scores(snap, pod("new", affinity={"podAffinity": {PREF: [
        {"weight": 5, "podAffinityTerm": term("cache")}]}}))
    assert status.is_skip()


def test_equal_scores_normalise_to_zero():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "a")], [pod("db", "n1", app="db")])
    _, raw, norm = scores(snap, pod("new", affinity={"podAffinity": {PREF: [
        {"weight": 5, "podAffinityTerm": term("db")}]}}))
    assert raw == {"n1": 5, "n2": 5}
    assert norm == {"n1": 0, "n2": 0}


def test_scores_follow_pods_added_after_the_first_cycle():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")], [pod("db", "n1", app="db")])
    incoming = pod("new", affinity={"podAffinity": {PREF: [{"weight": 5, "podAffinityTerm": term("db")}]}})
    assert scores(snap, incoming)[1] == {"n1": 5, "n2": 0}
    snap.add_pod(pod("db2", "n2", app="db"))
    snap.add_pod(pod("db3", "n2", app="db"))
    assert scores(snap, incoming)[1] == {"n1": 5, "n2": 10}
    snap.remove_pod("default/db")
    assert scores(snap, incoming)[1] == {"n1": 0, "n2": 10}


def test_existing_anti_affinity_follows_carrier_pods_coming_and_going():
    snap = Snapshot.from_objects([node("n1", "a"), node("n2", "b")])
    assert decide(snap, pod("new"))[0].is_skip()
    snap.add_pod(pod("guard", "n1", app="db", affinity={"podAntiAffinity": {REQ: [term("web")]}}))
    assert decide(snap, pod("new"))[1]["n1"].reasons == (ERR_REASON_EXISTING_ANTI_AFFINITY,)
    snap.remove_pod("default/guard")
    assert decide(snap, pod("new"))[0].is_skip()


_APPS = ("web", "db", "cache")


def _random_pod(draw, i: int, node_names: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["none", "req-anti", "pref", "pref-anti", "req"]))
    target = draw(st.sampled_from(_APPS))
    key = draw(st.sampled_from([HOST, ZONE]))
    affinity = {
        "none": None,
        "req-anti": {"podAntiAffinity": {REQ: [term(target, key)]}},
        "req": {"podAffinity": {REQ: [term(target, key)]}},
        "pref": {"podAffinity": {PREF: [{"weight": draw(st.integers(1, 100)),
                                         "podAffinityTerm": term(target, key)}]}},
        "pref-anti": {"podAntiAffinity": {PREF: [{"weight": draw(st.integers(1, 100)),
                                                  "podAffinityTerm": term(target, key)}]}},
    }[kind]
    return pod(f"p{i}", draw(st.sampled_from(node_names)), ns=draw(st.sampled_from(["default", "prod"])),
               app=draw(st.sampled_from(_APPS)), affinity=affinity)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_counts_equal_a_fresh_snapshot(data):
    nodes = [node(f"n{i}", zone) for i, zone in enumerate("aabbc")]
    names = [n["metadata"]["name"] for n in nodes]
    pods = [_random_pod(data.draw, i, names) for i in range(data.draw(st.integers(0, 12)))]
    live = Snapshot.from_objects(nodes, pods[: len(pods) // 2])
    incoming = _random_pod(data.draw, 99, names)
    incoming["spec"].pop("nodeName")
    decide(live, incoming)  # builds the live counters
    scores(live, incoming)
    for p in pods[len(pods) // 2:]:
        live.add_pod(p)
    some_pods = st.lists(st.sampled_from(pods), unique_by=lambda p: p["metadata"]["name"])
    removed = data.draw(some_pods) if pods else []
    for p in removed:
        live.remove_pod(f"{p['metadata']['namespace']}/{p['metadata']['name']}")
    fresh = Snapshot.from_objects(nodes, [live.pods[k].raw for k in live.pods])
    live_status, live_verdicts = decide(live, incoming)
    fresh_status, fresh_verdicts = decide(fresh, incoming)
    assert live_status.code == fresh_status.code
    assert ({n: v.reasons for n, v in live_verdicts.items()}
            == {n: v.reasons for n, v in fresh_verdicts.items()})
    assert scores(live, incoming)[1:] == scores(fresh, incoming)[1:]


def test_args_from_the_configuration_loader():
    friend = pod("friend", "n1", app="db", affinity={"podAffinity": {REQ: [term("web", HOST)]}})
    snap = Snapshot.from_objects([node("n1"), node("n2")], [friend])
    args = args_to_dict(InterPodAffinityArgs(hard_pod_affinity_weight=7))
    assert scores(snap, pod("new"), args)[1] == {"n1": 7, "n2": 0}
