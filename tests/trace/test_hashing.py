"""SimKube's hashes: pinned against SimKube's own test constants and real trace files."""

from __future__ import annotations

import msgpack
import pytest

from pytest_simkube.trace import (
    json_hash,
    object_key,
    pod_spec_stable_hash,
    read_trace,
    siphash13,
    spec_hash,
    stable_pod_spec,
)
from pytest_simkube.trace.hashing import json_hash_bytes
from tests.conftest import SIMKUBE_TRACES, require_reference

# sk-core test constants (FORMAT.md §2.6).
EMPTY_POD_SPEC_HASH = 17506812802394981455
TEST_DEPL_HASH = 3664028200602729212
BARE_POD_LIFECYCLE_HASH = 2151974655102796215


def _reference_siphash13(data: bytes) -> int:
    """Byte-at-a-time SipHash-1-3 straight from the paper, to check the word-wise version."""
    mask = (1 << 64) - 1

    def rotl(x: int, b: int) -> int:
        return ((x << b) | (x >> (64 - b))) & mask

    v = [0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573]

    def sip_round() -> None:
        v[0] = (v[0] + v[1]) & mask
        v[1] = rotl(v[1], 13) ^ v[0]
        v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & mask
        v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & mask
        v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & mask
        v[1] = rotl(v[1], 17) ^ v[2]
        v[2] = rotl(v[2], 32)

    padded = data + bytes((8 - (len(data) + 1) % 8) % 8) + bytes([len(data) & 0xFF])
    for offset in range(0, len(padded), 8):
        m = 0
        for i in range(8):
            m |= padded[offset + i] << (8 * i)
        v[3] ^= m
        sip_round()
        v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(3):
        sip_round()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def test_simkube_test_constants() -> None:
    assert json_hash({"containers": [], "volumes": []}) == EMPTY_POD_SPEC_HASH
    assert spec_hash({"replicas": 42}) == TEST_DEPL_HASH
    # The stable spec of an empty pod spec is exactly {"containers": [], "volumes": []}.
    assert pod_spec_stable_hash({}) == EMPTY_POD_SPEC_HASH


@pytest.mark.parametrize("length", [*range(0, 20), 63, 64, 65, 255, 256, 1000])
def test_siphash_matches_bytewise_reference(length: int) -> None:
    data = bytes((i * 37 + 11) % 256 for i in range(length))
    assert siphash13(data) == _reference_siphash13(data)


def test_walk_bytes_follow_rust_hasher() -> None:
    assert json_hash_bytes(None) == bytes(8)
    assert json_hash_bytes(True) == b"\x01"
    assert json_hash_bytes(-1) == b"\xff" * 8
    assert json_hash_bytes(2**64 - 1) == b"\xff" * 8
    assert json_hash_bytes("a") == b"a\xff"
    # Keys sorted; 1.5 as its IEEE-754 bits (0x3FF8000000000000) little-endian.
    expected = b"a\xff" + bytes.fromhex("000000000000f83f") + b"b\xff" + (1).to_bytes(8, "little")
    assert json_hash_bytes({"b": 1, "a": [1.5]}) == expected
    # +0.0 and -0.0 hash alike; arrays carry no length prefix.
    assert json_hash(-0.0) == json_hash(0.0)
    assert json_hash([[1], 2]) == json_hash([1, [2]])


@pytest.mark.parametrize("bad", [float("nan"), b"bytes", 2**64, {1: "x"}])
def test_non_json_values_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        json_hash(bad)


@pytest.mark.parametrize(
    "name", ["cronjob.sktrace", "mixed-kinds.sktrace", "cronjob-v2.1-singular-path.sktrace"]
)
def test_index_hashes_of_real_traces(name: str) -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / name))
    last_applied = {}
    for event in trace.events:
        for obj in event.applied_objs:
            last_applied[(obj["kind"], object_key(obj))] = obj
    checked = 0
    for gvk, entries in trace.index.items():
        kind = gvk.rsplit(".", 1)[1]
        for key, expected in entries.items():
            assert spec_hash(last_applied[(kind, key)].get("spec")) == expected
            checked += 1
    assert checked == sum(len(entries) for entries in trace.index.values()) > 0


def test_bare_pod_lifecycle_hash_from_stable_spec() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "bare-pods.sktrace"))
    pods = [obj for event in trace.events for obj in event.applied_objs]
    assert len(pods) == 4
    for pod in pods:
        assert pod_spec_stable_hash(pod["spec"]) == BARE_POD_LIFECYCLE_HASH
        owner = ("v1.Pod", object_key(pod))
        assert list(trace.pod_lifecycles[owner]) == [BARE_POD_LIFECYCLE_HASH]


def test_bare_pod_index_hashes_match_once_service_account_is_restored() -> None:
    """The example was edited after export (FORMAT.md §2.6): re-adding the SA restores the hashes."""
    trace = read_trace(require_reference(SIMKUBE_TRACES / "bare-pods.sktrace"))
    for event in trace.events:
        for pod in event.applied_objs:
            expected = trace.index["v1.Pod"][object_key(pod)]
            assert spec_hash(pod["spec"]) != expected
            restored = {**pod["spec"], "serviceAccount": "default", "serviceAccountName": "default"}
            assert spec_hash(restored) == expected


def test_stable_spec_drops_what_simkube_drops() -> None:
    spec = {
        "nodeName": "node-1",
        "serviceAccountName": "sa",
        "serviceAccount": "sa",
        "futureField": {"x": 1},
        "priorityClassName": None,
        "volumes": [{"name": "kube-api-access-abcde", "projected": {}}, {"name": "data", "emptyDir": {}}],
        "initContainers": [{"name": "init", "ports": [{"containerPort": 1}]}],
        "containers": [
            {
                "name": "app",
                "ports": [{"containerPort": 80}],
                "volumeMounts": [{"name": "kube-api-access-abcde", "mountPath": "/var/run"}],
            }
        ],
    }
    assert stable_pod_spec(spec) == {
        "volumes": [{"name": "data", "emptyDir": {}}],
        "initContainers": [{"name": "init", "ports": [{"containerPort": 1}], "volumeMounts": []}],
        "containers": [{"name": "app", "volumeMounts": []}],
    }
    # Same template, different random token volume and node: same hash.
    other = {**spec, "nodeName": "node-2", "volumes": [{"name": "kube-api-access-zzzzz"}, spec["volumes"][1]]}
    assert pod_spec_stable_hash(other) == pod_spec_stable_hash(spec)


def test_hash_of_msgpack_tuples_equals_hash_of_lists() -> None:
    data = msgpack.packb({"spec": {"a": [1, {"b": None}]}})
    as_tuples = msgpack.unpackb(data, use_list=False)
    as_lists = msgpack.unpackb(data, use_list=True)
    assert spec_hash(as_tuples["spec"]) == spec_hash(as_lists["spec"])
