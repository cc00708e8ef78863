"""Writing traces SimKube 2.x imports (FORMAT.md §2.10).

The output mirrors ``rmp_serde::to_vec_named(&Trace)``: a map with keys ``version, config,
events, index, pod_lifecycles`` in that order, struct fields in declaration order, object
dicts exactly as held, smallest integer encodings, ``pod_lifecycles`` keyed by
``[gvk, "ns/name"]`` arrays and u64 hashes. python-msgpack packs the same bytes as rmp for
the same values, so reading an unchanged v2 file and writing it back is byte-identical.
"""

from __future__ import annotations

import os
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


def lifecycle_to_raw(lifecycle: PodLifecycle) -> Any:
    """rmp-serde's enum encoding: unit -> string, newtype -> 1-entry map, tuple -> map to array."""
    if lifecycle.start is None:
        return "Empty"
    if lifecycle.end is None:
        return {"Running": lifecycle.start}
    return {"Finished": [lifecycle.start, lifecycle.end]}


def trace_to_raw(trace: Trace) -> dict[str, Any]:
    """The v2 top-level map, ready for msgpack (lifecycle keys are tuples)."""
    return {
        "version": CURRENT_FORMAT_VERSION,
        "config": config_to_raw(trace.config),
        "events": [event_to_raw(event) for event in trace.events],
        "index": trace.index,
        "pod_lifecycles": {
            (owner[0], owner[1]): {
                spec_hash: [lifecycle_to_raw(lc) for lc in lifecycles]
                for spec_hash, lifecycles in by_hash.items()
            }
            for owner, by_hash in trace.pod_lifecycles.items()
        },
    }


def dumps_trace(trace: Trace) -> bytes:
    """The trace as SimKube v2 msgpack bytes (older layouts are upgraded to v2)."""
    return msgpack.packb(trace_to_raw(trace), use_bin_type=True)


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
