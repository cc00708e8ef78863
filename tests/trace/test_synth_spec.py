"""The workload spec loader: every bad input names the file, the line and the key."""

from __future__ import annotations

import textwrap

import pytest

from pytest_simkube.errors import TraceError
from pytest_simkube.trace.synth import load_spec, parse_spec, spec_from_dict
from pytest_simkube.trace.synth.spec import DiurnalReplicas, FixedReplicas, SteppedReplicas

BASE = """\
duration: 6h
workloads:
  - name: web-{i}
    kind: Deployment
    count: 3
    replicas: 2
"""


def spec_error(text: str) -> TraceError:
    with pytest.raises(TraceError) as info:
        parse_spec(textwrap.dedent(text), "spec.yaml")
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ("duraton: 6h\nworkloads: []\n", 1, "duraton", "did you mean 'duration'"),
        (BASE.replace("count: 3", "count: ten"), 5, "workloads[0].count", "expected an integer"),
        (BASE.replace("duration: 6h", "duration: 6x"), 1, "duration", "invalid duration"),
        (BASE.replace("duration: 6h", "duration: -1h"), 1, "duration", "negative"),
        (BASE + "    pod: {resources: {requests: {cpu: 12zz}}}\n", 7,
         "workloads[0].pod.resources.requests.cpu", "invalid quantity"),
        (BASE + "    pod: {resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}}\n", 7,
         "workloads[0].pod.resources.requests.cpu", "must be less than or equal to the cpu limit"),
        (BASE.replace("replicas: 2", "replicas: {diurnal: {min: 1, max: 3, peakHuor: 4}}"), 6,
         "workloads[0].replicas.diurnal.peakHuor", "did you mean 'peakHour'"),
        (BASE.replace("replicas: 2", "replicas: {diurnal: {min: 5, max: 3, peakHour: 4}}"), 6,
         "workloads[0].replicas.diurnal.max", "must be >= min"),
        (BASE.replace("replicas: 2", "replicas: {steps: [[0s, 1], [2h, 3], [1h, 2]]}"), 6,
         "workloads[0].replicas.steps[2][0]", "step times must increase"),
        (BASE.replace("replicas: 2", "replicas: {steps: [[1h, 1]]}"), 6,
         "workloads[0].replicas.steps", "first step"),
        (BASE.replace("count: 3", "count: 3\n    count: 4"), 6, "workloads[0].count",
         "duplicate key 'count'"),
        (BASE.replace("web-{i}", "web"), 3, "workloads[0].name", "needs an {i} placeholder"),
        (BASE.replace("web-{i}", "web-{j}"), 3, "workloads[0].name", "unknown placeholder {j}"),
        (BASE.replace("web-{i}", "Web_{i}"), 3, "workloads[0].name", "lower case alphanumeric"),
        (BASE + "    labels: {team: '{name}-owned-by-a-team-with-a-very-long-name-that-goes-well-past-63'}\n",
         7,
         "workloads[0].labels", "at most 63 characters"),
        (BASE + "    pod: {priorityClassName: gold}\n", 7, "workloads[0].pod.priorityClassName",
         "'gold' is not defined"),
        ("namespaces: [web]\n" + BASE + "    namespace: batch\n", 8, "workloads[0].namespace",
         "not declared in 'namespaces'"),
        (BASE + "    schedule: '* * * * *'\n", 7, "workloads[0].schedule", "unknown key 'schedule'"),
        (BASE.replace("kind: Deployment", "kind: StatefulSet"), 4, "workloads[0].kind",
         "expected one of Deployment, Job, CronJob, Pod"),
        (BASE.replace("    kind: Deployment\n", ""), 3, "workloads[0]", "missing required key 'kind'"),
        (BASE.replace("    replicas: 2\n", ""), 3, "workloads[0]", "missing required key 'replicas'"),
        (BASE + "  - {name: 'web-{i}', kind: Deployment, count: 1, replicas: 1}\n", 7, "workloads[1]",
         "Deployment default/web-0 is generated twice"),
        (BASE + "    pod: {tolerations: [{key: a, operator: Equals}]}\n", 7,
         "workloads[0].pod.tolerations[0].operator", "expected one of Exists, Equal"),
        (BASE + "    pod: {topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone}]}\n", 7,
         "workloads[0].pod.topologySpreadConstraints[0]", "missing required key 'whenUnsatisfiable'"),
        (BASE + "    pod: {affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
                "[{labelSelector: {matchLabels: {app: x}}}]}}}\n", 7,
         "workloads[0].pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]",
         "missing required key 'topologyKey'"),
        (BASE + "    pod: {affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: "
                "[{weight: 101, preference: {}}]}}}\n", 7,
         "workloads[0].pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
         "must be <= 100"),
        ("duration: 1h\nworkloads:\n"
         "  - {name: c, kind: CronJob, schedule: '61 * * * *', runtime: {fixed: 1m}}\n",
         3, "workloads[0].schedule", "above maximum (59)"),
        ("duration: 1h\nworkloads:\n  - {name: c, kind: CronJob, schedule: '* * *', runtime: {fixed: 1m}}\n",
         3, "workloads[0].schedule", "expected exactly 5 fields"),
        ("duration: 1h\nworkloads:\n  - {name: j, kind: Job, arrivals: {times: [1m]}, runtime: {gamma: 1}}\n",
         3, "workloads[0].runtime.gamma", "unknown key 'gamma'"),
        ("duration: 1h\nworkloads:\n  - {name: j, kind: Job, arrivals: {poisson: {perHour: -1}}, "
         "runtime: {fixed: 1m}}\n", 3, "workloads[0].arrivals.poisson.perHour", "must be >= 0"),
        ("duration: 1h\nworkloads:\n  - {name: p, kind: Pod, createdAt: 2h}\n", 3, "workloads[0].createdAt",
         "must be before the end of the trace"),
        ("duration: 1h\nworkloads:\n  - {name: p, kind: Pod, createdAt: 1m, arrivals: {times: [1m]}}\n", 3,
         "workloads[0].createdAt", "with 'arrivals' use arrivals.from"),
        ("duration: 1h\nstart: yesterday\nworkloads: []\n", 2, "start", "not an RFC 3339 timestamp"),
        ("duration: 1h\npriorityClasses: [{name: a, value: 1, globalDefault: true}, "
         "{name: b, value: 2, globalDefault: true}]\nworkloads: []\n", 2, "priorityClasses",
         "only one priority class may be globalDefault"),
    ],
)
def test_bad_spec_names_file_line_and_key(text, line, key, message):
    error = spec_error(text)
    assert error.source == "spec.yaml"
    assert error.where == f"line {line}, key '{key}'"
    assert message in error.message
    assert str(error).startswith(f"spec.yaml: line {line}, key '{key}': ")


