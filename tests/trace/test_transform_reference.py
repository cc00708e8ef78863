"""Every transform on every real SimKube trace: readable output, no new errors, no new inconsistency."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_simkube.trace import Trace, dumps_trace, loads_trace, read_trace
from pytest_simkube.trace import transform as tf
from pytest_simkube.trace.validate import validate_trace
from tests.conftest import SIMKUBE_TRACES, require_reference

TRACES = ["bare-pods.sktrace", "cronjob.sktrace", "cronjob-v2.1-singular-path.sktrace", "mixed-kinds.sktrace"]
TRANSFORMS: dict[str, Callable[[Trace], Trace]] = {
    "scale_replicas": lambda t: tf.scale_replicas(t, factor=3),
    "scale_time": lambda t: tf.scale_time(t, "0.25"),
    "arrival_rate": lambda t: tf.scale_arrival_rate(t, 3),
    "shift_time": lambda t: tf.shift_time(t, -3600),
    "cut_window": lambda t: tf.cut_window(t, 60, 600),
    "set_request": lambda t: tf.set_resource(t, "requests", "cpu", "333m"),
    "scale_limit": lambda t: tf.scale_resource(t, "limits", "memory", 2),
    "scale_request": lambda t: tf.scale_resource(t, "requests", "memory", "0.5"),
    "drop_all_deployments": lambda t: tf.drop_objects(t, tf.ObjectFilter(kinds=("Deployment",))),
}


def _load(name: str) -> Trace:
    return read_trace(require_reference(SIMKUBE_TRACES / name))


def _findings(trace: Trace) -> set[tuple[str, str]]:
    return {(f.code, f.where) for f in validate_trace(trace)}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("name", TRACES)
def test_transform_of_a_real_trace(name: str, transform: str) -> None:
    trace = _load(name)
    snapshot = dumps_trace(trace)
    out = TRANSFORMS[transform](trace)
    data = dumps_trace(out)
    assert loads_trace(data, name) == out  # the writer and reader agree on the result
    assert dumps_trace(trace) == snapshot
    assert data == dumps_trace(TRANSFORMS[transform](_load(name)))
    before, after = _findings(trace), _findings(out)
    assert not [f for f in after if f[0].startswith("E")]
    # Consistency problems may only be ones the input had (stale hashes of untouched objects,
    # index entries of objects deleted before the window), never new kinds of them.
    assert {code for code, _ in after if code in ("W0102", "W0104", "E0105")} <= {
        code for code, _ in before if code in ("W0102", "W0104", "E0105")
    }
    stale_after = {where for code, where in after if code == "W0101"}
    assert stale_after <= {where for code, where in before if code == "W0101"}


def test_resource_edit_refreshes_stale_hashes_of_edited_pods() -> None:
    trace = _load("bare-pods.sktrace")
    assert sum(1 for f in validate_trace(trace) if f.code == "W0101") == 4
    out = tf.set_resource(trace, "requests", "cpu", "333m")
    assert not [f for f in validate_trace(out) if f.code in ("W0101", "W0102")]


def test_cronjob_window_matches_simkube_export_shape() -> None:
    trace = _load("cronjob.sktrace")
    out = tf.cut_window(trace, 60)  # one minute in: the CronJob exists, its first run is still going
    assert [
        (e.ts - trace.start_ts, [o["kind"] for o in e.applied_objs], [o["kind"] for o in e.deleted_objs])
        for e in out.events
    ] == [(60, ["CronJob"], []), (205, [], ["CronJob"])]
    lifecycles = next(iter(out.pod_lifecycles.values()))
    assert [
        (lc.start - trace.start_ts, lc.end - trace.start_ts) for lcs in lifecycles.values() for lc in lcs
    ] == [(60, 68), (98, 128), (158, 188)]  # the first run (38 s - 68 s) is clamped to the window start
