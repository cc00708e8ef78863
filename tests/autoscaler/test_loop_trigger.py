"""Loops triggered early (upstream loop/trigger.go LoopTrigger.Wait with
--frequent-loops-enabled): a pod turning unschedulable starts a loop at once, and a loop that
scaled up is followed immediately by another; otherwise the scan-interval timer runs them."""

from __future__ import annotations

from tests.autoscaler.builders import group, kinds, run
from tests.engine.builders import deployment, make_trace, template, workload


def burst_at(t: float):
    return make_trace([(0, [deployment("base", 1, cpu="1")], []),
                       (t, [deployment("web", 6, cpu="1500m")], [])], end=900)


def test_an_unschedulable_pod_starts_a_loop_at_once_instead_of_at_the_next_tick():
    timer_only = run(burst_at(33), [group("g", 1, 6)])
    triggered = run(burst_at(33), [group("g", 1, 6)], frequentLoopsEnabled=True)
    assert [(u.t, u.delta) for u in kinds(timer_only, "ScaleUp")] == [(40.0, 2)]
    first_unschedulable = min(r.t for r in kinds(triggered, "PodUnschedulable"))
    assert 33 <= first_unschedulable < 40
    assert [(u.t, u.delta) for u in kinds(triggered, "ScaleUp")] == [(first_unschedulable, 2)]


def test_a_scale_up_capped_per_loop_continues_in_immediate_loops():
    pods = template("etl", cpu="1", memory="1Gi")
    job = workload("Job", "etl", {"parallelism": 40, "completions": 40, "template": pods})
    trace = make_trace([(0, [job], [])], end=900)
    timer_only = run(trace, [group("g", 1, 20)], maxNodesPerScaleup=3)
    triggered = run(trace, [group("g", 1, 20)], maxNodesPerScaleup=3, frequentLoopsEnabled=True)
    # 40 one-CPU pods, 4 per node, one node there: 9 more, at most 3 per loop.
    assert [(u.t, u.delta) for u in kinds(timer_only, "ScaleUp")] == [(10.0, 3), (20.0, 3), (30.0, 3)]
    ups = kinds(triggered, "ScaleUp")
    assert [u.delta for u in ups] == [3, 3, 3] and len({u.t for u in ups}) == 1 and ups[0].t < 10
