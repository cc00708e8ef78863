"""Reading the real SimKube traces: every file loads, and v2 writes back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_simkube.trace import (
    GVK,
    PodLifecycle,
    Trace,
    dumps_trace,
    loads_trace,
    read_trace,
    trace_from_json,
    trace_to_json,
    write_trace,
)
from tests.conftest import SIMKUBE_TRACES, require_reference

SKTRACES = [
    "bare-pods.sktrace",
    "cronjob.sktrace",
    "cronjob-v2.1-singular-path.sktrace",
    "mixed-kinds.sktrace",
]


def _all_reference_files() -> list[Path]:
    if not SIMKUBE_TRACES.exists():
        return []
    return sorted(SIMKUBE_TRACES.iterdir())


def test_every_reference_trace_loads(simkube_traces: Path) -> None:
    files = _all_reference_files()
    assert len(files) >= 5
    for path in files:
        trace = read_trace(path)
        assert isinstance(trace, Trace)
        assert trace.source_version == 2
        assert trace.events


@pytest.mark.parametrize("name", SKTRACES)
def test_v2_round_trip_is_byte_identical(name: str) -> None:
    data = require_reference(SIMKUBE_TRACES / name).read_bytes()
    assert dumps_trace(loads_trace(data, name)) == data


@pytest.mark.parametrize("name", SKTRACES)
def test_write_trace_round_trip_through_a_file(name: str, tmp_path: Path) -> None:
    source = require_reference(SIMKUBE_TRACES / name)
    out = tmp_path / "copy.sktrace"
    write_trace(read_trace(source), out)
    assert out.read_bytes() == source.read_bytes()


def test_cronjob_content() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "cronjob.sktrace"))
    assert [e.ts for e in trace.events] == [1743286823, 1743286823, 1743287028]
    assert trace.start_ts == 1743286823 and trace.duration_seconds == 205
    assert list(trace.config.tracked_objects) == [
        "apps/v1.Deployment",
        "batch/v1.CronJob",
        "apps/v1.StatefulSet",
    ]
    cronjob = trace.config.tracked_objects["batch/v1.CronJob"]
    assert (
        cronjob.track_lifecycle and cronjob.pod_spec_template_paths is None and cronjob.paths_key == "absent"
    )
    assert cronjob.effective_paths("batch/v1.CronJob") == ("/spec/jobTemplate/spec/template",)
    assert trace.index == {"batch/v1.CronJob": {"default/hello-simkube": 17156035354639895998}}
    lifecycles = trace.lifecycles_for(("batch/v1.CronJob", "default/hello-simkube"))
    assert lifecycles == {
        10855072724872030168: [
            PodLifecycle(1743286861, 1743286891),
            PodLifecycle(1743286921, 1743286951),
            PodLifecycle(1743286981, 1743287011),
        ]
    }
    assert all(lc.state == "Finished" and lc.duration == 30 for lc in lifecycles[10855072724872030168])
    # Pre-2.4 delete events carry the full object.
    deleted = trace.events[2].deleted_objs[0]
    assert deleted["kind"] == "CronJob" and "spec" in deleted
    # Objects are plain, editable dicts and lists.
    containers = trace.events[1].applied_objs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ]
    assert isinstance(containers, list)


def test_singular_path_trace_keeps_its_spelling() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "cronjob-v2.1-singular-path.sktrace"))
    cronjob = trace.config.tracked_objects["batch/v1.CronJob"]
    assert cronjob.paths_key == "singular"
    assert cronjob.pod_spec_template_paths == ("/spec/jobTemplate/spec/template",)


def test_bare_pods_are_their_own_owners() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "bare-pods.sktrace"))
    pod = trace.config.tracked_objects["v1.Pod"]
    assert pod.pod_spec_template_paths == ("",) and pod.track_lifecycle and pod.skip_owned
    states = sorted(
        lc.state for by_hash in trace.pod_lifecycles.values() for lcs in by_hash.values() for lc in lcs
    )
    assert states == ["Finished", "Finished", "Finished", "Running"]
    assert all(GVK.parse(owner[0]) == GVK("", "v1", "Pod") for owner in trace.pod_lifecycles)


def test_mixed_kinds_keeps_status_and_key_order() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "mixed-kinds.sktrace"))
    obj = trace.events[1].applied_objs[0]
    assert list(obj)[:3] == ["apiVersion", "kind", "metadata"]
    assert "status" in obj
    assert set(trace.index) == {"apps/v1.Deployment", "apps/v1.StatefulSet"}


def test_simkube_json_fixture_loads() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "trace-fixture.json"))
    assert trace.index == {"apps/v1.Deployment": {"default/nginx-deployment": 2842228259284014139}}
    assert trace.pod_lifecycles == {}
    assert len(trace.events[0].applied_objs) == 1 and len(trace.events[0].deleted_objs) == 1


@pytest.mark.parametrize("name", SKTRACES)
def test_json_form_is_lossless(name: str) -> None:
    data = require_reference(SIMKUBE_TRACES / name).read_bytes()
    text = trace_to_json(loads_trace(data, name))
    assert dumps_trace(trace_from_json(text, "x.json")) == data
    # Content sniffing: JSON bytes passed to loads_trace are read as the JSON form.
    assert dumps_trace(loads_trace(text.encode())) == data
