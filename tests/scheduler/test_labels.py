"""Label selectors: API form, string form, matching semantics and error messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_simkube.errors import ConfigError, TraceError
from pytest_simkube.kube.labels import (
    EVERYTHING,
    NOTHING,
    LabelSelectorError,
    compile_label_selector,
    label_selector_as_selector,
    parse_selector,
    selector_from_set,
)


def test_nil_selector_matches_nothing_and_empty_selector_matches_everything():
    assert not label_selector_as_selector(None).matches({})
    assert not label_selector_as_selector(None).matches({"app": "web"})
    assert label_selector_as_selector({}).matches({})
    assert label_selector_as_selector({"matchLabels": {}, "matchExpressions": []}).matches({"a": "b"})
    assert label_selector_as_selector({}).is_empty()
    assert not NOTHING.is_empty()


def test_match_labels_and_expressions_are_anded():
    sel = label_selector_as_selector({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "env", "operator": "NotIn", "values": ["prod"]},
            {"key": "team", "operator": "Exists"},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    })
    good = {"app": "web", "tier": "b", "team": "x"}
    assert sel.matches(good)
    assert sel.matches({**good, "env": "dev"})
    assert not sel.matches({**good, "env": "prod"})
    assert not sel.matches({**good, "canary": "1"})
    assert not sel.matches({**good, "tier": "c"})
    assert not sel.matches({k: v for k, v in good.items() if k != "team"})
    assert not sel.matches({**good, "app": "db"})


def test_not_in_matches_objects_without_the_key():
    sel = label_selector_as_selector({"matchExpressions": [{"key": "env", "operator": "NotIn",
                                                            "values": ["prod"]}]})
    assert sel.matches({})
    assert parse_selector("env!=prod").matches({})


def test_string_syntax_round_trip_and_sorted_output():
    sel = parse_selector("app=web,tier in (b,a),!canary,env!=prod,team")
    assert str(sel) == "app=web,!canary,env!=prod,team,tier in (a,b)"
    assert parse_selector(str(sel)) == sel
    assert sel.matches({"app": "web", "tier": "a", "team": "t"})
    assert not sel.matches({"app": "web", "tier": "a", "team": "t", "canary": ""})


def test_string_syntax_edge_cases_follow_upstream():
    assert parse_selector("") is EVERYTHING
    assert parse_selector("x=").matches({"x": ""})
    assert not parse_selector("x=").matches({})
    assert parse_selector("x==1").matches({"x": "1"})
    assert parse_selector("x notin (a)").matches({"x": "b"})
    assert parse_selector("x in ()").matches({"x": ""})
    assert parse_selector("replicas>2").matches({"replicas": "3"})
    assert not parse_selector("replicas>2").matches({"replicas": "2"})
    assert not parse_selector("replicas<2").matches({"replicas": "abc"})
    assert parse_selector("example.com/role=db").matches({"example.com/role": "db"})


@pytest.mark.parametrize(("text", "fragment"), [
    ("a in b", "found 'b' at column 6, expected '('"),
    ("=x", "expected a label key"),
    ("a,,b", "found ',' at column 3"),
    ("a in (b", "found end of string"),
    ("a b", "found 'b' at column 3"),
    ("a=b=c", "found '=' at column 4, expected ',' or end of string"),
    ("x>a", "must be an integer"),
    ("-bad=1", "name part must consist of alphanumeric"),
    ("a=" + "v" * 64, "at most 63 characters"),
    ("Example.com/x=1", "prefix part must be a lowercase DNS subdomain"),
])
def test_string_syntax_errors_name_the_problem(text, fragment):
    with pytest.raises(LabelSelectorError) as info:
        parse_selector(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize(("selector", "subpath", "fragment"), [
    ({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
     "matchExpressions[0].operator", "'Gt' is not a valid label selector operator"),
    ({"matchExpressions": [{"key": "a", "operator": "In"}]},
     "matchExpressions[0].values", "values set can't be empty"),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
     "matchExpressions[0].values", "values set must be empty"),
    ({"matchLabels": {"app": "we b"}}, "matchLabels.app", "invalid label value"),
    ({"matchLabels": {"a/b/c": "x"}}, "matchLabels.a/b/c.key", "invalid label key"),
    ({"matchExpressions": "oops"}, "matchExpressions", "must be a list"),
    ({"matchLabel": {"a": "b"}}, "matchLabel", "unknown field"),
])
def test_api_selector_errors_name_the_field(selector, subpath, fragment):
    with pytest.raises(LabelSelectorError) as info:
        label_selector_as_selector(selector)
    assert info.value.subpath == subpath
    assert fragment in info.value.problem


def test_compile_label_selector_names_file_and_path():
    with pytest.raises(TraceError) as info:
        compile_label_selector({"matchExpressions": [{"key": "a", "operator": "In"}]},
                               error_type=TraceError, source="t.msgpack",
                               where="events[1].applied_objs[0].spec.selector")
    assert str(info.value) == ("t.msgpack: events[1].applied_objs[0].spec.selector.matchExpressions[0]"
                               ".values: for 'in', 'notin' operators, values set can't be empty")
    ok = compile_label_selector({"matchLabels": {"a": "b"}}, error_type=ConfigError, source="f", where="w")
    assert ok.matches({"a": "b"})


def test_selector_from_set_and_add():
    assert selector_from_set({}) is EVERYTHING
    svc = selector_from_set({"app": "web"})
    rs = label_selector_as_selector(
        {"matchExpressions": [{"key": "pod-template-hash", "operator": "Exists"}]})
    merged = svc.add(*rs.requirements)
    assert merged.matches({"app": "web", "pod-template-hash": "x"})
    assert not merged.matches({"app": "web"})
    assert NOTHING.add(*rs.requirements) is NOTHING


_label_key = st.sampled_from(["app", "tier", "env", "example.com/team"])
_label_value = st.sampled_from(["a", "b", "c", ""])


@given(labels=st.dictionaries(_label_key, _label_value),
       key=_label_key, values=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3))
def test_in_and_notin_are_complements_and_string_form_agrees(labels, key, values):
    api_in = label_selector_as_selector({"matchExpressions": [{"key": key, "operator": "In",
                                                               "values": values}]})
    api_notin = label_selector_as_selector({"matchExpressions": [{"key": key, "operator": "NotIn",
                                                                  "values": values}]})
    assert api_in.matches(labels) != api_notin.matches(labels)
    assert api_in.matches(labels) == (labels.get(key) in values)
    assert parse_selector(str(api_in)).matches(labels) == api_in.matches(labels)
    assert parse_selector(str(api_notin)).matches(labels) == api_notin.matches(labels)
