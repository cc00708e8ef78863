"""Validation rules, one crafted trace per rule plus the fixed version that passes."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_simkube.trace import (
    PodLifecycle,
    Trace,
    TraceEvent,
    TracerConfig,
    TrackedObjectConfig,
    object_key,
    pod_spec_stable_hash,
    spec_hash,
)
from pytest_simkube.trace.model import GVK
from pytest_simkube.trace.validate import RULES, RULES_BY_CODE, has_errors, validate_trace

DEPLOYMENT = "apps/v1.Deployment"
SA_SECRET_CM_PATHS = {
    g: TrackedObjectConfig(("/spec",)) for g in ("v1.ServiceAccount", "v1.Secret", "v1.ConfigMap")
}


def deployment(name: str = "web", ns: str = "default", **pod_spec: Any) -> dict[str, Any]:
    spec = {"containers": [{"name": "app", "image": "nginx"}], **pod_spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"annotations": {}, "name": name, "namespace": ns},
        "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
    }


def core(kind: str, name: str, ns: str = "default") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"annotations": {}, "name": name, "namespace": ns}}


def bare_pod(name: str, ns: str = "testing") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"annotations": {}, "name": name, "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"},
    }


def make_trace(
    *events: tuple[int, list[dict], list[dict]],
    tracked: dict[str, TrackedObjectConfig] | None = None,
    index: dict[str, dict[str, int]] | None = None,
    lifecycles: dict | None = None,
) -> Trace:
    """A trace whose index is exactly right (last applied spec of every object) unless given."""
    config = TracerConfig(dict(tracked) if tracked is not None else {DEPLOYMENT: TrackedObjectConfig()})
    evs = [TraceEvent(ts, list(applied), list(deleted)) for ts, applied, deleted in events]
    if index is None:
        index = {}
        for ev in evs:
            for obj in ev.applied_objs:
                index.setdefault(str(GVK.of(obj)), {})[object_key(obj)] = spec_hash(obj.get("spec"))
    return Trace(config=config, events=evs, index=index, pod_lifecycles=lifecycles or {})


def codes(trace: Trace, prefix: str = "") -> list[str]:
    return [f.code for f in validate_trace(trace) if f.code.startswith(prefix)]


def test_rule_codes_are_unique_and_match_simkube_names() -> None:
    assert len(RULES_BY_CODE) == len(RULES)
    simkube = {
        "W0000": "status_field_populated",
        "E0001": "service_account_missing",
        "E0002": "envvar_secret_missing",
        "E0003": "envvar_configmap_missing",
        "E0004": "volume_secret_missing",
        "E0005": "volume_configmap_missing",
    }
    for code, name in simkube.items():
        assert RULES_BY_CODE[code].name == name
    assert all((r.severity == "error") == r.code.startswith("E") for r in RULES)


def test_a_clean_trace_has_no_findings() -> None:
    trace = make_trace((100, [], []), (110, [deployment()], []), (200, [], [deployment()]))
    assert validate_trace(trace) == []


# ------------------------------------------------------------------------------ SimKube's rules


def test_status_populated_is_a_warning_but_null_status_is_not() -> None:
    with_status = {**deployment(), "status": {"replicas": 1}}
    findings = validate_trace(make_trace((1, [with_status], [])))
    assert [(f.code, f.severity, f.where) for f in findings] == [
        ("W0000", "warning", "events[0].applied_objs[0].status")
    ]
    assert not has_errors(findings)
    assert codes(make_trace((1, [{**deployment(), "status": None}], []))) == []


def test_service_account_must_exist_in_the_same_namespace() -> None:
    tracked = {DEPLOYMENT: TrackedObjectConfig(), **SA_SECRET_CM_PATHS}
    needs_robot = deployment(serviceAccountName="robot")
    missing = validate_trace(make_trace((1, [needs_robot], []), tracked=tracked))
    assert [(f.code, f.where) for f in missing] == [
        ("E0001", "events[0].applied_objs[0].spec.template.spec.serviceAccountName")
    ]
    assert (
        "v1.ServiceAccount" not in missing[0].message and "ServiceAccount default/robot" in missing[0].message
    )
    # Applied in the same event counts (as upstream); another namespace does not; deleted does not.
    assert (
        codes(make_trace((1, [core("ServiceAccount", "robot"), needs_robot], []), tracked=tracked), "E") == []
    )
    assert codes(
        make_trace((1, [core("ServiceAccount", "robot", "other"), needs_robot], []), tracked=tracked), "E"
    ) == ["E0001"]
    assert codes(
        make_trace(
            (1, [core("ServiceAccount", "robot")], []),
            (2, [], [core("ServiceAccount", "robot")]),
            (3, [needs_robot], []),
            tracked=tracked,
        ),
        "E",
    ) == ["E0001"]
    # The default ServiceAccount always exists; the deprecated alias is checked too.
    assert codes(make_trace((1, [deployment(serviceAccountName="default")], []))) == []
    assert codes(make_trace((1, [deployment(serviceAccount="legacy")], []), tracked=tracked), "E") == [
        "E0001"
    ]


def _env_secret(name: str, key: str = "password", **extra: Any) -> dict[str, Any]:
    return {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": name, "key": key, **extra}}}


def test_env_secret_is_looked_up_by_name_not_key() -> None:
    tracked = {DEPLOYMENT: TrackedObjectConfig(), **SA_SECRET_CM_PATHS}
    app = deployment(
        containers=[{"name": "app", "env": [{"name": "PLAIN", "value": "x"}, _env_secret("db")]}]
    )
    missing = validate_trace(make_trace((1, [app], []), tracked=tracked))
    assert [(f.code, f.where) for f in missing] == [
        (
            "E0002",
            "events[0].applied_objs[0].spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.name",
        )
    ]
    # A Secret named like the key must not satisfy it (SimKube's bug), the real name must.
    assert codes(make_trace((1, [core("Secret", "password"), app], []), tracked=tracked), "E") == ["E0002"]
    assert codes(make_trace((1, [core("Secret", "db")], []), (2, [app], []), tracked=tracked), "E") == []


def test_optional_references_do_not_count() -> None:
    app = deployment(
        containers=[
            {
                "name": "app",
                "env": [_env_secret("db", optional=True)],
                "envFrom": [{"configMapRef": {"name": "cfg", "optional": True}}],
            }
        ],
        volumes=[{"name": "v", "secret": {"secretName": "s", "optional": True}}],
    )
    assert codes(make_trace((1, [app], []))) == []


def test_env_from_and_configmap_key_refs_and_init_containers() -> None:
    app = deployment(
        initContainers=[{"name": "init", "envFrom": [{"secretRef": {"name": "init-secret"}}]}],
        containers=[
            {
                "name": "app",
                "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "x"}}}],
                "envFrom": [{"configMapRef": {"name": "bulk"}}],
            }
        ],
    )
    findings = validate_trace(make_trace((1, [app], [])))
    assert [(f.code, f.where.split("spec.template.spec.")[1]) for f in findings] == [
        ("E0003", "containers[0].env[0].valueFrom.configMapKeyRef.name"),
        ("E0003", "containers[0].envFrom[0].configMapRef.name"),
        ("E0002", "initContainers[0].envFrom[0].secretRef.name"),
    ]


def test_volumes_plain_and_projected() -> None:
    app = deployment(
        volumes=[
            {"name": "a", "secret": {"secretName": "certs"}},
            {"name": "b", "configMap": {"name": "conf"}},
            {"name": "c", "configMap": {"name": "kube-root-ca.crt"}},
            {
                "name": "d",
                "projected": {
                    "sources": [
                        {"secret": {"name": "p-secret"}},
                        {"configMap": {"name": "p-conf"}},
                        {"configMap": {"name": "kube-root-ca.crt"}},
                        {"serviceAccountToken": {"path": "token"}},
                    ]
                },
            },
            {"name": "e", "emptyDir": {}},
        ]
    )
    findings = validate_trace(make_trace((1, [app], [])))
    assert [(f.code, f.where.split("spec.template.spec.")[1]) for f in findings] == [
        ("E0004", "volumes[0].secret.secretName"),
        ("E0005", "volumes[1].configMap.name"),
        ("E0004", "volumes[3].projected.sources[0].secret.name"),
        ("E0005", "volumes[3].projected.sources[1].configMap.name"),
    ]
    tracked = {DEPLOYMENT: TrackedObjectConfig(), **SA_SECRET_CM_PATHS}
    provided = [
        core("Secret", "certs"),
        core("ConfigMap", "conf"),
        core("Secret", "p-secret"),
        core("ConfigMap", "p-conf"),
    ]
    # Tracked ConfigMaps/Secrets need a path (SimKube's MissingPath) that finds nothing: W0105 once per kind.
    assert codes(make_trace((1, provided, []), (2, [app], []), tracked=tracked)) == ["W0105", "W0105"]


def test_bare_pods_are_checked_at_the_root_path() -> None:
    pod = bare_pod("p")
    pod["spec"]["serviceAccountName"] = "robot"
    trace = make_trace((1, [pod], []), tracked={"v1.Pod": TrackedObjectConfig(("",), track_lifecycle=True)})
    assert [(f.code, f.where) for f in validate_trace(trace)] == [
        ("E0001", "events[0].applied_objs[0].spec.serviceAccountName")
    ]


# ------------------------------------------------------------------------------ structure


def test_version_and_legacy_layout() -> None:
    trace = make_trace((1, [deployment()], []))
    trace.version = 3
    assert codes(trace) == ["E0100"]
    trace.version, trace.source_version = 2, 1
    assert codes(trace) == ["W0100"]


def test_unsorted_events() -> None:
    trace = make_trace((10, [], []), (5, [deployment()], []), (7, [], []))
    findings = validate_trace(trace)
    assert [(f.code, f.where) for f in findings] == [("E0102", "events[1].ts"), ("E0102", "events[2].ts")]


def test_objects_need_kind_name_and_namespace() -> None:
    nameless = deployment()
    del nameless["metadata"]["name"]
    cluster_scoped = deployment()
    del cluster_scoped["metadata"]["namespace"]
    no_kind = {k: v for k, v in deployment().items() if k != "kind"}
    trace = make_trace(
        (1, [nameless, cluster_scoped, no_kind, "junk"], [{"apiVersion": "apps/v1"}]), index={}
    )
    findings = validate_trace(trace)
    assert [(f.code, f.where) for f in findings] == [
        ("E0103", "events[0].applied_objs[0]"),
        ("E0103", "events[0].applied_objs[1]"),
        ("E0103", "events[0].applied_objs[2]"),
        ("E0103", "events[0].applied_objs[3]"),
        ("E0103", "events[0].deleted_objs[0]"),
    ]
    assert "metadata.name" in findings[0].message and "metadata.namespace" in findings[1].message
    assert "kind" in findings[2].message and "metadata" in findings[4].message


def test_malformed_gvks_everywhere() -> None:
    odd = deployment()
    odd["apiVersion"] = "apps/v1/extra"
    trace = make_trace(
        (1, [odd], []),
        tracked={
            "apps/v1/x.Deployment": TrackedObjectConfig(("/spec/template",)),
            DEPLOYMENT: TrackedObjectConfig(),
        },
        index={"Deployment": {"default/web": 1}},
        lifecycles={("no-dot", "default/web"): {1: [PodLifecycle(1, 2)]}},
    )
    assert [(f.code, f.where) for f in validate_trace(trace)] == [
        ("E0101", "config.trackedObjects['apps/v1/x.Deployment']"),
        ("E0101", "events[0].applied_objs[0].apiVersion"),
        ("E0101", "index['Deployment']"),
        ("E0101", "pod_lifecycles[('no-dot', 'default/web')]"),
    ]


def test_applied_kind_must_be_tracked() -> None:
    trace = make_trace((1, [deployment(), core("ConfigMap", "cfg")], []))
    findings = validate_trace(trace)
    assert [(f.code, f.where) for f in findings] == [("E0104", "events[0].applied_objs[1]")]
    assert "v1.ConfigMap" in findings[0].message


def test_pod_spec_template_paths_follow_simkube_normalize() -> None:
    tracked = {
        DEPLOYMENT: TrackedObjectConfig(("/spec/template",)),  # equal to the default: fine
        "apps/v1.StatefulSet": TrackedObjectConfig(("/spec/tmpl",)),  # InvalidPath
        "batch/v1.Job": TrackedObjectConfig(None, paths_key="absent"),  # default used: fine
        "example.com/v1.Thing": TrackedObjectConfig(None),  # MissingPath
        "example.com/v1.Other": TrackedObjectConfig(("spec/template",)),  # not a pointer
        "example.com/v1.Good": TrackedObjectConfig(("/spec/tasks/*/template",)),
    }
    findings = validate_trace(make_trace((1, [], []), tracked=tracked))
    assert [(f.code, f.where) for f in findings] == [
        ("E0106", "config.trackedObjects['apps/v1.StatefulSet'].podSpecTemplatePaths"),
        ("E0107", "config.trackedObjects['example.com/v1.Thing']"),
        ("E0106", "config.trackedObjects['example.com/v1.Other'].podSpecTemplatePaths[0]"),
    ]


def test_lifecycles_need_an_indexed_owner_and_a_sane_duration() -> None:
    lifecycles = {
        (DEPLOYMENT, "default/web"): {7: [PodLifecycle(10, 20), PodLifecycle(30, 25)]},
        (DEPLOYMENT, "default/gone"): {7: [PodLifecycle(10, None)]},
    }
    findings = validate_trace(make_trace((1, [deployment()], []), lifecycles=lifecycles))
    assert [(f.code, f.where) for f in findings] == [
        ("E0108", "pod_lifecycles[('apps/v1.Deployment', 'default/web')][7][1]"),
        ("E0105", "pod_lifecycles[('apps/v1.Deployment', 'default/gone')]"),
    ]


# ------------------------------------------------------------------------------ consistency warnings


def test_index_consistency_warnings() -> None:
    web, api = deployment("web"), deployment("api")
    index = {DEPLOYMENT: {"default/web": 12345, "default/old": spec_hash(None)}}
    findings = validate_trace(make_trace((1, [web, api], []), index=index))
    assert [(f.code, f.where) for f in findings] == [
        ("W0101", "index['apps/v1.Deployment']['default/web']"),
        ("W0103", "index['apps/v1.Deployment']['default/old']"),
        ("W0104", "events[0].applied_objs[1]"),
    ]
    assert str(spec_hash(web["spec"])) in findings[0].message
    assert not has_errors(findings)


def test_index_hash_is_checked_against_the_last_applied_spec() -> None:
    v1, v2 = deployment(), deployment()
    v2["spec"]["replicas"] = 5
    fresh = make_trace((1, [v1], []), (2, [v2], []))
    assert fresh.index[DEPLOYMENT]["default/web"] == spec_hash(v2["spec"])
    assert codes(fresh) == []
    stale = make_trace(
        (1, [v1], []), (2, [v2], []), index={DEPLOYMENT: {"default/web": spec_hash(v1["spec"])}}
    )
    assert codes(stale) == ["W0101"]


def test_bare_pod_lifecycle_hashes_are_checked() -> None:
    pod = bare_pod("p")
    tracked = {"v1.Pod": TrackedObjectConfig(("",), track_lifecycle=True, skip_owned=True)}
    good = pod_spec_stable_hash(pod["spec"])
    owner = ("v1.Pod", "testing/p")
    ok = make_trace((1, [pod], []), tracked=tracked, lifecycles={owner: {good: [PodLifecycle(1, 5)]}})
    assert codes(ok) == []
    stale = make_trace((1, [pod], []), tracked=tracked, lifecycles={owner: {good ^ 1: [PodLifecycle(1, 5)]}})
    findings = validate_trace(stale)
    assert [(f.code, f.where) for f in findings] == [
        ("W0102", f"pod_lifecycles[('v1.Pod', 'testing/p')][{good ^ 1}]")
    ]


def test_templated_owner_lifecycle_hashes_are_not_guessed() -> None:
    lifecycles = {(DEPLOYMENT, "default/web"): {123: [PodLifecycle(1, 5)]}}
    assert codes(make_trace((1, [deployment()], []), lifecycles=lifecycles)) == []


def test_validation_is_deterministic_and_does_not_modify_the_trace() -> None:
    trace = make_trace((1, [{**deployment(serviceAccountName="x"), "status": {}}], []))
    before = repr(trace)
    assert validate_trace(trace) == validate_trace(trace)
    assert repr(trace) == before


@pytest.mark.parametrize("code", [r.code for r in RULES])
def test_every_rule_has_a_help_text(code: str) -> None:
    assert len(RULES_BY_CODE[code].help) > 20


def test_pod_template_paths_that_find_nothing() -> None:
    tracked = {
        DEPLOYMENT: TrackedObjectConfig(),
        "example.com/v1.Batch": TrackedObjectConfig(("/spec/tasks/*/template", "/spec/main")),
    }
    no_template = deployment()
    del no_template["spec"]["template"]
    batch = {
        "apiVersion": "example.com/v1",
        "kind": "Batch",
        "metadata": {"annotations": {}, "name": "b", "namespace": "default"},
        "spec": {"tasks": [], "main": {"spec": {"containers": []}}},
    }
    batch_without_main = {**batch, "spec": {"tasks": []}}
    trace = make_trace(
        (1, [no_template, batch, batch_without_main, deployment("other")], []), tracked=tracked
    )
    findings = validate_trace(trace)
    assert [(f.code, f.where) for f in findings] == [
        (
            "W0105",
            "events[0].applied_objs[0]",
        ),  # the empty wildcard match is fine, the missing /spec/main is not
        ("W0105", "events[0].applied_objs[2]"),
    ]
    assert "'/spec/template'" in findings[0].message and "'/spec/main'" in findings[1].message


# ------------------------------------------------------------------------------ cluster-scoped objects


def priority_class(name: str = "high") -> dict[str, Any]:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"annotations": {}, "name": name}, "value": 1000}


def test_cluster_scoped_objects_are_matched_by_bare_name() -> None:
    # SimKube indexes cluster-scoped objects under their name alone; that is not "never applied".
    tracked = {DEPLOYMENT: TrackedObjectConfig(),
               "scheduling.k8s.io/v1.PriorityClass": TrackedObjectConfig(())}
    trace = make_trace((10, [priority_class(), deployment()], []), tracked=tracked)
    assert trace.index["scheduling.k8s.io/v1.PriorityClass"] == {"high": spec_hash(None)}
    assert codes(trace, "W01") == [] and codes(trace, "E0103") == []


def test_cluster_scoped_index_entry_without_an_event_is_still_never_applied() -> None:
    tracked = {"scheduling.k8s.io/v1.PriorityClass": TrackedObjectConfig(())}
    trace = make_trace((10, [priority_class("high")], []), tracked=tracked,
                       index={"scheduling.k8s.io/v1.PriorityClass": {"high": spec_hash(None),
                                                                     "low": spec_hash(None)}})
    assert [(f.code, f.where) for f in validate_trace(trace) if f.code.startswith("W01")] == [
        ("W0103", "index['scheduling.k8s.io/v1.PriorityClass']['low']")]


def test_a_namespaced_kind_without_namespace_is_still_an_identity_error() -> None:
    no_ns = deployment()
    del no_ns["metadata"]["namespace"]
    findings = validate_trace(make_trace((10, [no_ns], [])))
    assert (findings[0].code, findings[0].message) == ("E0103", "object has no metadata.namespace")
