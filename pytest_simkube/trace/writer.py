"""Writing traces SimKube 2.x imports (FORMAT.md §2.10).

The output mirrors ``rmp_serde::to_vec_named(&Trace)``: a map with keys ``version, config,
events, index, pod_lifecycles`` in that order, struct fields in declaration order, object
dicts exactly as held, smallest integer encodings, ``pod_lifecycles`` keyed by
``[gvk, "ns/name"]`` arrays and u64 hashes. python-msgpack packs the same bytes as rmp for
the same values, so reading an unchanged v2 file and writing it back is byte-identical.
"""

from __future__ import annotations

import os
import struct
from typing import Any, Literal

import msgpack

from pytest_simkube.fileio import atomic_write_bytes, atomic_write_text
from pytest_simkube.trace.model import (
    CURRENT_FORMAT_VERSION,
    PodLifecycle,
    Trace,
    TraceEvent,
    TracerConfig,
    TrackedObjectConfig,
)
from pytest_simkube.trace.reader import gc_paused

TraceFormat = Literal["msgpack", "json"]
FORMATS: tuple[TraceFormat, ...] = ("msgpack", "json")


def tracked_object_to_raw(config: TrackedObjectConfig) -> dict[str, Any]:
    """SimKube's ``TrackedObjectConfig`` map; the paths keep the spelling they were read with."""
    raw: dict[str, Any] = {}
    paths = config.pod_spec_template_paths
    if config.paths_key == "singular" and (paths is None or len(paths) == 1):
        raw["podSpecTemplatePath"] = paths[0] if paths else None
    elif config.paths_key != "absent" or paths is not None:
        raw["podSpecTemplatePaths"] = list(paths) if paths is not None else None
    if config.track_lifecycle:
        raw["trackLifecycle"] = True
    if config.skip_owned:
        raw["skipOwned"] = True
    return raw


def config_to_raw(config: TracerConfig) -> dict[str, Any]:
    return {
        "trackedObjects": {gvk: tracked_object_to_raw(obj) for gvk, obj in config.tracked_objects.items()}
    }


def event_to_raw(event: TraceEvent) -> dict[str, Any]:
    return {"ts": event.ts, "applied_objs": event.applied_objs, "deleted_objs": event.deleted_objs}


def lifecycles_to_raw(lifecycles: list[PodLifecycle]) -> list[Any]:
    """rmp-serde's enum encoding: unit -> ``"Empty"``, newtype -> ``{"Running": start}``,
    tuple -> ``{"Finished": [start, end]}``."""
    return [
        "Empty"
        if lc.start is None
        else {"Running": lc.start}
        if lc.end is None
        else {"Finished": [lc.start, lc.end]}
        for lc in lifecycles
    ]


def fields_before_lifecycles(trace: Trace) -> dict[str, Any]:
    """``version, config, events, index`` as written in both msgpack and the JSON form."""
    return {
        "version": CURRENT_FORMAT_VERSION,
        "config": config_to_raw(trace.config),
        "events": [event_to_raw(event) for event in trace.events],
        "index": trace.index,
    }


def trace_to_raw(trace: Trace) -> dict[str, Any]:
    """The v2 top-level map, ready for msgpack (lifecycle keys are tuples)."""
    return {
        **fields_before_lifecycles(trace),
        "pod_lifecycles": {
            (owner[0], owner[1]): {spec_hash: lifecycles_to_raw(lcs) for spec_hash, lcs in by_hash.items()}
            for owner, by_hash in trace.pod_lifecycles.items()
        },
    }


_FINISHED_PREFIX = msgpack.packb({"Finished": [0, 0]})[:-2]  # fixmap(1), "Finished", fixarray(2)
_RUNNING_PREFIX = msgpack.packb({"Running": 0})[:-1]  # fixmap(1), "Running"
_EMPTY = msgpack.packb("Empty")
_TWO_U32 = struct.Struct(">BIBI")
_ONE_U32 = struct.Struct(">BI")


def _pack_int(value: int, packer: msgpack.Packer) -> bytes:
    # Unix-second timestamps are uint32 (0xce) in the smallest-int encoding rmp and msgpack share.
    if 65536 <= value <= 0xFFFF_FFFF:
        return _ONE_U32.pack(0xCE, value)
    return packer.pack(value)


def _pack_lifecycles(lifecycles: list[PodLifecycle], packer: msgpack.Packer) -> bytes:
    """One array of lifecycles as msgpack, byte-identical to packing ``lifecycles_to_raw``.

    A trace holds one lifecycle per pod, so this is written straight to bytes instead of
    building a throw-away dict per pod for msgpack to walk.
    """
    pack = packer.pack
    parts = [packer.pack_array_header(len(lifecycles))]
    append = parts.append
    for lc in lifecycles:
        start, end = lc.start, lc.end
        if start is None:
            append(_EMPTY)
        elif end is None:
            append(_RUNNING_PREFIX + _pack_int(start, packer))
        elif 65536 <= start <= 0xFFFF_FFFF and 65536 <= end <= 0xFFFF_FFFF:
            append(_FINISHED_PREFIX + _TWO_U32.pack(0xCE, start, 0xCE, end))
        else:
            append(_FINISHED_PREFIX + pack(start) + pack(end))
    return b"".join(parts)


def dumps_trace(trace: Trace) -> bytes:
    """The trace as SimKube v2 msgpack bytes (older layouts are upgraded to v2).

    Equal to ``msgpack.packb(trace_to_raw(trace))``; everything but the lifecycles is
    packed by msgpack itself.
    """
    packer = msgpack.Packer(use_bin_type=True, autoreset=True)
    pack = packer.pack
    with gc_paused():
        parts = [packer.pack_map_header(5)]
        for key, value in fields_before_lifecycles(trace).items():
            parts.append(pack(key))
            parts.append(pack(value))
        parts.append(pack("pod_lifecycles"))
        parts.append(packer.pack_map_header(len(trace.pod_lifecycles)))
        for owner, by_hash in trace.pod_lifecycles.items():
            parts.append(pack((owner[0], owner[1])))
            parts.append(packer.pack_map_header(len(by_hash)))
            for spec_hash, lifecycles in by_hash.items():
                parts.append(pack(spec_hash))
                parts.append(_pack_lifecycles(lifecycles, packer))
        return b"".join(parts)


def format_for_path(path: str | os.PathLike[str]) -> TraceFormat:
    """``json`` for ``*.json`` files, msgpack otherwise."""
    return "json" if os.fspath(path).endswith(".json") else "msgpack"


def write_trace(trace: Trace, path: str | os.PathLike[str], *, format: TraceFormat | None = None) -> None:
    """Write ``trace`` atomically as v2 msgpack or the JSON form (default chosen by suffix)."""
    chosen = format or format_for_path(path)
    if chosen == "msgpack":
        atomic_write_bytes(path, dumps_trace(trace))
    elif chosen == "json":
        from pytest_simkube.trace.jsonform import trace_to_json

        atomic_write_text(path, trace_to_json(trace))
    else:
        raise ValueError(f"unknown trace format {chosen!r}; expected one of {', '.join(FORMATS)}")
