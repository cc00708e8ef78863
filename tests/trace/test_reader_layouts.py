"""Pre-2.0 (v1) and v3 layouts, built here from the real v2 files.

SimKube never published v1 or v3 example files, so each test derives one from a real v2
trace by the rules of FORMAT.md §2.9:

* v1: the 4-element array ``[config, events, index, lifecycles]``; config entries use the
  singular ``podSpecTemplatePath``; ``index`` is ``{"ns/name": hash}`` and lifecycles are
  ``{"ns/name": {hash: [...]}}`` (no GVK anywhere but in the objects themselves).
* v3: the v2 map with ``version: 3`` and ``index`` replaced by
  ``tracked_objects: {gvk: {"ns/name": {}}}``, keys in order version, config, events,
  tracked_objects, pod_lifecycles.
"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from pytest_simkube.errors import TraceError
from pytest_simkube.trace import dumps_trace, loads_trace, spec_hash
from tests.conftest import SIMKUBE_TRACES, require_reference

V2_FILES = [
    "bare-pods.sktrace",
    "cronjob.sktrace",
    "cronjob-v2.1-singular-path.sktrace",
    "mixed-kinds.sktrace",
]


def _raw_v2(name: str) -> dict[str, Any]:
    data = require_reference(SIMKUBE_TRACES / name).read_bytes()
    return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=False)


def v1_bytes_from_v2(raw: dict[str, Any]) -> bytes:
    tracked = {}
    for gvk, cfg in raw["config"]["trackedObjects"].items():
        paths = cfg.get("podSpecTemplatePaths") or (
            (cfg["podSpecTemplatePath"],) if "podSpecTemplatePath" in cfg else None
        )
        entry: dict[str, Any] = {"podSpecTemplatePath": paths[0] if paths else None}
        if cfg.get("trackLifecycle"):
            entry["trackLifecycle"] = True
        tracked[gvk] = entry
    index = {key: value for entries in raw["index"].values() for key, value in entries.items()}
    lifecycles = {owner[1]: by_hash for owner, by_hash in raw["pod_lifecycles"].items()}
    return msgpack.packb([{"trackedObjects": tracked}, raw["events"], index, lifecycles], use_bin_type=True)


def v3_bytes_from_v2(raw: dict[str, Any]) -> bytes:
    tracked_objects = {gvk: {key: {} for key in entries} for gvk, entries in raw["index"].items()}
    return msgpack.packb(
        {
            "version": 3,
            "config": raw["config"],
            "events": raw["events"],
            "tracked_objects": tracked_objects,
            "pod_lifecycles": raw["pod_lifecycles"],
        },
        use_bin_type=True,
    )


@pytest.mark.parametrize("name", V2_FILES)
def test_v1_layout_reads_like_its_v2_source(name: str) -> None:
    raw = _raw_v2(name)
    v2 = loads_trace(require_reference(SIMKUBE_TRACES / name).read_bytes(), name)
    v1 = loads_trace(v1_bytes_from_v2(raw), f"{name}.v1")
    assert v1.source_version == 1 and v1.version == 2
    assert v1.events == v2.events
    assert v1.pod_lifecycles == v2.pod_lifecycles
    # Index entries whose object appears in the events get the GVK back from the objects;
    # the others fall back to the only tracked kind (bare-pods tracks just v1.Pod).
    assert v1.index == v2.index
    for gvk, cfg in v1.config.tracked_objects.items():
        assert cfg.paths_key == "singular"
        assert cfg.effective_paths(gvk) == v2.config.tracked_objects[gvk].effective_paths(gvk)


def test_v1_converted_to_v2_is_importable_v2() -> None:
    raw = _raw_v2("cronjob.sktrace")
    upgraded = dumps_trace(loads_trace(v1_bytes_from_v2(raw)))
    decoded = msgpack.unpackb(upgraded, raw=False, strict_map_key=False, use_list=False)
    assert list(decoded) == ["version", "config", "events", "index", "pod_lifecycles"]
    assert decoded["version"] == 2
    assert decoded["index"] == raw["index"]
    assert decoded["pod_lifecycles"] == raw["pod_lifecycles"]
    assert loads_trace(upgraded).source_version == 2


def test_v1_key_of_unknown_kind_is_an_error() -> None:
    raw = _raw_v2("mixed-kinds.sktrace")
    data = msgpack.unpackb(v1_bytes_from_v2(raw), raw=False, strict_map_key=False)
    data[2]["default/nowhere"] = 5
    with pytest.raises(TraceError, match=r"\[2\]\['default/nowhere'\]: cannot tell the kind"):
        loads_trace(msgpack.packb(data), "old.sktrace")


@pytest.mark.parametrize("name", ["cronjob.sktrace", "mixed-kinds.sktrace"])
def test_v3_layout_rebuilds_the_index_hashes(name: str) -> None:
    raw = _raw_v2(name)
    v2 = loads_trace(require_reference(SIMKUBE_TRACES / name).read_bytes(), name)
    v3 = loads_trace(v3_bytes_from_v2(raw), f"{name}.v3")
    assert v3.source_version == 3
    assert v3.events == v2.events and v3.pod_lifecycles == v2.pod_lifecycles
    # These exports were not edited, so the spec of each object's last apply gives the v2 hash back.
    assert v3.index == v2.index
    assert dumps_trace(v3) == require_reference(SIMKUBE_TRACES / name).read_bytes()


def test_v3_objects_never_applied_hash_as_null() -> None:
    raw = _raw_v2("bare-pods.sktrace")
    v3 = loads_trace(v3_bytes_from_v2(raw))
    applied = {
        f"testing/{obj['metadata']['name']}" for event in raw["events"] for obj in event["applied_objs"]
    }
    for key, value in v3.index["v1.Pod"].items():
        if key not in applied:
            assert value == spec_hash(None)
    assert set(v3.index["v1.Pod"]) == set(raw["index"]["v1.Pod"])
