"""SimKube's object hashes, reproduced bit for bit.

SimKube keys two things by a 64-bit hash (FORMAT.md §2.6):

* the trace index: ``hash_option(obj.data.get("spec"))`` of every tracked object;
* pod lifecycles: the hash of a pod's *stable spec*, which the driver recomputes for
  simulated pods to find the lifecycle a pod should follow.

Both are Rust's ``DefaultHasher`` (SipHash-1-3 with keys 0, 0) fed by a custom walk of a
``serde_json::Value`` (acrlabs/simkube ``sk-core/src/jsonutils/hash.rs``); the stable spec
comes from ``sk-core/src/k8s/pod_ext.rs``. Matching them lets traces written here drive a
real SimKube replay, and lets lifecycles be looked up exactly as the driver would.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

_MASK = 0xFFFF_FFFF_FFFF_FFFF
_STRING_END = b"\xff"  # Rust `Hasher::write_str` appends 0xFF after the bytes.
_NULL = (0).to_bytes(8, "little")  # `None::<()>.hash` hashes the discriminant as an isize.
_TRUE = b"\x01"
_FALSE = b"\x00"
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64_BITS = struct.Struct("<d")


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    """SipHash-1-3 of ``data`` (Rust's ``DefaultHasher`` when both keys are 0).

    Works on whole 8-byte words unpacked in one call, so the Python loop runs once per
    word rather than once per byte.
    """
    length = len(data)
    words = length >> 3
    last = ((length & 0xFF) << 56) | int.from_bytes(data[words << 3 :], "little")
    v0, v1, v2, v3 = _compress(
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
        (*struct.unpack_from(f"<{words}Q", data), last),
    )
    # Finalisation: three plain SipRounds, i.e. compressing three zero words.
    v0, v1, v2, v3 = _compress(v0, v1, v2 ^ 0xFF, v3, (0, 0, 0))
    return v0 ^ v1 ^ v2 ^ v3


def _compress(v0: int, v1: int, v2: int, v3: int, words: tuple[int, ...]) -> tuple[int, int, int, int]:
    """Absorb 64-bit words, one SipRound each (c = 1)."""
    mask = _MASK
    for m in words:
        v3 ^= m
        v0 = (v0 + v1) & mask
        v1 = ((v1 << 13) | (v1 >> 51)) & mask
        v1 ^= v0
        v0 = ((v0 << 32) | (v0 >> 32)) & mask
        v2 = (v2 + v3) & mask
        v3 = ((v3 << 16) | (v3 >> 48)) & mask
        v3 ^= v2
        v0 = (v0 + v3) & mask
        v3 = ((v3 << 21) | (v3 >> 43)) & mask
        v3 ^= v0
        v2 = (v2 + v1) & mask
        v1 = ((v1 << 17) | (v1 >> 47)) & mask
        v1 ^= v2
        v2 = ((v2 << 32) | (v2 >> 32)) & mask
        v0 ^= m
    return v0, v1, v2, v3


def json_hash_bytes(value: Any) -> bytes:
    """The byte stream SimKube's ``HashableJsonValue`` feeds to the hasher for ``value``.

    null -> 8 zero bytes; bool -> 1 byte; integer -> 8 bytes LE (u64 if >= 0 else i64);
    float -> its IEEE bits as u64 (+0.0 and -0.0 both as 0); string -> UTF-8 + 0xFF;
    array -> elements, no length; object -> for each key in sorted order, key then value.
    Raises ValueError for values serde_json cannot hold (NaN, bytes, out-of-range ints).
    """
    out: list[bytes] = []
    _walk(value, out.append)
    return b"".join(out)


def _walk(value: Any, emit: Any) -> None:
    # Type dispatch on exact types first: this is the hot path when hashing big traces.
    kind = type(value)
    if kind is str:
        emit(value.encode("utf-8"))
        emit(_STRING_END)
    elif kind is dict:
        # serde_json's Map is a BTreeMap: keys in byte order, which for UTF-8 is code point order.
        for key in sorted(value):
            if type(key) is not str:
                raise ValueError(f"object key {key!r} is not a string")
            emit(key.encode("utf-8"))
            emit(_STRING_END)
            _walk(value[key], emit)
    elif kind is list or kind is tuple:
        for item in value:
            _walk(item, emit)
    elif value is None:
        emit(_NULL)
    elif kind is bool:
        emit(_TRUE if value else _FALSE)
    elif kind is int:
        if 0 <= value <= _MASK:
            emit(_U64.pack(value))
        elif -(1 << 63) <= value < 0:
            emit(_I64.pack(value))
        else:
            raise ValueError(f"integer {value} does not fit in 64 bits")
    elif kind is float:
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number")
        emit(_F64_BITS.pack(value + 0.0) if value != 0.0 else _NULL)
    elif isinstance(value, Mapping):
        _walk(dict(value), emit)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray, str)):
        _walk(list(value), emit)
    elif isinstance(value, int):
        _walk(int(value), emit)
    elif isinstance(value, float):
        _walk(float(value), emit)
    elif isinstance(value, str):
        _walk(str(value), emit)
    else:
        raise ValueError(f"{type(value).__name__} is not a JSON value")


@functools.lru_cache(maxsize=4096)
def _cached_siphash13(data: bytes) -> int:
    # Pods of one template share a spec, so the same bytes come back again and again;
    # the walk is cheap next to the pure-Python SipHash rounds.
    return siphash13(data)


def json_hash(value: Any) -> int:
    """SimKube's ``jsonutils::hash`` of a JSON-shaped value."""
    return _cached_siphash13(json_hash_bytes(value))


def spec_hash(spec: Any) -> int:
    """The trace-index hash of an object whose ``spec`` is ``spec`` (None when it has none).

    SimKube: ``hash_option(obj.data.get("spec"))``; a missing spec hashes like JSON null.
    """
    return json_hash(spec)


def object_spec_hash(obj: Mapping[str, Any]) -> int:
    """The trace-index hash of a whole Kubernetes object."""
    return json_hash(obj.get("spec"))


# Fields of k8s-openapi 1.30's `PodSpec` and `Container`. SimKube parses the pod into those
# typed structs before hashing, so unknown fields are dropped and null fields are skipped.
_POD_SPEC_FIELDS = frozenset(
    [
        "activeDeadlineSeconds",
        "affinity",
        "automountServiceAccountToken",
        "containers",
        "dnsConfig",
        "dnsPolicy",
        "enableServiceLinks",
        "ephemeralContainers",
        "hostAliases",
        "hostIPC",
        "hostNetwork",
        "hostPID",
        "hostUsers",
        "hostname",
        "imagePullSecrets",
        "initContainers",
        "nodeName",
        "nodeSelector",
        "os",
        "overhead",
        "preemptionPolicy",
        "priority",
        "priorityClassName",
        "readinessGates",
        "resourceClaims",
        "restartPolicy",
        "runtimeClassName",
        "schedulerName",
        "schedulingGates",
        "securityContext",
        "serviceAccount",
        "serviceAccountName",
        "setHostnameAsFQDN",
        "shareProcessNamespace",
        "subdomain",
        "terminationGracePeriodSeconds",
        "tolerations",
        "topologySpreadConstraints",
        "volumes",
    ]
)
_CONTAINER_FIELDS = frozenset(
    [
        "args",
        "command",
        "env",
        "envFrom",
        "image",
        "imagePullPolicy",
        "lifecycle",
        "livenessProbe",
        "name",
        "ports",
        "readinessProbe",
        "resizePolicy",
        "resources",
        "restartPolicy",
        "securityContext",
        "startupProbe",
        "stdin",
        "stdinOnce",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "tty",
        "volumeDevices",
        "volumeMounts",
        "workingDir",
    ]
)
_SERVICE_ACCOUNT_VOLUME_PREFIX = "kube-api-access"


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_nulls(v) for v in value]
    return value


