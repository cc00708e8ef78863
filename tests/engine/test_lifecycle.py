"""Pod run times from ``pod_lifecycles``, looked up like SimKube's driver webhook."""

from __future__ import annotations

import pytest

from pytest_simkube.engine.options import EngineOptions
from pytest_simkube.engine.run import run_scenario
from pytest_simkube.trace import PodLifecycle, read_trace
from tests.conftest import SIMKUBE_TRACES, require_reference
from tests.engine.builders import deployment, engine, finish, group, make_trace, node, records, scenario


def run_times(run) -> dict[str, float]:
    running = {r.pod: r.t for r in records(run, "PodRunning")}
    return {r.pod: round(r.t - running[r.pod], 6) for r in records(run, "PodFinished")}


def test_sequence_number_wraps_modulo_the_lifecycle_list():
    trace = make_trace([(0, [deployment("web", 5)], [])],
                       lifecycles={("apps/v1.Deployment", "default/web"): [10, 20]})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    created = [r.pod for r in records(run, "PodCreated")]
    times = run_times(run)
    # launch order 0..4 -> lifecycles[seq % 2] = 10, 20, 10, 20, 10 for the first five pods
    assert [times[p] for p in created[:5]] == [10.0, 20.0, 10.0, 20.0, 10.0]
    # finished pods are replaced by the ReplicaSet and the counter keeps going
    assert len(created) > 5


def test_running_lifecycles_and_untracked_owners_run_until_deleted():
    trace = make_trace([(0, [deployment("web", 2), deployment("api", 1)], [])],
                       lifecycles={("apps/v1.Deployment", "default/web"): [None]},
                       tracked={"apps/v1.Deployment": True})
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert not records(run, "PodFinished")
    assert len(records(run, "PodRunning")) == 3


def test_owner_is_the_first_lifecycle_enabled_member_of_the_chain():
    trace = make_trace([(0, [deployment("web", 1)], [])],
                       lifecycles={("apps/v1.Deployment", "default/web"): [7]},
                       tracked={"apps/v1.Deployment": False})
    ctx, driver = engine(trace, [node("n1")])
    assert not records(finish(ctx, driver), "PodFinished")  # tracked without trackLifecycle: no lookup


def test_builtin_owner_uses_the_first_hash_bucket_whatever_the_pod_hash():
    trace = make_trace([(0, [deployment("web", 1)], [])])
    trace.pod_lifecycles[("apps/v1.Deployment", "default/web")] = {
        111: [PodLifecycle(0, 40)], 222: [PodLifecycle(0, 99)]}
    ctx, driver = engine(trace, [node("n1")])
    run = finish(ctx, driver)
    assert next(iter(run_times(run).values())) == 40.0


@pytest.mark.parametrize(("name", "expected"), [("cronjob.sktrace", [30.0, 30.0, 30.0]),
                                                 ("bare-pods.sktrace", None)])
def test_simkube_example_traces_replay_with_their_lifecycles(name, expected):
    trace = read_trace(require_reference(SIMKUBE_TRACES / name))
    record = run_scenario(scenario(groups=[group(min_size=2)]), trace=trace)
    times = sorted(run_times(record).values())
    if expected is None:
        owner_runs = sorted(
            lc.duration for buckets in trace.pod_lifecycles.values() for lcs in buckets.values()
            for lc in lcs[:1] if lc.duration is not None)
        expected = owner_runs
    assert times == sorted(expected)


def test_kubelet_startup_delay_is_within_the_kwok_stage_bounds():
    opts = EngineOptions()
    ctx, driver = engine(make_trace([(0, [deployment("web", 20)], [])]), [node("n1", cpu="8")])
    run = finish(ctx, driver)
    bound = {r.pod: r.t for r in records(run, "PodScheduled")}
    delays = [r.t - bound[r.pod] for r in records(run, "PodRunning")]
    low = opts.pod_create_delay + opts.pod_ready_delay
    high = opts.pod_create_jitter + opts.pod_ready_jitter
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1
