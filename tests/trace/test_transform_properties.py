"""Properties of the transforms on random traces: the replayed cluster state is what it should be."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simkube.trace import PodLifecycle, Trace, TrackedObjectConfig, dumps_trace
from pytest_simkube.trace import transform as tf
from pytest_simkube.trace.validate import validate_trace
from tests.trace.test_validate import make_trace

NAMES = ("a", "b", "c", "d")
DEPLOYMENT = "apps/v1.Deployment"


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"annotations": {}, "labels": {"app": name}, "name": name, "namespace": "ns"},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}},
        },
    }


@st.composite
def traces(draw: st.DrawFn) -> Trace:
    ts = draw(st.integers(1_000, 2_000))
    alive: set[str] = set()
    events = []
    for _ in range(draw(st.integers(1, 12))):
        ts += draw(st.integers(0, 40))
        applied, deleted = [], []
        for name in draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True)):
            if name in alive and draw(st.booleans()):
                deleted.append(
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {"name": name, "namespace": "ns"},
                    }
                )
                alive.discard(name)
            else:
                applied.append(_deployment(name, draw(st.integers(0, 9))))
                alive.add(name)
        events.append((ts, applied, deleted))
    trace = make_trace(*events, tracked={DEPLOYMENT: TrackedObjectConfig(track_lifecycle=True)})
    for key in trace.index.get(DEPLOYMENT, {}):
        starts = draw(st.lists(st.integers(events[0][0] - 20, ts + 20), max_size=3))
        trace.pod_lifecycles[(DEPLOYMENT, key)] = {
            7: [
                PodLifecycle(s, s + draw(st.integers(0, 60)) if draw(st.booleans()) else None) for s in starts
            ]
        }
    return trace


def state_at(trace: Trace, t: int) -> dict[str, Any]:
    """What the driver has applied by time ``t``: name -> spec (applies first, then deletes, per event)."""
    state: dict[str, Any] = {}
    for event in trace.events:
        if event.ts > t:
            break
        for obj in event.applied_objs:
            state[obj["metadata"]["name"]] = obj["spec"]
        for obj in event.deleted_objs:
            state.pop(obj["metadata"]["name"], None)
    return state


def consistency(trace: Trace) -> list[str]:
    return [f.code for f in validate_trace(trace) if f.code in ("W0101", "W0104", "E0102", "E0105")]


@settings(max_examples=40, deadline=None)
@given(traces(), st.integers(0, 300), st.integers(1, 300) | st.none())
def test_window_replays_the_same_state_inside_the_window(
    trace: Trace, start: int, length: int | None
) -> None:
    end = None if length is None else start + length
    out = tf.cut_window(trace, start, end)
    t0 = trace.start_ts
    assert t0 is not None
    start_ts = t0 + start
    last = t0 + end - 1 if end is not None else max(start_ts, trace.end_ts or t0)
    for t in range(start_ts, last + 1):
        assert state_at(out, t) == state_at(trace, t)
    assert out.events[0].ts == start_ts
    assert consistency(out) == []
    for by_hash in out.pod_lifecycles.values():
        for lcs in by_hash.values():
            assert all(lc.start is not None and lc.start >= start_ts for lc in lcs)
            assert all(end is None or lc.start < t0 + end for lc in lcs)  # type: ignore[operator]


@settings(max_examples=40, deadline=None)
@given(traces(), st.sampled_from(["0.25", "0.5", "1", "1.5", "3"]))
def test_time_scale_keeps_order_and_states(trace: Trace, factor: str) -> None:
    out = tf.scale_time(trace, factor)
    t0, f = trace.start_ts, Fraction(factor)
    assert t0 is not None
    assert [e.ts for e in out.events] == [t0 + tf.round_half_up((e.ts - t0) * f) for e in trace.events]
    assert [e.ts for e in out.events] == sorted(e.ts for e in out.events)
    assert [(e.applied_objs, e.deleted_objs) for e in out.events] == [
        (e.applied_objs, e.deleted_objs) for e in trace.events
    ]
    for owner, by_hash in trace.pod_lifecycles.items():
        for pod_hash, lcs in by_hash.items():
            moved = out.pod_lifecycles[owner][pod_hash]
            for before, after in zip(lcs, moved, strict=True):
                if before.duration is not None:
                    assert abs(after.duration - before.duration * f) <= 1  # type: ignore[operator]
    assert consistency(out) == []


@settings(max_examples=40, deadline=None)
@given(traces(), st.sampled_from(NAMES), st.integers(0, 5))
def test_edits_keep_index_consistent_and_are_deterministic(trace: Trace, name: str, replicas: int) -> None:
    snapshot = dumps_trace(trace)
    where = tf.ObjectFilter(names=(name,))
    for out in (
        tf.scale_replicas(trace, value=replicas, where=where),
        tf.scale_resource(trace, "requests", "cpu", "1.5", where=where),
        tf.drop_objects(trace, where),
    ):
        assert consistency(out) == []
    dropped = tf.drop_objects(trace, where)
    assert all(
        o["metadata"]["name"] != name for e in dropped.events for o in (*e.applied_objs, *e.deleted_objs)
    )
    assert ("ns/" + name) not in dropped.index.get(DEPLOYMENT, {})
    assert dumps_trace(tf.scale_resource(trace, "requests", "cpu", "1.5")) == dumps_trace(
        tf.scale_resource(trace, "requests", "cpu", "1.5")
    )
    assert dumps_trace(trace) == snapshot
