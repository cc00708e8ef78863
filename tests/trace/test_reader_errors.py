"""Bad input: every problem is a TraceError naming the file, the path inside it and the fault."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import pytest

from pytest_simkube.errors import TraceError
from pytest_simkube.trace import loads_trace, read_trace, trace_from_json
from tests.conftest import SIMKUBE_TRACES, require_reference


def _cronjob_raw() -> dict[str, Any]:
    data = require_reference(SIMKUBE_TRACES / "cronjob.sktrace").read_bytes()
    return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=False)


def _thaw(value: Any) -> Any:
    """Tuples to lists (except in map keys) so tests can edit a decoded trace."""
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _mutated(edit: Callable[[dict[str, Any]], None]) -> bytes:
    raw = _thaw(copy.deepcopy(_cronjob_raw()))
    edit(raw)
    return msgpack.packb(raw, use_bin_type=True)


def _set(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets raw[path[0]][path[1]]... to ``value``."""

    def edit(raw: dict[str, Any]) -> None:
        node: Any = raw
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def _delete(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        node: Any = raw
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return edit


STRUCTURAL_CASES = [
    (
        _delete("events", 1, "applied_objs", 0, "metadata", "name"),
        "events[1].applied_objs[0].metadata: missing 'name'",
    ),
    (
        _set("events", 1, "applied_objs", 0, "metadata", value="x"),
        "events[1].applied_objs[0].metadata: expected a map, got string",
    ),
    (_delete("events", 1, "applied_objs", 0, "kind"), "events[1].applied_objs[0]: missing 'kind'"),
    (
        _set("events", 2, "deleted_objs", 0, value=7),
        "events[2].deleted_objs[0]: expected a Kubernetes object (map), got integer",
    ),
    (
        _set("events", 1, "applied_objs", 0, "metadata", "namespace", value=3),
        "events[1].applied_objs[0].metadata.namespace",
    ),
    (_set("events", 0, "ts", value="noon"), "events[0].ts: expected a 64-bit integer"),
    (_set("events", 2, "ts", value=5), "events[2].ts: 5 is earlier than the previous event's 1743286823"),
    (_delete("events", 1, "deleted_objs"), "events[1]: missing 'deleted_objs'"),
    (
        _set("events", 1, "applied_objs", value={}),
        "events[1].applied_objs: expected an array of objects, got map",
    ),
    (_set("events", value=None), "events: expected an array of events, got nil"),
    (
        _set("events", 1, "applied_objs", 0, "spec", "schedule", value=b"\x00\x01"),
        "events[1].applied_objs[0].spec.schedule: binary value is not allowed",
    ),
    (
        _set("events", 1, "applied_objs", 0, "spec", "suspend", value=float("nan")),
        "events[1].applied_objs[0].spec.suspend: nan",
    ),
    (_set("version", value=9), "version: unsupported trace version 9"),
    (_set("version", value="2"), "version: expected an integer, got string"),
    (_delete("version"), "missing 'version'"),
    (_delete("index"), "missing 'index'"),
    (
        _set("config", "trackedObjects", "batch/v1.CronJob", value={"trackLifecycle": "yes"}),
        "trackLifecycle: expected true or false",
    ),
    (_set("config", "trackedObjects", "batch/v1.CronJob", value={"bogus": 1}), "unknown key 'bogus'"),
    (
        _set("config", "trackedObjects", "batch/v1.CronJob", value={"podSpecTemplatePaths": "/spec"}),
        "podSpecTemplatePaths: expected an array of strings, got string",
    ),
    (
        _set("config", "trackedObjects", "a/b/c.D", value={}),
        "config.trackedObjects['a/b/c.D']: malformed GVK",
    ),
    (_set("config", "extra", value=1), "config: unknown key 'extra'"),
    (
        _set("index", "batch/v1.CronJob", "default/hello-simkube", value=-1),
        "expected an unsigned 64-bit integer hash, got -1",
    ),
    (_set("index", "batch/v1.CronJob", value=[1]), "index['batch/v1.CronJob']: expected a map, got array"),
    (_set("pod_lifecycles", value=[]), "pod_lifecycles: expected a map, got array"),
]


@pytest.mark.parametrize(("edit", "expected"), STRUCTURAL_CASES, ids=[c[1][:40] for c in STRUCTURAL_CASES])
def test_structural_faults_name_the_path(edit: Callable[[dict[str, Any]], None], expected: str) -> None:
    with pytest.raises(TraceError) as info:
        loads_trace(_mutated(edit), "broken.sktrace")
    assert str(info.value).startswith("broken.sktrace: ")
    assert expected in str(info.value)


def _lifecycle_trace(lifecycle: Any, owner: Any = ("batch/v1.CronJob", "default/hello-simkube")) -> bytes:
    raw = _thaw(_cronjob_raw())
    raw["pod_lifecycles"] = {owner: {123: [lifecycle]}}
    return msgpack.packb(raw, use_bin_type=True)


@pytest.mark.parametrize(
    ("lifecycle", "expected"),
    [
        (
            {"Stopped": 1},
            "pod_lifecycles[('batch/v1.CronJob', 'default/hello-simkube')][123][0]: expected \"Empty\"",
        ),
        ({"Finished": [1]}, "[123][0].Finished: expected [start, end]"),
        ({"Running": "soon"}, "[123][0].Running: expected a 64-bit integer"),
        ({"Finished": [1, 2**63]}, "[123][0].Finished[1]: expected a 64-bit integer"),
    ],
)
def test_bad_lifecycles(lifecycle: Any, expected: str) -> None:
    with pytest.raises(TraceError, match=None) as info:
        loads_trace(_lifecycle_trace(lifecycle), "lc.sktrace")
    assert expected in str(info.value)


def test_lifecycle_variants_all_load() -> None:
    for lifecycle in ("Empty", {"Running": 5}, {"Finished": [5, 9]}):
        trace = loads_trace(_lifecycle_trace(lifecycle))
        (only,) = trace.pod_lifecycles[("batch/v1.CronJob", "default/hello-simkube")][123]
        assert only.state == (lifecycle if isinstance(lifecycle, str) else next(iter(lifecycle)))


def test_lifecycle_owner_must_be_a_pair() -> None:
    with pytest.raises(TraceError, match=r"pod_lifecycles\['default/x'\]: key must be an \[owner GVK"):
        loads_trace(_lifecycle_trace("Empty", owner="default/x"))


def test_container_level_faults() -> None:
    good = require_reference(SIMKUBE_TRACES / "cronjob.sktrace").read_bytes()
    cases = {
        good[: len(good) // 2]: "truncated msgpack",
        good + b"\x00": "trailing bytes",
        b"": "empty file",
        b"\x05": "not a SimKube trace: starts with byte 0x05",
        b"\xc1": "not a SimKube trace",
        # A map declaring 4 billion entries in a 5-byte file must fail fast, not allocate.
        b"\xdf\xff\xff\xff\xff": "truncated msgpack",
        b"\xdd\xff\xff\xff\xff": "invalid msgpack",
        b"\x81\xa7version\xd4\x01\x00": "extension type 1 is not allowed",
        msgpack.packb([1, 2, 3]): "got 3 elements",
        msgpack.packb({"version": 1}): "pre-2.0 traces are a 4-element array",
        msgpack.packb({1: 2}): "top-level key 1 is not a string",
    }
    for data, expected in cases.items():
        with pytest.raises(TraceError) as info:
            loads_trace(data, "f.sktrace")
        assert expected in str(info.value), (data[:10], str(info.value))


def test_non_utf8_string_is_a_trace_error() -> None:
    data = _mutated(_set("events", 1, "applied_objs", 0, "metadata", "name", value="hello-simkube"))
    corrupted = data.replace(b"\xadhello-simkube", b"\xadhello-\xffimkube", 1)
    assert corrupted != data
    with pytest.raises(TraceError, match="not valid UTF-8"):
        loads_trace(corrupted, "utf.sktrace")


def test_integer_map_keys_inside_objects_are_refused() -> None:
    with pytest.raises(TraceError, match="events: invalid msgpack"):
        loads_trace(_mutated(_set("events", 1, "applied_objs", 0, "spec", value={1: "x"})), "k.sktrace")


def test_read_trace_file_problems(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"missing\.sktrace: no such file"):
        read_trace(tmp_path / "missing.sktrace")
    with pytest.raises(TraceError, match="is a directory"):
        read_trace(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"version": 2,', "line 1, column 15: invalid JSON"),
        ("[1, 2]", "expected a JSON object at the top level"),
        ('{"version": NaN}', "NaN is not a JSON number"),
        (
            '{"version": 2, "config": {"trackedObjects": {}}, "events": [], "index": {},'
            ' "pod_lifecycles": {"a": 1}}',
            "pod_lifecycles: a JSON map cannot hold pod lifecycles",
        ),
        (
            '{"version": 2, "config": {"trackedObjects": {}}, "events": [], "index": {},'
            ' "pod_lifecycles": [{"owner": ["v1.Pod", "a/b"], "hash": "x1", "lifecycles": []}]}',
            "pod_lifecycles[0].hash: expected a decimal string",
        ),
        (
            '{"version": 2, "config": {"trackedObjects": {}}, "events": [], "index": {},'
            ' "pod_lifecycles": [{"owner": ["v1.Pod"], "hash": "1", "lifecycles": []}]}',
            "pod_lifecycles[0].owner: expected [owner GVK",
        ),
    ],
)
def test_json_form_faults(text: str, expected: str) -> None:
    with pytest.raises(TraceError) as info:
        trace_from_json(text, "t.json")
    assert str(info.value).startswith("t.json: ")
    assert expected in str(info.value)


def test_json_suffix_and_content_decide_the_parser(tmp_path: Path) -> None:
    msgpack_named_json = tmp_path / "really-msgpack.json"
    msgpack_named_json.write_bytes(require_reference(SIMKUBE_TRACES / "cronjob.sktrace").read_bytes())
    assert read_trace(msgpack_named_json).index
    broken_json = tmp_path / "broken.json"
    broken_json.write_text('["not", "an", "object"]')
    with pytest.raises(TraceError, match="expected a JSON object at the top level"):
        read_trace(broken_json)
    with_bom = tmp_path / "bom.trace"
    with_bom.write_bytes(b"\xef\xbb\xbf" + (SIMKUBE_TRACES / "trace-fixture.json").read_bytes())
    assert read_trace(with_bom).events


# 0x67C40000, 0x67CA7F80 and 0x67CBFFF0 hold "c4 00", "ca 7f 80" and "cb ff f0": the bytes of
# an empty binary and NaN float headers. As timestamps they must neither fail nor cost a deep check.
FLOAT_LOOKING_TIMESTAMPS = [0x67C40000, 0x67CA7F80, 0x67CBFFF0]


def _trace_at(timestamps: list[int], spec_value: object) -> bytes:
    def edit(raw: dict[str, Any]) -> None:
        events = raw["events"]
        template = events[1]
        events[:] = [
            {**template, "ts": ts, "applied_objs": [copy.deepcopy(template["applied_objs"][0])]}
            for ts in timestamps
        ]
        events[-1]["applied_objs"][0]["spec"]["extra"] = spec_value
        raw["events"] = events

    return _mutated(edit)


def test_timestamps_that_look_like_floats_are_not_suspects(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_simkube.trace.reader import _TraceDecoder

    checked: list[str] = []
    original = _TraceDecoder._check_json_values

    def counting(self: _TraceDecoder, value: Any, where: str) -> None:
        checked.append(where)
        original(self, value, where)

    monkeypatch.setattr(_TraceDecoder, "_check_json_values", counting)
    trace = loads_trace(_trace_at(FLOAT_LOOKING_TIMESTAMPS, 0.5), "ts.sktrace")
    assert [e.ts for e in trace.events] == FLOAT_LOOKING_TIMESTAMPS
    assert checked == []


@pytest.mark.parametrize("bad", [float("nan"), float("-inf"), b""])
def test_non_json_values_next_to_float_looking_timestamps_are_found(bad: object) -> None:
    with pytest.raises(TraceError) as info:
        loads_trace(_trace_at(FLOAT_LOOKING_TIMESTAMPS, bad), "ts.sktrace")
    assert "ts.sktrace: events[2].applied_objs[0].spec.extra: " in str(info.value)


def test_events_of_the_wrong_type_are_named_even_with_float_looking_bytes() -> None:
    data = _mutated(_set("events", value={"ts": 0x67CA7F80}))
    with pytest.raises(TraceError, match="events: expected an array of events, got map"):
        loads_trace(data, "e.sktrace")


def test_map_used_as_a_map_key_is_a_trace_error() -> None:
    raw = _thaw(_cronjob_raw())
    del raw["pod_lifecycles"]
    body = msgpack.packb(raw, use_bin_type=True)
    # Re-open the map with one more entry: pod_lifecycles whose only key is itself a map.
    lifecycles = b"\x81" + msgpack.packb({"a": 1}) + msgpack.packb({})
    data = b"\x85" + body[1:] + msgpack.packb("pod_lifecycles") + lifecycles
    with pytest.raises(TraceError, match=r"k\.sktrace: pod_lifecycles: invalid msgpack: unhashable"):
        loads_trace(data, "k.sktrace")
