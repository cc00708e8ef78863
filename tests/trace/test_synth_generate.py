"""Synthesised traces: SimKube's layout, determinism, and the statistics the spec asks for."""

from __future__ import annotations

import itertools
import textwrap
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pytest_simkube.trace import (
    dumps_trace,
    loads_trace,
    pod_spec_stable_hash,
    read_trace,
    spec_hash,
    write_trace,
)
from pytest_simkube.trace.model import PodLifecycle
from pytest_simkube.trace.synth import parse_spec, synthesize
from pytest_simkube.trace.synth.workloads import job_pod_runs
from pytest_simkube.trace.validate import validate_trace

START = 1_740_960_000  # 2025-03-03T00:00:00Z

MIXED = """\
start: 2025-03-03T00:00:00Z
duration: 6h
seed: 11
namespaces: [web, batch]
priorityClasses: [{name: high, value: 1000}]
emitPriorityClasses: false
workloads:
  - name: web-{i}
    kind: Deployment
    count: 4
    namespace: web
    labels: {tier: frontend}
    replicas: {diurnal: {min: 1, max: 6, peakHour: 3, noise: 0.2, resample: 10m}}
    pod:
      priorityClassName: high
      resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {memory: 512Mi}}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
           labelSelector: {matchLabels: {app: "{name}"}}}
  - name: etl-{i}
    kind: Job
    count: 2
    namespace: batch
    arrivals: {poisson: {perHour: 2}}
    parallelism: 2
    completions: [1, 3]
    runtime: {exponential: {mean: 5m}}
    ttlAfterFinished: 5m
  - name: nightly
    kind: CronJob
    namespace: batch
    schedule: "*/20 * * * *"
    runtime: {fixed: 90s}
  - name: probe-{i}
    kind: Pod
    count: 2
    namespace: batch
    arrivals: {times: [30m, 2h]}
    runtime: {fixed: 5m}
    ttlAfterFinished: 1m
"""


def synth(text: str, seed: int | None = None):
    return synthesize(parse_spec(textwrap.dedent(text), "spec.yaml"), seed=seed)


def applied(trace, kind: str | None = None):
    for event in trace.events:
        for obj in event.applied_objs:
            if kind is None or obj["kind"] == kind:
                yield event.ts, obj


