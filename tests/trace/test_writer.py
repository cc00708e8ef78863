"""Writing v2: layout SimKube 2.x imports, the direct lifecycle encoder, atomic files, formats."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simkube.trace import (
    PodLifecycle,
    Trace,
    TraceEvent,
    TracerConfig,
    TrackedObjectConfig,
    dumps_trace,
    loads_trace,
    read_trace,
    write_trace,
)
from pytest_simkube.trace.writer import trace_to_raw
from tests.conftest import SIMKUBE_TRACES, require_reference

_ints = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, -1, -32, -33, -(2**31)]),
)
_lifecycle = st.one_of(
    st.just(PodLifecycle()),
    st.builds(PodLifecycle, _ints),
    st.builds(PodLifecycle, _ints, _ints),
)


def _deployment(name: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"annotations": {}, "name": name, "namespace": "default"},
        "spec": {"replicas": 3},
    }


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    lifecycles=st.dictionaries(
        st.tuples(st.sampled_from(["apps/v1.Deployment", "v1.Pod"]), st.text(min_size=1, max_size=5)),
        st.dictionaries(st.integers(0, 2**64 - 1), st.lists(_lifecycle, max_size=20), max_size=3),
        max_size=4,
    )
)
def test_direct_lifecycle_encoding_equals_msgpack(lifecycles: dict) -> None:
    trace = Trace(events=[TraceEvent(1, [_deployment("a")], [])], pod_lifecycles=lifecycles)
    data = dumps_trace(trace)
    assert data == msgpack.packb(trace_to_raw(trace), use_bin_type=True)
    assert loads_trace(data).pod_lifecycles == lifecycles


def test_written_layout_is_what_simkube_imports() -> None:
    trace = Trace(
        config=TracerConfig(
            tracked_objects={
                "apps/v1.Deployment": TrackedObjectConfig(("/spec/template",), track_lifecycle=True),
                "v1.Pod": TrackedObjectConfig(None, paths_key="absent"),
            }
        ),
        events=[TraceEvent(100), TraceEvent(160, [_deployment("web")], [])],
        index={"apps/v1.Deployment": {"default/web": 3664028200602729212}},
        pod_lifecycles={
            ("apps/v1.Deployment", "default/web"): {7: [PodLifecycle(110, 140), PodLifecycle(150)]}
        },
    )
    raw = msgpack.unpackb(dumps_trace(trace), raw=False, strict_map_key=False, use_list=False)
    assert list(raw) == ["version", "config", "events", "index", "pod_lifecycles"]
    assert raw["version"] == 2
    assert raw["config"] == {
        "trackedObjects": {
            "apps/v1.Deployment": {"podSpecTemplatePaths": ("/spec/template",), "trackLifecycle": True},
            "v1.Pod": {},
        }
    }
    assert list(raw["events"][1]) == ["ts", "applied_objs", "deleted_objs"]
    assert raw["pod_lifecycles"] == {
        ("apps/v1.Deployment", "default/web"): {7: ({"Finished": (110, 140)}, {"Running": 150})}
    }


def test_old_layout_spellings_are_kept_or_normalised() -> None:
    singular = TrackedObjectConfig(("/spec/template",), paths_key="singular")
    plural_nil = TrackedObjectConfig(None, paths_key="plural")
    absent_with_paths = TrackedObjectConfig(("/spec/template",), paths_key="absent")
    trace = Trace(
        config=TracerConfig(
            tracked_objects={"a/v1.A": singular, "b/v1.B": plural_nil, "c/v1.C": absent_with_paths}
        )
    )
    raw = msgpack.unpackb(dumps_trace(trace), raw=False)
    assert raw["config"]["trackedObjects"] == {
        "a/v1.A": {"podSpecTemplatePath": "/spec/template"},
        "b/v1.B": {"podSpecTemplatePaths": None},
        "c/v1.C": {"podSpecTemplatePaths": ["/spec/template"]},
    }


@pytest.mark.parametrize("suffix", [".sktrace", ".json"])
def test_write_trace_picks_format_by_suffix(suffix: str, tmp_path: Path) -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "cronjob.sktrace"))
    out = tmp_path / f"out{suffix}"
    write_trace(trace, out)
    assert out.read_bytes()[:1] == (b"{" if suffix == ".json" else b"\x85")
    assert dumps_trace(read_trace(out)) == dumps_trace(trace)


def test_write_trace_explicit_format_overrides_suffix(tmp_path: Path) -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "cronjob.sktrace"))
    out = tmp_path / "trace.data"
    write_trace(trace, out, format="json")
    assert out.read_text().startswith("{\n")
    with pytest.raises(ValueError, match="unknown trace format 'yaml'"):
        write_trace(trace, tmp_path / "x", format="yaml")  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    bad = Trace(events=[TraceEvent(1, [{**_deployment("a"), "spec": {"x": object()}}], [])])
    out = tmp_path / "bad.sktrace"
    with pytest.raises(TypeError):
        write_trace(bad, out)
    assert list(tmp_path.iterdir()) == []


def test_same_trace_same_bytes() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "mixed-kinds.sktrace"))
    assert dumps_trace(trace) == dumps_trace(loads_trace(dumps_trace(trace)))
