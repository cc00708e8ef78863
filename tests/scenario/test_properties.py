"""Properties: Go durations round-trip; strategic merge is idempotent and never mutates its input."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simkube.kube.duration import format_duration, parse_duration
from pytest_simkube.scenario import strategic_merge
from tests.scenario.scenario_files import deployment


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_durations_round_trip_through_go_string_form(nanos):
    seconds = nanos / 1e9
    assert abs(parse_duration(format_duration(seconds)) - seconds) <= 1e-9 * max(1.0, seconds)


NAMES = st.sampled_from(["app", "envoy", "new1", "new2"])
ENV = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["MODE", "LOG", "X"]), "value": st.sampled_from(["a", "b"])}
    ),
    max_size=3,
    unique_by=lambda e: e["name"],
)
CONTAINER = st.one_of(
    st.fixed_dictionaries(
        {"name": NAMES},
        optional={
            "image": st.sampled_from(["i:1", "i:2"]),
            "env": ENV,
            "resources": st.just({"requests": {"cpu": "2"}}),
        },
    ),
    st.fixed_dictionaries({"name": NAMES, "$patch": st.just("delete")}),
)
PATCH = st.fixed_dictionaries(
    {},
    optional={
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "replicas": st.integers(0, 9),
                "template": st.fixed_dictionaries(
                    {
                        "spec": st.fixed_dictionaries(
                            {},
                            optional={
                                "containers": st.lists(CONTAINER, max_size=4, unique_by=lambda c: c["name"]),
                                "tolerations": st.just([{"key": "spot", "operator": "Exists"}]),
                            },
                        )
                    }
                ),
            },
        ),
        "metadata": st.fixed_dictionaries({}, optional={"labels": st.just({"tier": "web", "app": None})}),
    },
)


@settings(max_examples=100, deadline=None)
@given(PATCH)
def test_strategic_merge_is_idempotent_and_pure(patch):
    original = deployment("checkout", "shop", 3)
    before = copy.deepcopy(original)
    patch_before = copy.deepcopy(patch)
    once = strategic_merge(original, patch, "Deployment")
    assert strategic_merge(once, patch, "Deployment") == once
    assert original == before and patch == patch_before
    names = [c["name"] for c in once["spec"]["template"]["spec"]["containers"]]
    assert len(names) == len(set(names))