def assert_sorted_keys(value, where="spec"):
    if isinstance(value, dict):
        assert list(value) == sorted(value), f"{where}: keys not sorted: {list(value)}"
        for key, item in value.items():
            assert_sorted_keys(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_sorted_keys(item, f"{where}[{i}]")


# -- layout -----------------------------------------------------------------------------------


def test_same_spec_and_seed_give_identical_bytes_and_a_new_seed_changes_them():
    first = dumps_trace(synth(MIXED).trace)
    assert dumps_trace(synth(MIXED).trace) == first
    assert dumps_trace(synth(MIXED, seed=11).trace) == first
    assert dumps_trace(synth(MIXED, seed=12).trace) != first


def test_written_trace_reads_back_equal_and_rewrites_byte_for_byte(tmp_path):
    result = synth(MIXED)
    path = tmp_path / "mixed.sktrace"
    write_trace(result.trace, path)
    loaded = read_trace(path)
    assert loaded == result.trace
    assert dumps_trace(loaded) == path.read_bytes()


def test_layout_matches_simkube_exports():
    trace = synth(MIXED).trace
    assert trace.version == 2
    config = trace.config.tracked_objects
    assert config["apps/v1.Deployment"].pod_spec_template_paths == ("/spec/template",)
    assert not config["apps/v1.Deployment"].track_lifecycle
    assert config["batch/v1.Job"].track_lifecycle and config["batch/v1.Job"].skip_owned
    assert config["batch/v1.CronJob"].pod_spec_template_paths == ("/spec/jobTemplate/spec/template",)
    assert config["batch/v1.CronJob"].track_lifecycle
    assert config["v1.Pod"].pod_spec_template_paths == ("",)
    assert config["v1.Pod"].track_lifecycle and config["v1.Pod"].skip_owned

    timestamps = [event.ts for event in trace.events]
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == len(timestamps)
    assert timestamps[0] == START and timestamps[-1] == START + 6 * 3600
    assert not trace.events[-1].applied_objs and not trace.events[-1].deleted_objs
    assert {obj["kind"] for obj in trace.events[0].applied_objs} == {"Deployment", "CronJob"}

    for _, obj in applied(trace):
        assert list(obj) == ["apiVersion", "kind", "metadata", "spec"]
        meta = obj["metadata"]
        assert meta["annotations"] == {} and list(meta) == sorted(meta)
        assert meta["namespace"] in ("web", "batch") and meta["labels"]["app"]
        assert_sorted_keys(obj["spec"])
    for event in trace.events:
        for obj in event.deleted_objs:
            assert set(obj) == {"apiVersion", "kind", "metadata"}
            assert set(obj["metadata"]) == {"name", "namespace"}
    assert validate_trace(trace) == []


def test_index_holds_the_hash_of_each_objects_last_applied_spec():
    trace = synth(MIXED).trace
    last: dict[tuple[str, str], dict] = {}
    for _, obj in applied(trace):
        api = obj["apiVersion"]
        gvk = f"{api}.{obj['kind']}"
        last[(gvk, f"{obj['metadata']['namespace']}/{obj['metadata']['name']}")] = obj["spec"]
    indexed = {(gvk, key): value for gvk, entries in trace.index.items() for key, value in entries.items()}
    assert set(indexed) == set(last)
    for key, spec in last.items():
        assert indexed[key] == spec_hash(spec), key


def test_lifecycles_are_keyed_by_owner_and_the_stable_hash_of_its_pod_template():
    trace = synth(MIXED).trace
    templates = {}
    for _, obj in applied(trace):
        key = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
        if obj["kind"] == "Job":
            templates[("batch/v1.Job", key)] = obj["spec"]["template"]["spec"]
        elif obj["kind"] == "CronJob":
            templates[("batch/v1.CronJob", key)] = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif obj["kind"] == "Pod":
            templates[("v1.Pod", key)] = obj["spec"]
    assert trace.pod_lifecycles and set(trace.pod_lifecycles) <= set(templates)
    for owner, by_hash in trace.pod_lifecycles.items():
        assert list(by_hash) == [pod_spec_stable_hash(templates[owner])]
        starts = [lc.start for lc in next(iter(by_hash.values()))]
        assert starts == sorted(starts), "lifecycles must be in pod-launch order"


def test_priority_classes_are_emitted_at_the_start_and_bare_pods_are_admitted():
    text = MIXED.replace("emitPriorityClasses: false", "emitPriorityClasses: true")
    text = text.replace("runtime: {fixed: 5m}", "runtime: {fixed: 5m}\n    pod: {priorityClassName: high}")
    trace = synth(text).trace
    first = trace.events[0].applied_objs[0]
    assert first == {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                     "metadata": {"annotations": {}, "name": "high"},
                     "preemptionPolicy": "PreemptLowerPriority", "value": 1000}
    assert trace.index["scheduling.k8s.io/v1.PriorityClass"] == {"high": spec_hash(None)}
    pods = [obj for _, obj in applied(trace, "Pod")]
    assert pods and all(p["spec"]["priority"] == 1000 for p in pods)
    assert all(p["spec"]["tolerations"][0]["key"] == "node.kubernetes.io/not-ready" for p in pods)


# -- statistics and schedules -------------------------------------------------------------------


def test_poisson_job_arrivals_and_completions_match_the_spec_statistically():
    result = synth("""\
        duration: 10h
        seed: 5
        workloads:
          - name: j-{i}
            kind: Job
            count: 20
            arrivals: {poisson: {perHour: 6}}
            completions: [2, 4]
            parallelism: 4
            runtime: {fixed: 1m}
        """)
    jobs = [obj for _, obj in applied(result.trace, "Job")]
    expected = 20 * 6 * 10  # streams x rate x hours
    assert abs(len(jobs) - expected) < 4 * expected**0.5
    for job in jobs:
        owner = ("batch/v1.Job", f"default/{job['metadata']['name']}")
        (lifecycles,) = result.trace.pod_lifecycles[owner].values()
        assert len(lifecycles) == job["spec"]["completions"] or lifecycles[-1].end is None
    mean_completions = np.mean([job["spec"]["completions"] for job in jobs])
    assert 2.8 < mean_completions < 3.2
    assert result.stats.pods["Job"] == result.stats.lifecycles


def test_diurnal_poisson_rate_peaks_at_the_peak_hour():
    result = synth("""\
        duration: 24h
        seed: 8
        workloads:
          - {name: "j-{i}", kind: Job, count: 50, runtime: {fixed: 10s},
             arrivals: {poisson: {perHour: 4, peakHour: 6, amplitude: 1}}}
        """)
    hours = np.array([ts % 86400 // 3600 for ts, _ in applied(result.trace, "Job")])  # UTC hour of day
    by_hour = np.bincount(hours, minlength=24)
    assert by_hour[5:8].sum() > 10 * by_hour[17:20].sum()


def test_diurnal_replicas_peak_at_the_peak_hour_and_stay_within_bounds():
    result = synth("""\
        start: 2025-03-03T00:00:00Z
        duration: 24h
        workloads:
          - name: web
            kind: Deployment
            replicas: {diurnal: {min: 0, max: 1000, peakHour: 14, resample: 10m}}
        """)
    series = [(ts - START, obj["spec"]["replicas"]) for ts, obj in applied(result.trace, "Deployment")]
    values = [replicas for _, replicas in series]
    assert min(values) == 0 and max(values) == 1000

    def plateau_middle_hour(value):
        # Only changes are recorded: the plateau at `value` lasts until the next change.
        i = values.index(value)
        return (series[i][0] + series[i + 1][0]) / 2 / 3600

    assert abs(plateau_middle_hour(1000) - 14) <= 0.25
    assert abs(plateau_middle_hour(0) - 2) <= 0.25
    assert all(a != b for a, b in itertools.pairwise(values)), "only changes are recorded"
    assert result.stats.pods["Deployment"] == sum(max(b - a, 0) for a, b in itertools.pairwise([0, *values]))


def test_stepped_replicas_change_exactly_at_the_step_times():
    result = synth("""\
        duration: 8h
        workloads:
          - name: api-{i}
            kind: Deployment
            count: 2
            replicas: {steps: [[0s, 3], [2h, 6], [3h, 6], [5h, 1]]}
            deletedAt: 7h
        """)
    t0 = result.trace.start_ts
    series = [(ts - t0, obj["metadata"]["name"], obj["spec"]["replicas"])
              for ts, obj in applied(result.trace, "Deployment")]
    assert series == [(0, "api-0", 3), (0, "api-1", 3), (7200, "api-0", 6), (7200, "api-1", 6),
                      (18000, "api-0", 1), (18000, "api-1", 1)]
    deletions = [(e.ts - t0, o["metadata"]["name"]) for e in result.trace.events for o in e.deleted_objs]
    assert deletions == [(25200, "api-0"), (25200, "api-1")]
    assert result.stats.pods["Deployment"] == 2 * (3 + 3)


def test_cronjob_runs_follow_the_schedule():
    result = synth("""\
        duration: 6h
        podStartDelay: 2s
        workloads:
          - {name: tick, kind: CronJob, schedule: "*/15 * * * *", completions: 2, parallelism: 2,
             runtime: {uniform: [1m, 2m]}}
        """)
    (lifecycles,) = result.trace.pod_lifecycles[("batch/v1.CronJob", "default/tick")].values()
    starts = [lc.start - result.trace.start_ts - 2 for lc in lifecycles]
    # Runs strictly after creation at 00:00, every 15 minutes, until 05:45; two pods each.
    assert starts == [t for t in range(900, 6 * 3600, 900) for _ in range(2)]
    assert all(60 <= lc.duration <= 120 for lc in lifecycles)


@pytest.mark.parametrize(
    ("policy", "expected_gap", "expected_duration"),
    # Forbid: the slot missed while a run is active starts when it completes (150 s + 1 s start delay).
    [("Allow", 60, 150), ("Forbid", 151, 150), ("Replace", 60, 59)],
)
def test_cronjob_concurrency_policies(policy, expected_gap, expected_duration):
    result = synth(f"""\
        duration: 1h
        workloads:
          - {{name: slow, kind: CronJob, schedule: "* * * * *", concurrencyPolicy: {policy},
             runtime: {{fixed: 150s}}}}
        """)
    (lifecycles,) = result.trace.pod_lifecycles[("batch/v1.CronJob", "default/slow")].values()
    starts = [lc.start for lc in lifecycles]
    assert set(np.diff(starts)) == {expected_gap}
    finished = [lc.duration for lc in lifecycles if lc.end is not None]
    assert Counter(finished).most_common(1)[0][0] == expected_duration


def test_job_pods_run_in_waves_of_parallelism():
    starts, ends = job_pod_runs(100, 2, np.array([60, 30, 60, 10, 5]))
    assert starts.tolist() == [100, 100, 130, 160, 170]
    assert ends.tolist() == [160, 130, 190, 170, 175]
    # Later pods are created when one finishes and start after the pod start delay.
    starts, ends = job_pod_runs(100, 2, np.array([60, 30, 60, 10, 5]), restart_delay=2)
    assert starts.tolist() == [100, 100, 132, 162, 174]
    assert ends.tolist() == [160, 130, 192, 172, 179]


def test_pods_still_running_at_the_end_are_recorded_as_running():
    result = synth("""\
        duration: 1h
        workloads:
          - {name: long, kind: Job, arrivals: {times: [50m]}, runtime: {fixed: 20m}, completions: 2,
             parallelism: 1}
          - {name: idle, kind: Pod, createdAt: 10m}
        """)
    t0 = result.trace.start_ts
    (job,) = result.trace.pod_lifecycles[("batch/v1.Job", "default/long-0")].values()
    assert job == [PodLifecycle(t0 + 3001)]  # the second pod would start after the window
    (idle,) = result.trace.pod_lifecycles[("v1.Pod", "default/idle")].values()
    assert idle == [PodLifecycle(t0 + 601)]


def test_bare_pods_are_their_own_owners_and_are_deleted_after_their_ttl():
    trace = synth(MIXED).trace
    owners = sorted(key for gvk, key in trace.pod_lifecycles if gvk == "v1.Pod")
    assert owners == ["batch/probe-0-0", "batch/probe-0-1", "batch/probe-1-0", "batch/probe-1-1"]
    (lifecycles,) = trace.pod_lifecycles[("v1.Pod", "batch/probe-0-0")].values()
    assert lifecycles == [PodLifecycle(START + 1801, START + 1801 + 300)]
    deleted = {obj["metadata"]["name"]: event.ts
               for event in trace.events for obj in event.deleted_objs if obj["kind"] == "Pod"}
    assert deleted["probe-0-0"] == START + 1801 + 300 + 60


def test_shipped_example_is_what_its_spec_generates(tmp_path):
    root = Path(__file__).resolve().parents[2] / "scenarios"
    shipped = root / "traces" / "web-and-batch.sktrace"
    result = synthesize(parse_spec((root / "specs" / "web-and-batch.yaml").read_text(), "web-and-batch.yaml"))
    assert dumps_trace(result.trace) == shipped.read_bytes()
    assert shipped.stat().st_size < 2_000_000
    assert 40 <= sum(result.stats.workloads.values()) <= 80
    assert 2000 <= result.stats.total_pods <= 5000
    assert loads_trace(shipped.read_bytes()) == result.trace


def test_a_running_pod_deleted_ends_at_its_deletion():
    result = synth("""\
        duration: 2h
        workloads:
          - {name: worker, kind: Pod, createdAt: 10m, deletedAt: 70m}
        """)
    t0 = result.trace.start_ts
    (lifecycles,) = result.trace.pod_lifecycles[("v1.Pod", "default/worker")].values()
    assert lifecycles == [PodLifecycle(t0 + 601, t0 + 4200)]
    deleted = [(event.ts - t0, obj) for event in result.trace.events for obj in event.deleted_objs]
    assert deleted == [(4200, {"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": "worker", "namespace": "default"}})]
    (pod,) = [obj for _, obj in applied(result.trace, "Pod")]
    assert pod["spec"]["restartPolicy"] == "Always" and pod["spec"]["priority"] == 0


def test_rollouts_restart_the_template_and_replace_every_pod():
    result = synth("""\
        duration: 4h
        workloads:
          - {name: "api-{i}", kind: Deployment, count: 2, replicas: {steps: [[0s, 3], [2h, 5]]},
             rollouts: {times: [1h, 2h, 3h]}}
        """)
    t0 = result.trace.start_ts

    def restarted(obj):
        annotations = obj["spec"]["template"]["metadata"].get("annotations", {})
        return annotations.get("kubectl.kubernetes.io/restartedAt")

    versions = [(ts - t0, obj["spec"]["replicas"], restarted(obj))
                for ts, obj in applied(result.trace, "Deployment") if obj["metadata"]["name"] == "api-0"]
    assert versions == [
        (0, 3, None),
        (3600, 3, "2025-01-06T01:00:00Z"),
        (7200, 5, "2025-01-06T01:00:00Z"),  # the step first, then the rollout in the same second
        (7200, 5, "2025-01-06T02:00:00Z"),
        (10800, 5, "2025-01-06T03:00:00Z"),
    ]
    # 3 initial + 3 replaced + 2 scaled up + 5 replaced + 5 replaced, for each of the two.
    assert result.stats.pods["Deployment"] == 2 * (3 + 3 + 2 + 5 + 5)
    template = [obj for _, obj in applied(result.trace, "Deployment")][-1]["spec"]["template"]
    assert list(template["metadata"]) == ["annotations", "labels"]
