"""The JSON form: the documented layout of pod_lifecycles, determinism, and faults."""

from __future__ import annotations

import json

import pytest

from pytest_simkube.errors import TraceError
from pytest_simkube.trace import (
    PodLifecycle,
    Trace,
    TraceEvent,
    dumps_trace,
    read_trace,
    trace_from_json,
    trace_to_json,
)
from tests.conftest import SIMKUBE_TRACES, require_reference

HEADER = '{"version": 2, "config": {"trackedObjects": {}}, "events": [], "index": {}, '


def test_lifecycles_are_a_list_of_owner_hash_entries() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "cronjob.sktrace"))
    document = json.loads(trace_to_json(trace))
    assert list(document) == ["version", "config", "events", "index", "pod_lifecycles"]
    assert document["index"] == {"batch/v1.CronJob": {"default/hello-simkube": 17156035354639895998}}
    assert document["pod_lifecycles"] == [
        {
            "owner": ["batch/v1.CronJob", "default/hello-simkube"],
            "hash": "10855072724872030168",
            "lifecycles": [
                {"Finished": [1743286861, 1743286891]},
                {"Finished": [1743286921, 1743286951]},
                {"Finished": [1743286981, 1743287011]},
            ],
        }
    ]


def test_every_lifecycle_state_and_several_hashes_round_trip() -> None:
    lifecycles = {
        ("v1.Pod", "ns/a"): {2**64 - 1: [PodLifecycle(), PodLifecycle(5)], 0: [PodLifecycle(1, 2)]},
        ("apps/v1.Deployment", "ns/b"): {7: []},
    }
    trace = Trace(events=[TraceEvent(1)], pod_lifecycles=lifecycles)
    text = trace_to_json(trace)
    assert '"hash": "18446744073709551615"' in text
    assert '"Empty"' in text and '{\n          "Running": 5\n        }' in text
    again = trace_from_json(text, "t.json")
    assert again.pod_lifecycles == lifecycles
    assert dumps_trace(again) == dumps_trace(trace)


def test_output_is_deterministic_indented_utf8() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "größe", "namespace": "ü"},
        "data": {},
    }
    trace = Trace(events=[TraceEvent(10, [obj], [])])
    text = trace_to_json(trace)
    assert text == trace_to_json(trace)
    assert text.endswith("}\n") and text.startswith('{\n  "version": 2,\n')
    assert "größe" in text


def test_integer_hashes_and_simkube_empty_map_are_accepted() -> None:
    entry = '{"owner": ["v1.Pod", "a/b"], "hash": 12, "lifecycles": [{"Running": 3}]}'
    trace = trace_from_json(HEADER + f'"pod_lifecycles": [{entry}]}}', "t.json")
    assert trace.pod_lifecycles == {("v1.Pod", "a/b"): {12: [PodLifecycle(3)]}}
    assert trace_from_json(HEADER + '"pod_lifecycles": {}}', "t.json").pod_lifecycles == {}


@pytest.mark.parametrize(
    ("lifecycles", "expected"),
    [
        (
            '[{"owner": ["v1.Pod", "a/b"], "hash": "1", "lifecycles": []},'
            ' {"owner": ["v1.Pod", "a/b"], "hash": "1", "lifecycles": []}]',
            "pod_lifecycles[1]: duplicate entry",
        ),
        ('[{"owner": ["v1.Pod", "a/b"], "hash": "18446744073709551616", "lifecycles": []}]', "[0].hash"),
        ('[{"owner": ["v1.Pod", "a/b"], "hash": "-1", "lifecycles": []}]', "[0].hash"),
        (
            '[{"owner": ["Pod", "a/b"], "hash": "1", "lifecycles": []}]',
            "pod_lifecycles[0].owner[0]: malformed GVK",
        ),
        ('[{"owner": ["v1.Pod", "a/b"], "hash": "1"}]', "pod_lifecycles[0]: missing 'lifecycles'"),
        (
            '[{"owner": ["v1.Pod", "a/b"], "hash": "1", "lifecycles": [{"Finished": [1, 2**70]}]}]',
            "invalid JSON",
        ),
        (
            '[{"owner": ["v1.Pod", "a/b"], "hash": "1",'
            ' "lifecycles": [{"Finished": [1, 99999999999999999999]}]}]',
            "lifecycles[0].Finished[1]: expected a 64-bit integer",
        ),
        ("7", "pod_lifecycles: expected a list of lifecycle entries"),
    ],
)
def test_lifecycle_entry_faults(lifecycles: str, expected: str) -> None:
    with pytest.raises(TraceError) as info:
        trace_from_json(HEADER + f'"pod_lifecycles": {lifecycles}}}', "t.json")
    assert str(info.value).startswith("t.json: ")
    assert expected in str(info.value)


def test_unwritable_objects_raise_trace_error() -> None:
    trace = Trace(
        events=[TraceEvent(1, [{"apiVersion": "v1", "kind": "X", "metadata": {"name": "x"}, "b": b"1"}])]
    )
    with pytest.raises(TraceError, match="cannot be written as JSON"):
        trace_to_json(trace)
