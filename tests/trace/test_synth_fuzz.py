"""Whatever a spec file holds, loading it either works or raises a located TraceError."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_simkube.errors import TraceError
from pytest_simkube.trace.synth import parse_spec, synthesize

VALID = {
    "start": "2025-03-03T00:00:00Z",
    "duration": "2h",
    "seed": 3,
    "priorityClasses": [{"name": "hi", "value": 10}],
    "workloads": [
        {"name": "web-{i}", "kind": "Deployment", "count": 2,
         "replicas": {"diurnal": {"min": 1, "max": 4, "peakHour": 1, "noise": 0.1, "resample": "10m"}},
         "pod": {"priorityClassName": "hi", "resources": {"requests": {"cpu": "100m"}},
                 "tolerations": [{"key": "a", "operator": "Exists", "effect": "NoSchedule"}]}},
        {"name": "job-{i}", "kind": "Job", "arrivals": {"poisson": {"perHour": 3}},
         "runtime": {"lognormal": {"median": "2m", "sigma": 0.5}}, "completions": [1, 2]},
        {"name": "tick", "kind": "CronJob", "schedule": "*/10 * * * *", "runtime": {"fixed": "30s"}},
        {"name": "p", "kind": "Pod", "createdAt": "5m", "runtime": {"uniform": ["1m", "2m"]}},
    ],
}

scalars = st.one_of(
    # Numbers stay small: a valid spec asking for a million workloads is slow, not wrong.
    st.none(), st.booleans(), st.integers(-5, 50), st.floats(-5, 50),
    st.sampled_from([float("nan"), float("inf")]),
    st.sampled_from(["", "1h", "-5m", "10x", "250m", "1Gi", "{i}", "{nope}", "* * * * *", "Exists",
                     "Deployment", "CronJob", "web-{i:03d}", "UPPER", "a" * 300]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, item in node.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from paths(item, (*prefix, index))


ALL_PATHS = [p for p in paths(VALID) if p]


def replaced(document, path, value):
    import copy

    result = copy.deepcopy(document)
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), value=values)
@example(path=("duration",), value=1.76e13)  # once made the generator allocate 218 GiB
@example(path=("workloads", 1, "arrivals", "poisson", "perHour"), value=1e12)
def test_any_single_value_change_loads_or_fails_with_a_location(path, value):
    text = yaml.safe_dump(replaced(VALID, path, value), sort_keys=False)
    try:
        spec = parse_spec(text, "fuzz.yaml")
    except TraceError as error:
        assert error.source == "fuzz.yaml"
        assert error.where and error.where.startswith("line ")
        return
    synthesize(spec)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_escapes_as_another_exception(text):
    try:
        parse_spec(text, "fuzz.yaml")
    except TraceError as error:
        assert error.source == "fuzz.yaml"


def test_the_absurd_duration_once_found_by_fuzzing_is_a_located_error():
    # duration 1.76e13 s with a 10-minute diurnal resample once made the generator allocate 218 GiB.
    text = yaml.safe_dump(replaced(VALID, ("duration",), 1.76e13), sort_keys=False)
    with pytest.raises(TraceError) as caught:
        parse_spec(text, "fuzz.yaml")
    assert caught.value.where == "line 2, key 'duration'"
    assert "limit of 31622400s" in caught.value.message


@pytest.mark.parametrize(("path", "value", "key", "limit"), [
    (("workloads", 0, "count"), 10_001, "workloads[0].count", "<= 10000"),
    (("workloads", 0, "replicas"), 100_001, "workloads[0].replicas", "<= 100000"),
    (("workloads", 0, "replicas", "diurnal", "max"), 10**9, "workloads[0].replicas.diurnal.max", "<= 100000"),
    (("workloads", 1, "completions"), [1, 10**6], "workloads[1].completions[1]", "<= 10000"),
    (("workloads", 1, "arrivals", "poisson", "perHour"), 1e9, "workloads[1].arrivals.poisson.perHour",
     "<= 1000000"),
    # Allowed one by one, too many together: a 1-second resample on 2 workloads for 2 h is fine,
    # for 366 days it is not.
    (("workloads", 0, "replicas", "diurnal", "resample"), "1s", None, None),
])
def test_sizes_beyond_the_limits_are_located_errors(path, value, key, limit):
    document = replaced(VALID, path, value)
    if key is None:
        synthesize(parse_spec(yaml.safe_dump(document, sort_keys=False), "fuzz.yaml"))
        document = replaced(document, ("duration",), "8784h")
        key, limit = "workloads[0].replicas.diurnal.resample", "limit of 10,000,000"
    with pytest.raises(TraceError) as caught:
        parse_spec(yaml.safe_dump(document, sort_keys=False), "fuzz.yaml")
    assert caught.value.where.startswith("line ") and caught.value.where.endswith(f"key '{key}'")
    assert limit in caught.value.message


@pytest.mark.parametrize(("schedule", "allowed"), [("* * * * *", 18), ("@every 1s", 0)])
def test_cron_runs_over_the_trace_count_towards_the_limit(schedule, allowed):
    # Every minute for a year is 527k runs: 18 copies fit in 10M time points, 19 do not.
    document = replaced(replaced(VALID, ("duration",), "8784h"), ("workloads", 2, "schedule"), schedule)
    document["workloads"] = [document["workloads"][2]]
    document["workloads"][0]["name"] = "tick-{i}"
    if allowed:
        document["workloads"][0]["count"] = allowed
        parse_spec(yaml.safe_dump(document, sort_keys=False), "fuzz.yaml")
    document["workloads"][0]["count"] = allowed + 1
    with pytest.raises(TraceError) as caught:
        parse_spec(yaml.safe_dump(document, sort_keys=False), "fuzz.yaml")
    assert caught.value.where.endswith("key 'workloads[0].schedule'")
    assert "limit of 10,000,000" in caught.value.message
