"""Property: whatever the bytes, ``loads_trace`` returns a Trace or raises TraceError.

Mutations start from the real SimKube traces: byte flips, truncation, splices of random
or foreign bytes, and structural edits of the decoded value (a node replaced by a value of
another type, a map key dropped) packed back to msgpack.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.errors import TraceError
from pytest_simkube.trace import Trace, dumps_trace, loads_trace
from pytest_simkube.trace.validate import Finding, validate_trace
from tests.conftest import SIMKUBE_TRACES

NAMES = ["bare-pods.sktrace", "cronjob.sktrace", "cronjob-v2.1-singular-path.sktrace", "mixed-kinds.sktrace"]
FUZZ_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@cache
def _reference(name: str) -> bytes:
    return (SIMKUBE_TRACES / name).read_bytes()


@pytest.fixture(autouse=True)
def _need_reference() -> None:
    if not SIMKUBE_TRACES.exists():
        pytest.skip(f"reference data not found at {SIMKUBE_TRACES}")


def _loads_or_trace_error(data: bytes) -> None:
    try:
        trace = loads_trace(data, "fuzz.sktrace")
    except TraceError as exc:
        assert str(exc).startswith("fuzz.sktrace")
        return
    assert isinstance(trace, Trace)
    # Whatever loaded must also write out and read back the same.
    assert dumps_trace(loads_trace(dumps_trace(trace))) == dumps_trace(trace)


def _validates_leniently(data: bytes) -> None:
    """What the lenient reader (``trace validate``) lets through, the validator reports on, not crashes on."""
    try:
        trace = loads_trace(data, "fuzz.sktrace", lenient=True)
    except TraceError as exc:
        assert str(exc).startswith("fuzz.sktrace")
        return
    assert all(isinstance(finding, Finding) for finding in validate_trace(trace, "fuzz.sktrace"))


@FUZZ_SETTINGS
@given(name=st.sampled_from(NAMES), data=st.data())
def test_byte_level_mutations(name: str, data: st.DataObject) -> None:
    original = bytearray(_reference(name))
    kind = data.draw(st.sampled_from(["flip", "truncate", "splice", "insert", "cross"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(original) - 1))
            original[pos] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        original = original[: data.draw(st.integers(0, len(original) - 1))]
    elif kind == "splice":
        start = data.draw(st.integers(0, len(original)))
        end = data.draw(st.integers(start, min(len(original), start + 64)))
        original[start:end] = data.draw(st.binary(max_size=16))
    elif kind == "insert":
        pos = data.draw(st.integers(0, len(original)))
        # Big-length headers (array32/map32/str32/bin32) claiming absurd sizes.
        header = data.draw(st.sampled_from([b"\xdd", b"\xdf", b"\xdb", b"\xc6", b"\xc9"]))
        original[pos:pos] = header + data.draw(st.binary(min_size=4, max_size=4))
    else:
        other = _reference(data.draw(st.sampled_from(NAMES)))
        cut = data.draw(st.integers(0, len(original)))
        other_cut = data.draw(st.integers(0, len(other)))
        original = original[:cut] + other[other_cut:]
    _loads_or_trace_error(bytes(original))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, (list, tuple)):
        for n, child in enumerate(value):
            found.extend(_paths(child, (*prefix, n)))
    return found


def _thaw(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.sampled_from(["Empty", "v1.Pod", "a/b.C", "default/x", "Running", "Finished"]),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers(0, 9)), children, max_size=3),
        st.fixed_dictionaries({"Running": children}),
        st.fixed_dictionaries({"Finished": st.lists(children, max_size=3)}),
    ),
    max_leaves=6,
)


@FUZZ_SETTINGS
@given(name=st.sampled_from(NAMES), data=st.data())
def test_structural_mutations(name: str, data: st.DataObject) -> None:
    raw = _thaw(msgpack.unpackb(_reference(name), raw=False, strict_map_key=False, use_list=False))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(raw)
        path = data.draw(st.sampled_from(paths[1:]))
        parent: Any = raw
        for part in path[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "retype_key"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "retype_key" and isinstance(parent, dict):
            parent[data.draw(_scalars.filter(lambda k: k is None or isinstance(k, (int, str, bool))))] = (
                parent.pop(path[-1])
            )
        else:
            parent[path[-1]] = data.draw(_values)
    try:
        packed = msgpack.packb(raw, use_bin_type=True)
    except (TypeError, ValueError, OverflowError):
        return  # not representable in msgpack at all
    _loads_or_trace_error(packed)
    _validates_leniently(packed)
