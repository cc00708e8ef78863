"""PodDisruptionBudget selectors through the cluster API use the shared label-selector
semantics (``metav1.LabelSelectorAsSelector``)."""

from __future__ import annotations

import pytest

from pytest_simkube.engine.cluster_api import ClusterAPI
from pytest_simkube.engine.objects import Pod, match_label_selector
from pytest_simkube.errors import TraceError
from tests.engine.builders import deployment, engine, finish, make_trace, node


def pdb(name: str, selector: object, **spec: object) -> dict:
    body: dict = {"minAvailable": 1, **spec}
    if selector is not ...:
        body["selector"] = selector
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": "default"}, "spec": body}


def cluster_with(*budgets: dict) -> ClusterAPI:
    ctx, driver = engine(make_trace([(0, [deployment("web", 3), *budgets], [])], end=60), [node("n")])
    finish(ctx, driver)
    return ClusterAPI(ctx)


def test_set_based_selector_and_disruptions_allowed():
    api = cluster_with(pdb("in", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}),
                       pdb("notin", {"matchExpressions": [{"key": "app", "operator": "NotIn",
                                                           "values": ["web"]}]}))
    pod = next(p for p in api.store.pods.values() if p.active)
    assert [b["metadata"]["name"] for b in api.pdbs_for(pod)] == ["in"]
    assert api.disruptions_allowed(api.pdbs_for(pod)[0]) == 2


def test_empty_selector_selects_every_pod_and_an_absent_one_none():
    api = cluster_with(pdb("all", {}), pdb("none", ...))
    pod = next(p for p in api.store.pods.values() if p.active)
    assert [b["metadata"]["name"] for b in api.pdbs_for(pod)] == ["all"]
    none = api.store.get("PodDisruptionBudget", "default/none")
    assert api.disruptions_allowed(none) == 0  # no matching pod: nothing healthy to spare


def test_a_malformed_selector_is_a_trace_error_naming_the_budget():
    ctx, _ = engine(make_trace([(0, [], [])], end=60), [node("n")])
    ctx.store.put("PodDisruptionBudget",
                  pdb("bad", {"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}))
    api = ClusterAPI(ctx)
    pod = Pod("default/p", {"metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}}}, 0.0)
    with pytest.raises(TraceError) as info:
        api.pdbs_for(pod)
    text = str(info.value)
    assert "PodDisruptionBudget default/bad: spec.selector.matchExpressions[0].operator" in text
    assert "'Gt' is not a valid label selector operator" in text


def test_match_label_selector_delegates_to_the_shared_semantics():
    selector = {"matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}
    assert match_label_selector(selector, {"app": "web"})
    assert not match_label_selector(selector, {"app": "web", "tier": "x"})
    assert match_label_selector({}, {"anything": "x"})
