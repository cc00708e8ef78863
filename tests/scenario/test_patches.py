"""Strategic merge patches (k8s.io/apimachinery strategicpatch/patch.go) and applying them to traces."""

from __future__ import annotations

import copy

import pytest

from pytest_simkube.errors import ConfigError
from pytest_simkube.scenario import apply_patches, load_patch_file, strategic_merge
from pytest_simkube.scenario.strategic_merge import PatchError
from tests.scenario.scenario_files import deployment, shop_trace


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def containers(obj):
    return [c["name"] for c in pod_spec(obj)["containers"]]


def patch_pod_spec(spec_patch):
    return {"spec": {"template": {"spec": spec_patch}}}


ORIGINAL = deployment("checkout", "shop", 3)


def test_containers_merge_by_name_and_keep_their_order():
    result = strategic_merge(
        ORIGINAL,
        patch_pod_spec({"containers": [{"name": "envoy", "resources": {"requests": {"cpu": "250m"}}}]}),
        "Deployment",
    )
    assert containers(result) == ["app", "envoy"]
    envoy = pod_spec(result)["containers"][1]
    assert envoy == {
        "name": "envoy",
        "image": "envoy:1.30",
        "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}},
    }


def test_new_list_items_come_first_like_upstream_merge_sorted_slice():
    result = strategic_merge(
        ORIGINAL, patch_pod_spec({"containers": [{"name": "sidecar", "image": "log:1"}]}), "Deployment"
    )
    assert containers(result) == ["sidecar", "app", "envoy"]
    reordered = strategic_merge(
        ORIGINAL,
        patch_pod_spec(
            {"containers": [{"name": "envoy", "image": "envoy:1.31"}, {"name": "app", "image": "shop/app:2"}]}
        ),
        "Deployment",
    )
    assert containers(reordered) == ["envoy", "app"]  # patch order wins among patched items


def test_delete_and_replace_directives_in_lists():
    deleted = strategic_merge(
        ORIGINAL, patch_pod_spec({"containers": [{"name": "envoy", "$patch": "delete"}]}), "Deployment"
    )
    assert containers(deleted) == ["app"]
    replaced = strategic_merge(
        ORIGINAL,
        patch_pod_spec({"containers": [{"name": "solo", "image": "solo:1"}, {"$patch": "replace"}]}),
        "Deployment",
    )
    assert pod_spec(replaced)["containers"] == [{"name": "solo", "image": "solo:1"}]


def test_env_merges_by_name_inside_a_container():
    result = strategic_merge(
        ORIGINAL,
        patch_pod_spec(
            {
                "containers": [
                    {"name": "app", "env": [{"name": "LOG", "value": "debug"}, {"name": "NEW", "value": "1"}]}
                ]
            }
        ),
        "Deployment",
    )
    env = pod_spec(result)["containers"][0]["env"]
    assert env == [
        {"name": "MODE", "value": "prod"},
        {"name": "LOG", "value": "debug"},
        {"name": "NEW", "value": "1"},
    ]


def test_lists_without_a_patch_strategy_are_replaced():
    result = strategic_merge(
        ORIGINAL, patch_pod_spec({"tolerations": [{"key": "gpu", "operator": "Exists"}]}), "Deployment"
    )
    assert pod_spec(result)["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


def test_maps_merge_null_deletes_and_map_directives():
    patch = patch_pod_spec(
        {"containers": [{"name": "app", "resources": {"requests": {"memory": None}, "limits": {"cpu": "2"}}}]}
    )
    result = strategic_merge(ORIGINAL, patch, "Deployment")
    assert pod_spec(result)["containers"][0]["resources"] == {
        "requests": {"cpu": "500m"},
        "limits": {"cpu": "2"},
    }
    replace = patch_pod_spec(
        {"containers": [{"name": "app", "resources": {"$patch": "replace", "requests": {"cpu": "1"}}}]}
    )
    assert pod_spec(strategic_merge(ORIGINAL, replace, "Deployment"))["containers"][0]["resources"] == {
        "requests": {"cpu": "1"}
    }
    delete = patch_pod_spec({"containers": [{"name": "app", "resources": {"$patch": "delete"}}]})
    assert pod_spec(strategic_merge(ORIGINAL, delete, "Deployment"))["containers"][0]["resources"] == {}
    dropped = strategic_merge(ORIGINAL, {"spec": {"selector": None, "replicas": 9}}, "Deployment")
    assert "selector" not in dropped["spec"] and dropped["spec"]["replicas"] == 9


def test_primitive_merge_lists_retain_keys_and_delete_from_primitive_list():
    original = {"metadata": {"name": "p", "finalizers": ["a", "b"]}, "spec": {"containers": []}}
    union = strategic_merge(original, {"metadata": {"finalizers": ["c", "a"]}}, "Pod")
    assert union["metadata"]["finalizers"] == ["c", "a", "b"]
    removed = strategic_merge(original, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "Pod")
    assert removed["metadata"]["finalizers"] == ["b"]
    strategy = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    recreate = strategic_merge(
        strategy, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}, "Deployment"
    )
    assert recreate["spec"]["strategy"] == {"type": "Recreate"}


