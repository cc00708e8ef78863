"""The shared pod-match index: cold counts and carried terms found through the label index."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.engine.scheduler.plugins.pod_affinity_terms import affinity_terms
from pytest_simkube.engine.scheduler.plugins.pod_match_index import (
    PREFERRED_ANTI_AFFINITY,
    PodMatchIndex,
    selector_hint,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.labels import label_selector_as_selector
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod

APPS = ["web", "db", "cache"]
NAMESPACES = ["default", "prod"]


def _anti_affinity(app: str) -> dict[str, Any]:
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 10, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                          "labelSelector": {"matchLabels": {"app": app}}}}]}}


def _random_changes(data, snap: Snapshot, live: list[str], first: int, count: int) -> None:
    for i in range(first, first + count):
        if live and data.draw(st.booleans()):
            snap.remove_pod(live.pop(data.draw(st.integers(0, len(live) - 1))))
            continue
        ns = data.draw(st.sampled_from(NAMESPACES))
        labels = {"app": data.draw(st.sampled_from(APPS)), "tier": data.draw(st.sampled_from(["a", "b"]))}
        snap.add_pod(pod(f"p{i}", namespace=ns, node_name=f"n{data.draw(st.integers(0, 2))}", labels=labels))
        live.append(f"{ns}/p{i}")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_cold_counts_visit_only_hinted_pods_and_equal_a_full_scan(data):
    """Before and after the first count files the pods by label, and across pod changes."""
    snap = Snapshot.from_objects([node(f"n{i}") for i in range(3)])
    index = PodMatchIndex(snap)
    live: list[str] = []
    for round_number in range(2):
        _random_changes(data, snap, live, 100 * round_number, data.draw(st.integers(0, 25)))
        ns = data.draw(st.sampled_from(NAMESPACES))
        app = data.draw(st.sampled_from(APPS))
        selector = label_selector_as_selector({"matchLabels": {"app": app},
                                               "matchExpressions": [{"key": "tier", "operator": "In",
                                                                     "values": ["a"]}]})
        seen: list[str] = []

        def predicate(p, ns=ns, selector=selector, seen=seen) -> bool:
            seen.append(p.key)
            return p.namespace == ns and selector.matches(p.labels)

        counts = index.counts(("test", round_number, ns, selector), predicate, (ns,), selector_hint(selector))
        expected = np.zeros(snap.capacity, dtype=np.int64)
        for p in snap.pods.values():
            if p.namespace == ns and selector.matches(p.labels):
                expected[snap.slot_of(p.node_name)] += 1
        assert np.array_equal(counts[: snap.capacity], expected)
        hinted_key, hinted_values = selector_hint(selector)
        assert set(seen) == {p.key for p in snap.pods.values()
                             if p.namespace == ns and p.labels.get(hinted_key) in hinted_values}


def test_carriers_for_a_pod_leave_out_terms_that_need_other_labels():
    snap = Snapshot.from_objects([node("n1"), node("n2")])
    index = PodMatchIndex(snap)
    for i, app in enumerate(APPS):
        snap.add_pod(pod(f"{app}-{i}", node_name="n1", labels={"app": app}, affinity=_anti_affinity(app)))
    everything = {term.selector for term, _w, _c in index.carriers(PREFERRED_ANTI_AFFINITY)}
    assert len(everything) == 3
    incoming = parse_pod(pod("new", labels={"app": "db"}))
    found = index.carriers(PREFERRED_ANTI_AFFINITY, incoming.labels)
    assert [str(term.selector) for term, _w, _c in found] == ["app=db"]
    assert [w for _t, w, _c in found] == [10]
    # The term leaves the index with its last carrier.
    snap.remove_pod("default/db-1")
    assert index.carriers(PREFERRED_ANTI_AFFINITY, incoming.labels) == []
    assert len(index.carriers(PREFERRED_ANTI_AFFINITY)) == 2


def test_terms_without_a_label_hint_are_always_offered():
    snap = Snapshot.from_objects([node("n1")])
    index = PodMatchIndex(snap)
    broad = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 5, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                         "labelSelector": {"matchExpressions": [
                                             {"key": "app", "operator": "Exists"}]}}}]}}
    carrier = pod("c", node_name="n1", labels={"app": "x"}, affinity=broad)
    snap.add_pod(carrier)
    term = affinity_terms(parse_pod(carrier)).preferred_anti_affinity[0].term
    assert selector_hint(term.selector) is None
    found = index.carriers(PREFERRED_ANTI_AFFINITY, {"app": "anything"})
    assert [t for t, _w, _c in found] == [term]
    assert index.carriers(PREFERRED_ANTI_AFFINITY, {}) == found
