"""Whatever a spec file holds, loading it either works or raises a located TraceError."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
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
