"""The default spreading selector found by owner lookup equals the one found by scanning."""
from __future__ import annotations

from pytest_simkube.engine.scheduler.plugins.pod_topology_spread import default_selector
from pytest_simkube.kube.pods import parse_pod


def _pod(owner_kind: str, owner_name: str) -> dict:
    return {"metadata": {"name": "p", "namespace": "ns", "labels": {"app": "web", "tier": "fe"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind,
                                              "name": owner_name, "controller": True}]},
            "spec": {"containers": [{"name": "c"}]}}


OBJECTS = {
    "Service": [{"spec": {"selector": {"app": "web"}}}],
    "ReplicaSet": [{"metadata": {"name": "other"}, "spec": {"selector": {"matchLabels": {"x": "y"}}}},
                   {"metadata": {"name": "rs"}, "spec": {"selector": {"matchLabels": {"tier": "fe"}}}}],
}


def _list(kind: str, namespace: str) -> list:
    return OBJECTS.get(kind, []) if namespace == "ns" else []


def _get(kind: str, namespace: str, name: str):
    return next((o for o in _list(kind, namespace) if o["metadata"]["name"] == name), None)


def test_lookup_by_owner_name_matches_scan():
    info = parse_pod(_pod("ReplicaSet", "rs"))
    by_scan = default_selector(info, _list)
    by_name = default_selector(info, _list, _get)
    assert str(by_name) == str(by_scan) == "app=web,tier=fe"


def test_missing_owner_keeps_service_selector_only():
    info = parse_pod(_pod("ReplicaSet", "gone"))
    assert str(default_selector(info, _list, _get)) == "app=web"


def test_getter_is_asked_for_the_owner_only():
    asked: list[tuple[str, str, str]] = []

    def getter(kind: str, namespace: str, name: str):
        asked.append((kind, namespace, name))
        return _get(kind, namespace, name)

    default_selector(parse_pod(_pod("ReplicaSet", "rs")), _list, getter)
    assert asked == [("ReplicaSet", "ns", "rs")]