def test_yaml_syntax_error_gives_line_and_column():
    error = spec_error("duration: 6h\nworkloads: [\n  - a: b\n")
    assert error.source == "spec.yaml"
    assert error.where.startswith("line 3, column")
    assert "invalid YAML" in error.message


def test_empty_and_non_mapping_documents():
    assert "empty" in spec_error("").message
    assert spec_error("- a\n- b\n").message == "expected a mapping, got a list"


def test_missing_file_is_a_trace_error(tmp_path):
    with pytest.raises(TraceError) as info:
        load_spec(tmp_path / "absent.yaml")
    assert info.value.source.endswith("absent.yaml")
    assert "no such file" in info.value.message


def test_merge_keys_share_templates_and_explicit_keys_win():
    spec = parse_spec(textwrap.dedent("""\
        duration: 2h
        workloads:
          - &web {name: "web-{i}", kind: Deployment, count: 2, replicas: 3}
          - {<<: *web, name: "api-{i}", replicas: 5}
        """), "spec.yaml")
    web, api = spec.workloads
    assert web.replicas == FixedReplicas(3) and web.count == 2
    assert api.replicas == FixedReplicas(5) and api.count == 2
    assert api.workload_name(1) == "api-1"


def test_a_full_spec_loads_into_typed_values():
    spec = parse_spec(textwrap.dedent("""\
        start: 2025-03-03T06:00:00Z
        duration: 90m
        seed: 9
        podStartDelay: 3s
        namespaces: [a, b]
        priorityClasses: [{name: hi, value: 100, preemptionPolicy: Never}]
        workloads:
          - name: w-{i:02d}
            kind: Deployment
            count: 4
            namespace: [a, b]
            replicas: {diurnal: {min: 1, max: 9, peakHour: 13.5, noise: 0.2, resample: 5m, peakJitter: 1h}}
            pod:
              priorityClassName: hi
              resources: {shapes: [{weight: 2, requests: {cpu: 1}}, {requests: {memory: 1Gi}}]}
          - {name: s, kind: Deployment, namespace: b, replicas: {steps: [[0s, 1], [1h, 4]]}}
        """), "spec.yaml")
    assert spec.start_ts == 1740981600 and spec.duration == 5400 and spec.end_ts == 1740987000
    assert spec.seed == 9 and spec.pod_start_delay == 3 and spec.namespaces == ("a", "b")
    web, steps = spec.workloads
    assert web.replicas == DiurnalReplicas(1, 9, 13.5, 0.2, 300, 3600)
    assert [web.workload_name(i) for i in range(4)] == ["w-00", "w-01", "w-02", "w-03"]
    assert [web.namespace(i) for i in range(4)] == ["a", "b", "a", "b"]
    assert [s.weight for s in web.pod.shapes] == [2.0, 1.0]
    assert web.pod.shapes[0].requests == {"cpu": "1"}
    assert steps.replicas == SteppedReplicas(((0, 1), (3600, 4)))
    assert spec.priority_classes[0].preemption_policy == "Never"


def test_specs_built_in_code_get_the_same_checks():
    spec = spec_from_dict({"duration": "1h", "workloads": [{"name": "a", "kind": "Pod"}]})
    assert spec.workloads[0].kind == "Pod" and spec.duration == 3600
    with pytest.raises(TraceError) as info:
        spec_from_dict({"duration": "1h", "workloads": [{"name": "a", "kind": "Pod", "cont": 2}]}, "<test>")
    assert info.value.source == "<test>"
    assert "key 'workloads[0].cont'" in info.value.where and "did you mean 'count'" in info.value.message