def test_unknown_kinds_merge_maps_and_replace_lists():
    original = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"items": [{"name": "a"}], "x": 1}}
    result = strategic_merge(original, {"spec": {"items": [{"name": "b"}]}}, "Widget")
    assert result["spec"] == {"items": [{"name": "b"}], "x": 1}


def test_the_original_is_never_modified():
    before = copy.deepcopy(ORIGINAL)
    strategic_merge(
        ORIGINAL,
        patch_pod_spec(
            {"containers": [{"name": "app", "image": "x"}, {"name": "envoy", "$patch": "delete"}]}
        ),
        "Deployment",
    )
    assert before == ORIGINAL


@pytest.mark.parametrize(
    ("patch", "path", "message"),
    [
        (
            patch_pod_spec({"containers": [{"image": "x"}]}),
            "spec.template.spec.containers[0]",
            "missing its merge key 'name'",
        ),
        (
            patch_pod_spec({"containers": [{"$patch": "delete"}]}),
            "spec.template.spec.containers[0]",
            "needs its merge key 'name'",
        ),
        (
            patch_pod_spec({"containers": [{"name": "app", "$patch": "merge"}]}),
            "spec.template.spec.containers[0]",
            "merging lists cannot yet be specified",
        ),
        ({"spec": {"$patch": "keep"}}, "spec.$patch", "unknown directive 'keep'"),
        (
            {"spec": {"$setElementOrder/containers": [{"name": "a"}]}},
            "spec.$setElementOrder/containers",
            "not supported",
        ),
        ({"spec": {"$weird": 1}}, "spec.$weird", "unknown patch directive"),
    ],
)
def test_bad_patches(patch, path, message):
    with pytest.raises(PatchError) as info:
        strategic_merge(ORIGINAL, patch, "Deployment")
    assert info.value.path == path
    assert message in info.value.message


def write_patch(tmp_path, text):
    path = tmp_path / "patch.yaml"
    path.write_text(text)
    return path


def test_patch_files_apply_to_every_event_of_their_target_only(tmp_path):
    trace = shop_trace()
    before = copy.deepcopy(trace)
    patches = load_patch_file(
        write_patch(
            tmp_path,
            """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: app, resources: {requests: {cpu: "2"}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: catalog}
spec: {replicas: 4}
""",
        )
    )
    assert [p.target for p in patches] == ["apps/v1 Deployment shop/checkout", "apps/v1 Deployment catalog"]
    assert [p.where for p in patches] == ["document 1 (line 1)", "document 2 (line 9)"]
    patched = apply_patches(trace, patches)
    assert trace == before  # input untouched
    cpu = [
        pod_spec(o)["containers"][0]["resources"]["requests"]["cpu"]
        for e in patched.events
        for o in e.applied_objs
        if o["metadata"]["name"] == "checkout"
    ]
    assert cpu == ["2", "2"]
    replicas = {o["metadata"]["name"]: o["spec"]["replicas"] for o in patched.events[0].applied_objs}
    assert replicas == {"checkout": 3, "catalog": 4}  # no namespace: matches the name in any namespace
    assert patched.events[2].deleted_objs == trace.events[2].deleted_objs
    assert patched.index == trace.index and patched.pod_lifecycles == trace.pod_lifecycles
    assert apply_patches(trace, []) is trace


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("kind: Deployment\nmetadata: {name: a}\n", "line 1", "a patch needs 'apiVersion'"),
        ("apiVersion: apps/v1\nkind: Deployment\nspec: {}\n", "line 1", "needs metadata.name"),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  $setElementOrder/x: []\n",
            "line 5, key 'spec.$setElementOrder/x'",
            "not supported",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n$patch: replace\n",
            "line 1",
            "top level cannot carry $patch",
        ),
        (
            "apiVersion: apps/v1\nkind: [Deployment]\nmetadata: {name: a}\n",
            "line 2, key 'kind'",
            "expected a string",
        ),
        ("", None, "holds no patch documents"),
        ("apiVersion: apps/v1\n  kind: x\n", "line 2, column 7", "invalid YAML"),
    ],
)
def test_bad_patch_files(tmp_path, text, where, message):
    path = write_patch(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_patch_file(path)
    assert info.value.source == str(path)
    assert info.value.where == where
    assert message in info.value.message


def test_unmatched_and_unappliable_patches_fail_with_the_patch_file(tmp_path):
    wrong_ns = load_patch_file(
        write_patch(
            tmp_path, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout, namespace: prod}\n"
        )
    )
    with pytest.raises(
        ConfigError,
        match="addresses apps/v1 Deployment prod/checkout, which the trace never "
        r"applies \(traced kinds: apps/v1 Deployment\)",
    ):
        apply_patches(shop_trace(), wrong_ns)
    wrong_version = load_patch_file(
        write_patch(tmp_path, "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: checkout}\n")
    )
    with pytest.raises(ConfigError, match="never applies"):
        apply_patches(shop_trace(), wrong_version)
    bad = load_patch_file(
        write_patch(
            tmp_path,
            """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout}
spec: {template: {spec: {containers: [{image: nameless}]}}}
""",
        )
    )
    with pytest.raises(ConfigError) as info:
        apply_patches(shop_trace(), bad)
    assert info.value.where == "document 1 (line 1), spec.template.spec.containers[0]"
    assert (
        "cannot apply patch to apps/v1 Deployment checkout: list item is missing its merge key 'name'"
        in str(info.value)
    )
