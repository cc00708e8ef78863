"""Pod templates found by podSpecTemplatePaths: pointers, wildcards, copies that leave the input alone."""

from __future__ import annotations

import copy

import pytest

from pytest_simkube.trace.model import TracerConfig, TrackedObjectConfig
from pytest_simkube.trace.podspec import (
    PointerError,
    dotted,
    edit_pod_specs,
    format_pointer,
    get_path,
    iter_containers,
    parse_pointer,
    pod_templates,
    resolve,
    set_path,
    thaw,
)


def test_parse_pointer_follows_rfc6901_escapes() -> None:
    assert parse_pointer("") == ()
    assert parse_pointer("/spec/template") == ("spec", "template")
    assert parse_pointer("/a~1b/c~0d/~01") == ("a/b", "c~d", "~1")
    assert parse_pointer("/") == ("",)


@pytest.mark.parametrize("bad", ["spec/template", "/a~2b", "/a~", 7])
def test_parse_pointer_rejects_malformed(bad: object) -> None:
    with pytest.raises(PointerError):
        parse_pointer(bad)  # type: ignore[arg-type]


def test_format_pointer_round_trips() -> None:
    tokens = ("metadata", "annotations", "simkube.io/x~y", 0)
    assert parse_pointer(format_pointer(tokens)) == ("metadata", "annotations", "simkube.io/x~y", "0")


def test_resolve_expands_wildcards_over_arrays_in_order() -> None:
    doc = {"spec": {"tasks": [{"template": {"spec": 1}}, {"other": 2}, {"template": {"spec": 3}}]}}
    assert resolve(doc, "/spec/tasks/*/template") == [
        (("spec", "tasks", 0, "template"), {"spec": 1}),
        (("spec", "tasks", 2, "template"), {"spec": 3}),
    ]


def test_resolve_handles_indices_root_and_misses() -> None:
    doc = {"spec": {"items": ("a", "b")}}
    assert resolve(doc, "/spec/items/1") == [(("spec", "items", 1), "b")]
    assert resolve(doc, "/spec/items/01") == []  # RFC 6901: no leading zeros
    assert resolve(doc, "/spec/items/5") == []
    assert resolve(doc, "/spec/missing/x") == []
    assert resolve(doc, "") == [((), doc)]
    assert resolve({"spec": {"a": 1}}, "/spec/*") == []  # the wildcard only expands arrays


def test_get_and_set_path_on_a_thawed_copy() -> None:
    doc = {"a": ({"b": 1},)}
    mutable = thaw(doc)
    set_path(mutable, ("a", 0, "b"), 2)
    assert get_path(mutable, ("a", 0, "b")) == 2
    assert doc == {"a": ({"b": 1},)}
    assert isinstance(mutable["a"], list)
    with pytest.raises(PointerError):
        set_path(mutable, (), 1)


def test_dotted_locations_read_like_the_error_messages() -> None:
    assert (
        dotted(("spec", "template", "spec", "containers", 0, "env", 2))
        == "spec.template.spec.containers[0].env[2]"
    )
    assert dotted(("metadata", "annotations", "simkube.io/x")) == "metadata.annotations['simkube.io/x']"
    assert dotted(()) == ""


def _deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2, "template": {"metadata": {}, "spec": {"containers": [{"name": "app"}]}}},
    }


def test_pod_templates_use_builtin_defaults_and_explicit_paths() -> None:
    config = TracerConfig(
        {
            "apps/v1.Deployment": TrackedObjectConfig(),
            "example.com/v1.Batch": TrackedObjectConfig(("/spec/tasks/*/template",)),
            "v1.Pod": TrackedObjectConfig(),
        }
    )
    refs = pod_templates(_deployment(), "apps/v1.Deployment", config)
    assert [r.path for r in refs] == [("spec", "template")]
    assert refs[0].pod_spec == {"containers": [{"name": "app"}]}
    assert refs[0].spec_path == ("spec", "template", "spec")

    batch = {"spec": {"tasks": [{"template": {"spec": {"containers": []}}}, {"template": {"spec": {}}}]}}
    assert [r.path for r in pod_templates(batch, "example.com/v1.Batch", config)] == [
        ("spec", "tasks", 0, "template"),
        ("spec", "tasks", 1, "template"),
    ]

    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}}
    assert [r.path for r in pod_templates(pod, "v1.Pod", config)] == [()]
    assert pod_templates(pod, "v1.Untracked", config) == []


def test_iter_containers_covers_init_containers_on_request() -> None:
    spec = {"initContainers": [{"name": "init"}], "containers": [{"name": "a"}, {"name": "b"}]}
    assert [(k, i, c["name"]) for k, i, c in iter_containers(spec)] == [
        ("containers", 0, "a"),
        ("containers", 1, "b"),
        ("initContainers", 0, "init"),
    ]
    assert [c["name"] for _, _, c in iter_containers(spec, init=False)] == ["a", "b"]


def test_edit_pod_specs_copies_and_reports_no_change() -> None:
    config = TracerConfig({"apps/v1.Deployment": TrackedObjectConfig()})
    obj = _deployment()
    before = copy.deepcopy(obj)

    def rename(spec: dict, path: tuple) -> bool:
        assert path == ("spec", "template", "spec")
        spec["containers"][0]["name"] = "renamed"
        return True

    edited = edit_pod_specs(obj, "apps/v1.Deployment", config, rename)
    assert edited is not None and edited is not obj
    assert edited["spec"]["template"]["spec"]["containers"][0]["name"] == "renamed"
    assert obj == before
    assert edit_pod_specs(obj, "apps/v1.Deployment", config, lambda spec, path: False) is None
    assert edit_pod_specs({"spec": {}}, "apps/v1.Deployment", config, rename) is None