def _without_service_account_volumes(items: Any) -> list[Any]:
    return [
        item
        for item in (items or [])
        if not (
            isinstance(item, Mapping) and str(item.get("name", "")).startswith(_SERVICE_ACCOUNT_VOLUME_PREFIX)
        )
    ]


def _stable_container(container: Any, *, drop_ports: bool) -> Any:
    if not isinstance(container, Mapping):
        return container
    stable = {k: v for k, v in container.items() if k in _CONTAINER_FIELDS}
    stable["volumeMounts"] = _without_service_account_volumes(stable.get("volumeMounts"))
    if drop_ports:
        stable.pop("ports", None)
    return stable


def stable_pod_spec(pod_spec: Mapping[str, Any]) -> dict[str, Any]:
    """SimKube's ``PodExt::stable_spec``: the parts of a pod spec that identify its template.

    Service-account token volumes and mounts go (their names are random per pod), so do
    ``nodeName``, ``serviceAccount(Name)`` and container ``ports`` (the driver strips
    ports at replay). ``volumes`` and every container's ``volumeMounts`` are always present.
    """
    spec = {k: v for k, v in _drop_nulls(pod_spec).items() if k in _POD_SPEC_FIELDS}
    spec["volumes"] = _without_service_account_volumes(spec.get("volumes"))
    for name in ("nodeName", "serviceAccount", "serviceAccountName"):
        spec.pop(name, None)
    if "initContainers" in spec:
        spec["initContainers"] = [_stable_container(c, drop_ports=False) for c in spec["initContainers"]]
    spec["containers"] = [_stable_container(c, drop_ports=True) for c in spec.get("containers") or []]
    return spec


def pod_spec_stable_hash(pod_spec: Mapping[str, Any]) -> int:
    """The pod-lifecycle hash SimKube stores for pods with this spec (``pod_lifecycles`` keys)."""
    return json_hash(stable_pod_spec(pod_spec))
