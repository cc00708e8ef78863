"""What-if transforms: each edit, and index / lifecycle consistency after it."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_simkube.kube.labels import parse_selector
from pytest_simkube.trace import (
    PodLifecycle,
    Trace,
    TrackedObjectConfig,
    dumps_trace,
    pod_spec_stable_hash,
    spec_hash,
)
from pytest_simkube.trace import transform as tf
from pytest_simkube.trace.validate import validate_trace
from tests.trace.test_validate import bare_pod, core, make_trace

DEPLOYMENT, JOB, POD = "apps/v1.Deployment", "batch/v1.Job", "v1.Pod"
TRACKED = {
    DEPLOYMENT: TrackedObjectConfig(("/spec/template",), track_lifecycle=True),
    JOB: TrackedObjectConfig(("/spec/template",), track_lifecycle=True),
}
# Lifecycle hashes recorded from live pods cannot be recomputed from templates (admission defaults).
WEB_V1_PODS, WEB_V2_PODS, JOB_PODS = 111, 222, 333


def container(name: str = "app", **resources: dict[str, str]) -> dict[str, Any]:
    c: dict[str, Any] = {"image": "nginx", "name": name}
    if resources:
        c["resources"] = resources
    return c


def workload(
    kind: str,
    name: str,
    ns: str = "default",
    labels: dict[str, str] | None = None,
    containers: list[dict[str, Any]] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    api = {"Deployment": "apps/v1", "Job": "batch/v1"}[kind]
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers or [container()]}}
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"annotations": {}, "labels": labels or {}, "name": name, "namespace": ns},
        "spec": {**spec, "template": template},
    }


def web(image: str = "nginx:1", replicas: int = 3) -> dict[str, Any]:
    obj = workload(
        "Deployment",
        "web",
        labels={"app": "web", "tier": "front"},
        replicas=replicas,
        containers=[
            container("app", requests={"cpu": "100m", "memory": "128Mi"}),
            container("sidecar", requests={"cpu": "250m"}, limits={"cpu": "1"}),
        ],
    )
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return obj


def sample() -> Trace:
    job = workload("Job", "batch-job", ns="batch", parallelism=2)
    api = workload("Deployment", "api", replicas=1)
    return make_trace(
        (1000, [web(), job], []),
        (1060, [web(image="nginx:2")], []),
        (
            1100,
            [],
            [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": {"name": "batch-job", "namespace": "batch"},
                }
            ],
        ),
        (1200, [api], []),
        (1300, [], []),
        tracked=TRACKED,
        lifecycles={
            (DEPLOYMENT, "default/web"): {
                WEB_V1_PODS: [PodLifecycle(1005, 1050), PodLifecycle(1010, None)],
                WEB_V2_PODS: [PodLifecycle(1065, None)],
            },
            (JOB, "batch/batch-job"): {JOB_PODS: [PodLifecycle(1001, 1030)]},
        },
    )


def applied(trace: Trace, name: str) -> list[dict[str, Any]]:
    return [o for e in trace.events for o in e.applied_objs if o["metadata"]["name"] == name]


def consistency_findings(trace: Trace) -> list[str]:
    """Index / lifecycle findings that a transform of a consistent trace must never produce."""
    return [
        f"{f.code} {f.where}"
        for f in validate_trace(trace)
        if f.code in ("W0101", "W0102", "W0103", "W0104", "E0105", "E0102", "E0108")
    ]


@pytest.fixture
def trace() -> Trace:
    t = sample()
    assert consistency_findings(t) == []
    return t


def unchanged(original: Trace, snapshot: bytes) -> bool:
    return dumps_trace(original) == snapshot


# ------------------------------------------------------------------------------ scale replicas


def test_scale_replicas_by_factor_recomputes_only_scaled_index_entries(trace: Trace) -> None:
    snapshot = dumps_trace(trace)
    out = tf.scale_replicas(trace, factor="2")
    assert [o["spec"]["replicas"] for o in applied(out, "web")] == [6, 6]
    assert [o["spec"]["replicas"] for o in applied(out, "api")] == [2]
    assert applied(out, "batch-job")[0] is applied(trace, "batch-job")[0]  # no replicas field: untouched
    assert out.index[DEPLOYMENT]["default/web"] == spec_hash(applied(out, "web")[-1]["spec"])
    assert out.index[DEPLOYMENT]["default/web"] != trace.index[DEPLOYMENT]["default/web"]
    assert out.index[JOB] == trace.index[JOB]
    assert out.pod_lifecycles == trace.pod_lifecycles  # templates unchanged: same keys
    assert consistency_findings(out) == []
    assert unchanged(trace, snapshot)


def test_scale_replicas_rounds_half_up_and_sets_values(trace: Trace) -> None:
    half = tf.scale_replicas(trace, factor=0.5)
    assert [o["spec"]["replicas"] for o in applied(half, "web")] == [2, 2]  # 1.5 -> 2
    assert [o["spec"]["replicas"] for o in applied(half, "api")] == [1]  # 0.5 -> 1
    zero = tf.scale_replicas(trace, value=0)
    assert [o["spec"]["replicas"] for o in applied(zero, "web") + applied(zero, "api")] == [0, 0, 0]


def test_scale_replicas_filters(trace: Trace) -> None:
    front = tf.ObjectFilter(kinds=("Deployment",), selector=parse_selector("tier=front"))
    out = tf.scale_replicas(trace, value=9, where=front)
    assert [o["spec"]["replicas"] for o in applied(out, "web")] == [9, 9]
    assert applied(out, "api")[0] is applied(trace, "api")[0]
    assert out.index[DEPLOYMENT]["default/api"] == trace.index[DEPLOYMENT]["default/api"]
    other_ns = tf.scale_replicas(trace, value=9, where=tf.ObjectFilter(namespaces=("batch",)))
    assert dumps_trace(other_ns) == dumps_trace(trace)
    lower = tf.scale_replicas(trace, value=9, where=tf.ObjectFilter(kinds=("deployment",)))
    assert [o["spec"]["replicas"] for o in applied(lower, "api")] == [9]
    wrong_group = tf.scale_replicas(
        trace, value=9, where=tf.ObjectFilter(kinds=("extensions/v1beta1.Deployment",))
    )
    assert dumps_trace(wrong_group) == dumps_trace(trace)
    full_gvk = tf.scale_replicas(trace, value=9, where=tf.ObjectFilter(kinds=("apps/v1.Deployment",)))
    assert [o["spec"]["replicas"] for o in applied(full_gvk, "api")] == [9]


def test_scale_replicas_rejects_bad_arguments_and_bad_traces(trace: Trace) -> None:
    with pytest.raises(tf.TransformError, match="exactly one"):
        tf.scale_replicas(trace, factor=2, value=3)
    with pytest.raises(tf.TransformError, match="negative"):
        tf.scale_replicas(trace, factor=-1)
    with pytest.raises(tf.TransformError, match="must be a number"):
        tf.scale_replicas(trace, factor="lots")
    broken = sample()
    broken.events[3].applied_objs[0]["spec"]["replicas"] = "3"
    with pytest.raises(tf.TransformError) as exc:
        tf.scale_replicas(broken, factor=2)
    assert exc.value.where == "events[3].applied_objs[0].spec.replicas"


# ------------------------------------------------------------------------------ time


def test_time_scale_moves_events_and_lifecycles(trace: Trace) -> None:
    out = tf.scale_time(trace, "0.5")
    assert [e.ts for e in out.events] == [1000, 1030, 1050, 1100, 1150]
    assert out.pod_lifecycles[(DEPLOYMENT, "default/web")] == {
        WEB_V1_PODS: [PodLifecycle(1003, 1025), PodLifecycle(1005, None)],  # 2.5 -> 3 (half up)
        WEB_V2_PODS: [PodLifecycle(1033, None)],
    }
    assert out.pod_lifecycles[(JOB, "batch/batch-job")] == {JOB_PODS: [PodLifecycle(1001, 1015)]}
    assert out.index == trace.index
    stretched = tf.scale_time(trace, 3)
    assert stretched.duration_seconds == 900
    assert dumps_trace(tf.scale_time(trace, 1)) == dumps_trace(trace)
    for bad in (0, -2, "x"):
        with pytest.raises(tf.TransformError):
            tf.scale_time(trace, bad)


# ------------------------------------------------------------------------------ window


def test_window_flattens_objects_alive_at_start(trace: Trace) -> None:
    out = tf.cut_window(trace, 50, 250)
    first = out.events[0]
    assert first.ts == 1050
    assert [o["metadata"]["name"] for o in first.applied_objs] == ["web", "batch-job"]
    assert first.applied_objs[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
    assert [(e.ts, len(e.applied_objs), len(e.deleted_objs)) for e in out.events[1:]] == [
        (1060, 1, 0),
        (1100, 0, 1),
        (1200, 1, 0),
        (1250, 0, 0),  # closing event at the window end
    ]
    assert out.index == trace.index
    # Lifecycles overlapping [1050, 1250) stay, starts clamped; the job's pod ended at 1030.
    assert out.pod_lifecycles == {
        (DEPLOYMENT, "default/web"): {
            WEB_V1_PODS: [PodLifecycle(1050, 1050), PodLifecycle(1050, None)],
            WEB_V2_PODS: [PodLifecycle(1065, None)],
        }
    }
    assert consistency_findings(out) == []


def test_window_drops_deleted_objects_and_later_objects(trace: Trace) -> None:
    late = tf.cut_window(trace, 120)
    assert [o["metadata"]["name"] for o in late.events[0].applied_objs] == ["web"]
    assert late.events[0].applied_objs[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert [e.ts for e in late.events] == [1120, 1200, 1300]  # open end: the input's last timestamp
    assert "batch/batch-job" in late.index[JOB]  # as SimKube's export: deleted objects stay indexed

    early = tf.cut_window(trace, 0, 150)
    assert [e.ts for e in early.events] == [1000, 1000, 1060, 1100, 1150]
    assert early.events[0].applied_objs == []
    assert "default/api" not in early.index[DEPLOYMENT]  # first applied after the end


def test_window_index_follows_the_last_spec_before_the_end(trace: Trace) -> None:
    out = tf.cut_window(trace, 0, 30)
    assert out.index[DEPLOYMENT]["default/web"] == spec_hash(web()["spec"])
    assert trace.index[DEPLOYMENT]["default/web"] == spec_hash(web(image="nginx:2")["spec"])
    assert consistency_findings(out) == []


def test_window_skips_finished_bare_pods_and_keeps_kinds_apart() -> None:
    done, running = bare_pod("done"), bare_pod("running")
    same_name_cm = core("ConfigMap", "running", "testing")
    tracked = {
        POD: TrackedObjectConfig(("",), track_lifecycle=True),
        "v1.ConfigMap": TrackedObjectConfig(("/x",)),
    }
    h = pod_spec_stable_hash(done["spec"])
    trace = make_trace(
        (100, [done, running, same_name_cm], []),
        (200, [], []),
        tracked=tracked,
        lifecycles={
            (POD, "testing/done"): {h: [PodLifecycle(100, 120)]},
            (POD, "testing/running"): {h: [PodLifecycle(101, None)]},
        },
    )
    out = tf.cut_window(trace, 50)
    assert [(o["kind"], o["metadata"]["name"]) for o in out.events[0].applied_objs] == [
        ("Pod", "running"),
        ("ConfigMap", "running"),
    ]
    assert out.pod_lifecycles == {(POD, "testing/running"): {h: [PodLifecycle(150, None)]}}


def test_window_rejects_bad_bounds(trace: Trace) -> None:
    for start, end in ((10, 10), (20, 5), (-1, None)):
        with pytest.raises(tf.TransformError):
            tf.cut_window(trace, start, end)


# ------------------------------------------------------------------------------ requests and limits


def test_set_request_edits_every_template_and_rekeys_lifecycles(trace: Trace) -> None:
    snapshot = dumps_trace(trace)
    out = tf.set_resource(trace, "requests", "cpu", "500m")
    for obj in applied(out, "web"):
        assert [c["resources"]["requests"]["cpu"] for c in obj["spec"]["template"]["spec"]["containers"]] == [
            "500m",
            "500m",
        ]
    api_container = applied(out, "api")[0]["spec"]["template"]["spec"]["containers"][0]
    assert api_container == {"image": "nginx", "name": "app", "resources": {"requests": {"cpu": "500m"}}}
    assert list(api_container) == sorted(api_container)  # inserted keys keep SimKube's sorted order
    # Index: every edited object's hash follows its new last spec.
    for gvk, key, name in (
        (DEPLOYMENT, "default/web", "web"),
        (DEPLOYMENT, "default/api", "api"),
        (JOB, "batch/batch-job", "batch-job"),
    ):
        assert out.index[gvk][key] == spec_hash(applied(out, name)[-1]["spec"])
    # Lifecycles: each bucket moves to the version current when its first pod started.
    v1, v2 = (o["spec"]["template"]["spec"] for o in applied(out, "web"))
    assert out.pod_lifecycles[(DEPLOYMENT, "default/web")] == {
        pod_spec_stable_hash(v1): trace.pod_lifecycles[(DEPLOYMENT, "default/web")][WEB_V1_PODS],
        pod_spec_stable_hash(v2): trace.pod_lifecycles[(DEPLOYMENT, "default/web")][WEB_V2_PODS],
    }
    job_spec = applied(out, "batch-job")[0]["spec"]["template"]["spec"]
    assert list(out.pod_lifecycles[(JOB, "batch/batch-job")]) == [pod_spec_stable_hash(job_spec)]
    assert consistency_findings(out) == []
    assert unchanged(trace, snapshot)


def test_resource_edits_target_containers_by_name(trace: Trace) -> None:
    out = tf.set_resource(trace, "limits", "memory", "1Gi", container="sidecar")
    containers = applied(out, "web")[0]["spec"]["template"]["spec"]["containers"]
    assert containers[1]["resources"] == {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "requests": {"cpu": "250m"},
    }
    assert "limits" not in containers[0]["resources"]
    assert applied(out, "api")[0] is applied(trace, "api")[0]  # no container of that name

    init = make_trace(
        (1, [workload("Deployment", "w", replicas=1, containers=[container("main")])], []), tracked=TRACKED
    )
    init.events[0].applied_objs[0]["spec"]["template"]["spec"]["initContainers"] = [container("setup")]
    named = tf.set_resource(init, "requests", "cpu", "2", container="setup")
    spec = applied(named, "w")[0]["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["resources"] == {"requests": {"cpu": "2"}}
    assert "resources" not in spec["containers"][0]
    unnamed = tf.set_resource(init, "requests", "cpu", "2")
    assert "resources" not in applied(unnamed, "w")[0]["spec"]["template"]["spec"]["initContainers"][0]


def test_scale_request_rounds_up_like_quantities(trace: Trace) -> None:
    out = tf.scale_resource(trace, "requests", "memory", "1.5")
    web_containers = applied(out, "web")[0]["spec"]["template"]["spec"]["containers"]
    assert web_containers[0]["resources"]["requests"] == {"cpu": "100m", "memory": "192Mi"}
    assert "memory" not in web_containers[1]["resources"]["requests"]  # nothing to scale: skipped
    assert applied(out, "api")[0] is applied(trace, "api")[0]
    cpu = tf.scale_resource(trace, "requests", "cpu", "0.333")
    assert [
        c["resources"]["requests"]["cpu"]
        for c in applied(cpu, "web")[0]["spec"]["template"]["spec"]["containers"]
    ] == ["34m", "84m"]  # 33.3m -> 34m, 83.25m -> 84m
    limit = tf.scale_resource(trace, "limits", "cpu", 2.5, container="sidecar")
    assert applied(limit, "web")[0]["spec"]["template"]["spec"]["containers"][1]["resources"]["limits"] == {
        "cpu": "2500m"
    }


@pytest.mark.parametrize(
    ("resource", "amount", "text"),
    [
        ("cpu", "3/2", "1500m"),
        ("cpu", "2", "2"),
        ("memory", "1536", "1536"),
        ("memory", str(3 * 2**29), "1536Mi"),
        ("ephemeral-storage", str(2**30), "1Gi"),
        ("nvidia.com/gpu", "3/2", "2"),
        ("hugepages-2Mi", str(2**21), "2Mi"),
    ],
)
def test_format_resource(resource: str, amount: str, text: str) -> None:
    from fractions import Fraction

    assert tf.format_resource(resource, Fraction(amount)) == text


def test_resource_edit_errors(trace: Trace) -> None:
    with pytest.raises(tf.TransformError, match="quantities must match"):
        tf.set_resource(trace, "requests", "cpu", "lots")
    with pytest.raises(tf.TransformError, match="requests' or 'limits"):
        tf.set_resource(trace, "wishes", "cpu", "1")  # type: ignore[arg-type]
    with pytest.raises(tf.TransformError, match="positive"):
        tf.scale_resource(trace, "requests", "cpu", 0)
    broken = sample()
    broken.events[0].applied_objs[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"][
        "cpu"
    ] = "a lot"
    with pytest.raises(tf.TransformError) as exc:
        tf.scale_resource(broken, "requests", "cpu", 2)
    assert (
        exc.value.where == "events[0].applied_objs[0].spec.template.spec.containers[0].resources.requests.cpu"
    )


def test_bare_pod_lifecycles_are_rekeyed_exactly_and_merged() -> None:
    small, big = bare_pod("p"), bare_pod("p")
    small["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "100m"}}
    big["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "200m"}}
    tracked = {POD: TrackedObjectConfig(("",), track_lifecycle=True)}
    h_small, h_big = pod_spec_stable_hash(small["spec"]), pod_spec_stable_hash(big["spec"])
    trace = make_trace(
        (10, [small], []),
        (20, [big], []),
        tracked=tracked,
        lifecycles={(POD, "testing/p"): {h_big: [PodLifecycle(21, 30)], h_small: [PodLifecycle(11, 19)]}},
    )
    out = tf.set_resource(trace, "requests", "cpu", "300m")
    new_hash = pod_spec_stable_hash(applied(out, "p")[0]["spec"])
    assert out.pod_lifecycles == {
        (POD, "testing/p"): {new_hash: [PodLifecycle(11, 19), PodLifecycle(21, 30)]}
    }
    assert [f.code for f in validate_trace(out)] == []


# ------------------------------------------------------------------------------ drop


def test_drop_by_kind_removes_applies_deletes_index_and_lifecycles(trace: Trace) -> None:
    out = tf.drop_objects(trace, tf.ObjectFilter(kinds=("Job",), namespaces=("batch",)))
    assert applied(out, "batch-job") == []
    assert [e.ts for e in out.events] == [1000, 1060, 1200, 1300]  # 1100 only deleted the job
    assert JOB not in out.index
    assert (JOB, "batch/batch-job") not in out.pod_lifecycles
    assert out.index[DEPLOYMENT] == trace.index[DEPLOYMENT]
    assert consistency_findings(out) == []


def test_drop_by_label_and_first_event_stays(trace: Trace) -> None:
    out = tf.drop_objects(trace, tf.ObjectFilter(selector=parse_selector("app in (web,other)")))
    assert applied(out, "web") == []
    assert out.events[0].ts == 1000 and [o["metadata"]["name"] for o in out.events[0].applied_objs] == [
        "batch-job"
    ]
    assert 1060 not in [e.ts for e in out.events]
    assert list(out.index[DEPLOYMENT]) == ["default/api"]
    everything = tf.drop_objects(trace, tf.EVERY_OBJECT)
    assert [e.ts for e in everything.events] == [1000, 1300]
    assert everything.index == {} and everything.pod_lifecycles == {}


def test_drop_matches_index_only_entries_by_identity(trace: Trace) -> None:
    trace.index[DEPLOYMENT]["default/old"] = 5
    out = tf.drop_objects(trace, tf.ObjectFilter(names=("old",)))
    assert "default/old" not in out.index[DEPLOYMENT]
    assert "default/web" in out.index[DEPLOYMENT]


# ------------------------------------------------------------------------------ determinism


def _chain(trace: Trace) -> Trace:
    trace = tf.scale_replicas(trace, factor="1.5")
    trace = tf.cut_window(trace, 30, 280)
    trace = tf.scale_resource(trace, "requests", "memory", "2")
    trace = tf.scale_time(trace, "0.7")
    return tf.drop_objects(trace, tf.ObjectFilter(kinds=("Job",)))


def test_transform_chains_are_deterministic_and_leave_the_input_alone(trace: Trace) -> None:
    snapshot = dumps_trace(trace)
    first, second = dumps_trace(_chain(trace)), dumps_trace(_chain(sample()))
    assert first == second
    assert unchanged(trace, snapshot)
    assert consistency_findings(_chain(trace)) == []


def test_drop_judges_applied_objects_by_their_applied_versions(trace: Trace) -> None:
    # The deletion skeleton of batch-job has no labels; it must not decide for the labelled object.
    trace.events[0].applied_objs[1]["metadata"]["labels"] = {"canary": "yes"}
    out = tf.drop_objects(trace, tf.ObjectFilter(selector=parse_selector("!canary")))
    assert [o["metadata"]["name"] for e in out.events for o in e.applied_objs] == ["batch-job"]
    assert [o["metadata"]["name"] for e in out.events for o in e.deleted_objs] == ["batch-job"]


def test_scale_replicas_defaults_missing_replicas_to_one_for_apps_kinds() -> None:
    defaulted = workload("Deployment", "d")  # no spec.replicas: the API server would make it 1
    custom = {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t", "namespace": "default"},
        "spec": {"size": 2},
    }
    tracked = {**TRACKED, "example.com/v1.Thing": TrackedObjectConfig(("/spec/template",))}
    trace = make_trace((1, [defaulted, custom], []), tracked=tracked)
    out = tf.scale_replicas(trace, factor=3)
    spec = applied(out, "d")[0]["spec"]
    assert spec["replicas"] == 3
    assert list(spec) == sorted(spec)  # inserted where SimKube's sorted maps put it
    assert applied(out, "t")[0] is custom  # no replicas field and no default: untouched
    assert tf.scale_replicas(trace, factor=1).events[0].applied_objs[0] is defaulted  # 1 x 1 = 1: no change


def test_shift_time_moves_everything_by_the_same_amount(trace: Trace) -> None:
    out = tf.shift_time(trace, -1000)
    assert [e.ts for e in out.events] == [0, 60, 100, 200, 300]
    assert out.pod_lifecycles[(DEPLOYMENT, "default/web")][WEB_V1_PODS] == [
        PodLifecycle(5, 50),
        PodLifecycle(10, None),
    ]
    assert out.index == trace.index
    assert dumps_trace(tf.shift_time(out, 1000)) == dumps_trace(trace)
    with pytest.raises(tf.TransformError, match="before the Unix epoch"):
        tf.shift_time(trace, -1001)
    with pytest.raises(tf.TransformError, match="whole number"):
        tf.shift_time(trace, 1.5)  # type: ignore[arg-type]


def test_arrival_rate_compresses_gaps_but_keeps_run_times(trace: Trace) -> None:
    out = tf.scale_arrival_rate(trace, 2)
    assert [e.ts for e in out.events] == [e.ts for e in tf.scale_time(trace, "0.5").events]
    assert out.pod_lifecycles[(DEPLOYMENT, "default/web")] == {
        WEB_V1_PODS: [PodLifecycle(1003, 1048), PodLifecycle(1005, None)],  # starts 2.5 -> 3 and 5; 45 s kept
        WEB_V2_PODS: [PodLifecycle(1033, None)],
    }
    assert out.pod_lifecycles[(JOB, "batch/batch-job")] == {JOB_PODS: [PodLifecycle(1001, 1030)]}
    assert out.index == trace.index
    assert trace.pod_lifecycles[(JOB, "batch/batch-job")] == {JOB_PODS: [PodLifecycle(1001, 1030)]}
    for bad in (0, "-1", "fast"):
        with pytest.raises(tf.TransformError):
            tf.scale_arrival_rate(trace, bad)
