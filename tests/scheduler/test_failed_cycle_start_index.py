"""A failed verdict that filtered every node does not depend on the rotating start index.

With 100 nodes or more, a successful cycle stops after the nodes it needs and moves
``nextStartNodeIndex``; a pending pod then starts from another node.  When it fails again it
has still filtered every node: the same statuses, reasons and message, and the index back
where it found it.  The stored verdict is reused across start indices and the index a full
cycle would leave is kept.
"""

from __future__ import annotations

from pytest_simkube.engine.scheduler.scheduler import BOUND, Scheduler
from tests.scheduler.test_failed_cycle_scope import _node, _pod


def _cluster(reuse: bool) -> Scheduler:
    sched = Scheduler()
    sched.reuse_failed_cycles = reuse
    sched.add_node(_node("batch-1", "batch", "1"))
    for i in range(101):
        sched.add_node(_node(f"gen-{i:03d}", "general", "4"))
    sched.add_pod(_pod("filler", "filler", node="batch-1"))
    return sched


def _run(reuse: bool) -> tuple[Scheduler, list[tuple[str, str, int]]]:
    sched = _cluster(reuse)
    seen = []
    for name, selector in (("etl-1", {"pool": "batch"}), ("web-1", None), ("etl-2", {"pool": "batch"})):
        spec = {"nodeSelector": selector} if selector else {}
        sched.add_pod(_pod(name, name.split("-")[0], **spec), now=0.0)
        result = sched.schedule_one(0.0)
        assert result is not None and result.pod.name == name
        seen.append((result.status, result.message, sched.profiles["default-scheduler"].cycle
                     .next_start_node_index))
    return sched, seen


def test_the_verdict_outlives_a_moved_start_index():
    with_reuse, answers = _run(True)
    _without, expected = _run(False)
    assert answers == expected
    (first, _m1, index_1), (bound, _m2, index_2), (second, message, index_3) = answers
    assert first != BOUND and second != BOUND and bound == BOUND
    assert index_1 == 0 and index_2 == 101 and index_3 == 101, "a failed cycle leaves the index alone"
    assert "0/102 nodes are available" in message
    assert with_reuse.failed_cycles.hits == 1


def test_a_verdict_over_nodes_prefilter_narrowed_replays_the_index_it_left():
    """NodeAffinity's PreFilter names one node: the cycle filters just that one and sets the
    index to ``(start + 1) mod 1``; a reused verdict must leave the same index."""
    pinned = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["batch-1"]}]}]}}}
    runs = []
    for reuse in (True, False):
        sched = _cluster(reuse)
        seen = []
        for name, spec in (("etl-1", {"affinity": pinned}), ("web-1", {}), ("etl-2", {"affinity": pinned}),
                           ("web-2", {})):
            sched.add_pod(_pod(name, name.split("-")[0], **spec), now=0.0)
            result = sched.schedule_one(0.0)
            assert result is not None
            seen.append((result.pod.name, result.status, result.node, result.message,
                         sched.profiles["default-scheduler"].cycle.next_start_node_index))
        runs.append(seen)
    assert runs[0] == runs[1]
    assert [index for *_rest, index in runs[0]] == [0, 101, 0, 101]
