"""Scale-up over several loops: a burst larger than one scale-up keeps the group growing
while pods stay unschedulable and the group is below its max (upstream
core/static_autoscaler.go RunOnce runs the whole scale-up every loop; pods that fit on
upcoming nodes are dropped by filter_out_schedulable.go, the rest trigger more nodes)."""

from __future__ import annotations

from tests.autoscaler.builders import group, kinds, run
from tests.engine.builders import make_trace, template, workload

BATCH = {"workload-class": "batch"}


def etl_job(name: str, pods: int, **spec) -> dict:
    pod = template(name, cpu="1", memory="1Gi", nodeSelector=BATCH, **spec)
    return workload("Job", name, {"parallelism": pods, "completions": pods, "template": pod})


def test_a_burst_larger_than_one_scale_up_keeps_scaling_in_later_loops():
    trace = make_trace([(0, [etl_job("etl", 120)], [])], end=900)
    record = run(trace, [group("batch", 1, 40, labels=BATCH)], maxNodesPerScaleup=8)
    ups = [(u.t, u.delta) for u in kinds(record, "ScaleUp")]
    # 120 one-CPU pods, 4 per node, 4 on the initial node: 29 more nodes, at most 8 per loop.
    assert ups == [(10.0, 8), (20.0, 8), (30.0, 8), (40.0, 5)]
    assert len({r.pod for r in kinds(record, "PodScheduled")}) == 120


def test_pods_arriving_after_the_first_nodes_are_ready_trigger_another_scale_up():
    trace = make_trace([(0, [etl_job("first", 20)], []), (300, [etl_job("second", 40)], [])], end=1200)
    record = run(trace, [group("batch", 1, 40, labels=BATCH)])
    ups = [(u.t, u.delta) for u in kinds(record, "ScaleUp")]
    assert ups[0] == (10.0, 4)
    assert [delta for t, delta in ups if t > 300] == [10]
    assert len({r.pod for r in kinds(record, "PodScheduled")}) == 60


def test_expendable_batch_pods_never_grow_the_pool_even_below_max():
    """The production-day benchmark's ETL Jobs run at priority -100, below the default
    ``expendablePodsPriorityCutoff`` (-10): upstream never scales up for them
    (core/podlistprocessor/filter_out_expendable.go), so they wait for room the other
    workloads leave; lowering the cutoff lets them grow the pool."""
    low = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "batch-low"},
           "value": -100}
    trace = make_trace([(0, [low, etl_job("etl", 40, priorityClassName="batch-low")], [])], end=600)
    groups = [group("batch", 1, 40, labels=BATCH)]
    assert kinds(run(trace, groups), "ScaleUp") == []
    widened = run(trace, groups, expendablePodsPriorityCutoff=-1000)
    assert [(u.t, u.delta) for u in kinds(widened, "ScaleUp")] == [(10.0, 9)]
