"""The JSON form of a trace: readable and diffable, and lossless.

Plain JSON cannot hold SimKube's ``pod_lifecycles`` (its keys are ``[gvk, "ns/name"]``
arrays and u64 integers), which is why SimKube's own JSON fixtures leave it empty. The
JSON form keeps every other field exactly as the msgpack v2 layout and writes
``pod_lifecycles`` as a list of entries::

    {"owner": ["batch/v1.CronJob", "default/hello-simkube"],
     "hash": "10855072724872030168",
     "lifecycles": [{"Finished": [1743286861, 1743286891]}, {"Running": 1743286921}, "Empty"]}

``hash`` is a decimal string because u64 values above 2^53 lose precision in JavaScript
and many JSON tools. Reading also accepts SimKube's fixture spelling ``"pod_lifecycles": {}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pytest_simkube.errors import TraceError
from pytest_simkube.trace.model import OwnerKey, PodLifecycle, Trace
from pytest_simkube.trace.writer import fields_before_lifecycles, lifecycles_to_raw

if TYPE_CHECKING:
    from pytest_simkube.trace.reader import _TraceDecoder

_U64_MAX = (1 << 64) - 1


def trace_to_json(trace: Trace) -> str:
    """The trace as the JSON form (2-space indent, key order as in msgpack, trailing newline)."""
    document = {
        **fields_before_lifecycles(trace),
        "pod_lifecycles": [
            {
                "owner": [owner[0], owner[1]],
                "hash": str(spec_hash),
                "lifecycles": lifecycles_to_raw(lifecycles),
            }
            for owner, by_hash in trace.pod_lifecycles.items()
            for spec_hash, lifecycles in by_hash.items()
        ],
    }
    try:
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise TraceError("<trace>", None, f"cannot be written as JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def trace_from_json(text: str, source: str = "<json>", *, lenient: bool = False) -> Trace:
    """Parse the JSON form (or a SimKube JSON fixture) into a Trace (``lenient``: see read_trace)."""
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise TraceError(
            source, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise TraceError(source, None, f"invalid JSON: {exc}") from None
    from pytest_simkube.trace.reader import _TraceDecoder

    decoder = _TraceDecoder(source, lenient=lenient)
    if type(document) is not dict:
        decoder.fail(None, f"expected a JSON object at the top level, got {type(document).__name__}")
    return decoder.from_fields(document, lifecycles_are_json=True)


def trace_from_json_bytes(data: bytes, source: str = "<json>", *, lenient: bool = False) -> Trace:
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TraceError(source, f"byte {exc.start}", "invalid JSON: not valid UTF-8") from None
    return trace_from_json(text, source, lenient=lenient)


def lifecycles_from_json(
    value: Any, decoder: _TraceDecoder, where: str
) -> dict[OwnerKey, dict[int, list[PodLifecycle]]]:
    """Read ``pod_lifecycles`` of the JSON form: a list of entries, or ``{}`` as SimKube writes."""
    if type(value) is dict:
        if value:
            decoder.fail(
                where,
                "a JSON map cannot hold pod lifecycles (array keys); use the list form "
                '[{"owner": [gvk, "ns/name"], "hash": "<u64>", "lifecycles": [...]}]',
            )
        return {}
    if type(value) is not list:
        decoder.fail(where, f"expected a list of lifecycle entries, got {type(value).__name__}")
    result: dict[OwnerKey, dict[int, list[PodLifecycle]]] = {}
    for n, entry in enumerate(value):
        entry_where = f"{where}[{n}]"
        if type(entry) is not dict:
            decoder.fail(
                entry_where, 'expected {"owner": [gvk, "ns/name"], "hash": "<u64>", "lifecycles": [...]}'
            )
        for field in ("owner", "hash", "lifecycles"):
            if field not in entry:
                decoder.fail(entry_where, f"missing {field!r}")
        owner = entry["owner"]
        if type(owner) is not list or len(owner) != 2 or not all(type(part) is str for part in owner):
            decoder.fail(f"{entry_where}.owner", 'expected [owner GVK, "namespace/name"]')
        decoder.gvk(owner[0], f"{entry_where}.owner[0]")
        spec_hash = _parse_hash(entry["hash"], decoder, f"{entry_where}.hash")
        items = entry["lifecycles"]
        if type(items) is not list:
            decoder.fail(f"{entry_where}.lifecycles", f"expected a list, got {type(items).__name__}")
        by_hash = result.setdefault((owner[0], owner[1]), {})
        if spec_hash in by_hash:
            decoder.fail(entry_where, f"duplicate entry for owner {owner} and hash {spec_hash}")
        by_hash[spec_hash] = [
            decoder.lifecycle(item, f"{entry_where}.lifecycles", k) for k, item in enumerate(items)
        ]
    return result


def _parse_hash(value: Any, decoder: _TraceDecoder, where: str) -> int:
    if type(value) is int:
        return decoder.u64(value, where)
    if type(value) is str and value.isascii() and value.isdigit():
        number = int(value)
        if number <= _U64_MAX:
            return number
    decoder.fail(where, f"expected a decimal string holding an unsigned 64-bit hash, got {value!r}")
