"""The scheduling queue: activeQ order, backoff, the unschedulable pool and cluster events."""

from __future__ import annotations

import random

import pytest

from pytest_simkube.engine.scheduler.queue import (
    ACTIVE_Q,
    ASSIGNED_POD_DELETE,
    BACKOFF_Q,
    NODE_ADD,
    UNSCHEDULABLE_PODS,
    QueuedPodInfo,
    SchedulingQueue,
)
from pytest_simkube.kube.pods import PodInfo, parse_pod


def pod(name: str, priority: int = 0, gates: tuple[str, ...] = ()) -> PodInfo:
    spec = {"containers": [{"name": "c", "image": "i"}], "priority": priority}
    if gates:
        spec["schedulingGates"] = [{"name": g} for g in gates]
    return parse_pod({"metadata": {"name": name, "namespace": "default"}, "spec": spec})


def fail(queue: SchedulingQueue, qpi: QueuedPodInfo, now: float, *plugins: str) -> str:
    return queue.add_unschedulable_if_not_present(qpi, queue.scheduling_cycle, now, plugins)


def test_active_queue_orders_by_priority_then_timestamp() -> None:
    q = SchedulingQueue()
    q.add(pod("low-early", 0), now=0.0)
    q.add(pod("high", 10), now=1.0)
    q.add(pod("low-late", 0), now=2.0)
    q.add(pod("high-late", 10), now=3.0)
    popped = [q.pop(now=4.0).pod.name for _ in range(4)]  # type: ignore[union-attr]
    assert popped == ["high", "high-late", "low-early", "low-late"]
    assert q.pop(now=4.0) is None


def test_pop_counts_attempts_and_cycles() -> None:
    q = SchedulingQueue()
    q.add(pod("a"), now=0.0)
    qpi = q.pop(now=0.0)
    assert qpi is not None and qpi.attempts == 1 and qpi.initial_attempt_timestamp == 0.0
    assert q.scheduling_cycle == 1


@pytest.mark.parametrize(("attempts", "expected"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)])
def test_backoff_duration_doubles_up_to_the_maximum(attempts: int, expected: float) -> None:
    q = SchedulingQueue(initial_backoff_seconds=1, max_backoff_seconds=10)
    qpi = QueuedPodInfo(pod=pod("a"), timestamp=0.0, attempts=attempts)
    assert q.backoff_duration(qpi) == expected


def test_failed_pod_parks_and_a_relevant_event_requeues_it() -> None:
    q = SchedulingQueue()
    q.add(pod("a"), now=0.0)
    qpi = q.pop(now=0.0)
    assert fail(q, qpi, 0.0, "NodeResourcesFit") == UNSCHEDULABLE_PODS
    # A node appearing while the backoff (1 s) still runs: to backoffQ.
    assert q.move_all_to_active_or_backoff(NODE_ADD, now=0.5) == ["default/a"]
    assert q.where("default/a") == BACKOFF_Q
    assert q.pop(now=0.5) is None
    # The 1 s flush tick moves it to activeQ.
    assert q.pop(now=1.0).pod.name == "a"  # type: ignore[union-attr]


def test_event_after_backoff_goes_straight_to_active() -> None:
    q = SchedulingQueue()
    q.add(pod("a"), now=0.0)
    fail(q, q.pop(now=0.0), 0.0, "NodeResourcesFit")  # type: ignore[arg-type]
    q.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, now=5.0)
    assert q.where("default/a") == ACTIVE_Q


def test_irrelevant_events_leave_the_pod_parked() -> None:
    q = SchedulingQueue()
    q.add(pod("tainted"), now=0.0)
    fail(q, q.pop(now=0.0), 0.0, "TaintToleration")  # type: ignore[arg-type]
    assert q.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, now=5.0) == []
    assert q.where("default/tainted") == UNSCHEDULABLE_PODS
    assert q.move_all_to_active_or_backoff(NODE_ADD, now=5.0) == ["default/tainted"]


def test_move_request_during_the_cycle_sends_the_pod_to_backoff() -> None:
    q = SchedulingQueue()
    q.add(pod("a"), now=0.0)
    qpi = q.pop(now=0.0)
    cycle = q.scheduling_cycle
    q.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, now=0.0)  # e.g. preemption deleted victims
    assert q.add_unschedulable_if_not_present(qpi, cycle, 0.0, ["NodeResourcesFit"]) == BACKOFF_Q  # type: ignore[arg-type]
    assert q.next_flush_time(0.0) == 1.0


def test_failure_without_rejecting_plugin_backs_off() -> None:
    q = SchedulingQueue()
    q.add(pod("a"), now=0.0)
    assert fail(q, q.pop(now=0.0), 0.0) == BACKOFF_Q  # type: ignore[arg-type]


def test_backoff_ends_on_the_next_one_second_tick() -> None:
    q = SchedulingQueue(initial_backoff_seconds=1, max_backoff_seconds=10)
    q.add(pod("a"), now=0.0)
    qpi = q.pop(now=0.0)
    q.add_unschedulable_if_not_present(qpi, -1, 0.2, [])  # type: ignore[arg-type]
    assert q.next_flush_time(0.2) == 2.0  # expiry 1.2 -> tick 2
    assert q.pop(now=1.9) is None
    assert q.pop(now=2.0) is not None


def test_leftover_flush_after_five_minutes_on_thirty_second_ticks() -> None:
    q = SchedulingQueue()
    q.add(pod("a"), now=0.0)
    fail(q, q.pop(now=0.0), 10.0, "TaintToleration")  # type: ignore[arg-type]
    assert q.next_flush_time(10.0) == 330.0  # waits > 300 s, then the next 30 s tick
    assert q.pop(now=300.0) is None
    assert q.where("default/a") == UNSCHEDULABLE_PODS
    assert q.pop(now=330.0).pod.name == "a"  # type: ignore[union-attr]


def test_assigned_pod_added_moves_only_matching_pods() -> None:
    q = SchedulingQueue()
    for name in ("affine", "other"):
        q.add(pod(name), now=0.0)
    for _ in range(2):
        fail(q, q.pop(now=0.0), 0.0, "InterPodAffinity")  # type: ignore[arg-type]
    moved = q.assigned_pod_added(pod("web"), 5.0, lambda parked, added: parked.pod.name == "affine")
    assert moved == ["default/affine"]
    assert q.where("default/other") == UNSCHEDULABLE_PODS


def test_gated_pods_wait_in_the_pool_until_updated() -> None:
    q = SchedulingQueue(pre_enqueue=lambda p: not p.scheduling_gates)
    assert q.add(pod("gated", gates=("g",)), now=0.0) == UNSCHEDULABLE_PODS
    assert q.move_all_to_active_or_backoff(NODE_ADD, now=1.0) == []
    assert q.pop(now=400.0) is None
    assert q.update(pod("gated"), now=401.0) == ACTIVE_Q


def test_delete_forgets_the_pod_everywhere() -> None:
    q = SchedulingQueue()
    q.add(pod("a"), now=0.0)
    q.add(pod("b"), now=0.0)
    assert q.delete("default/a")
    assert not q.delete("default/a")
    assert q.pop(now=0.0).pod.name == "b"  # type: ignore[union-attr]
    assert len(q) == 0


def _run(seed: int) -> list[str]:
    rng = random.Random(seed)
    q = SchedulingQueue()
    order: list[str] = []
    now = 0.0
    for i in range(40):
        q.add(pod(f"p{i}", rng.choice([0, 5, 10])), now)
        qpi = q.pop(now)
        if qpi is not None:
            order.append(qpi.pod.name)
            if rng.random() < 0.5:
                fail(q, qpi, now, rng.choice(["NodeResourcesFit", "TaintToleration"]))
        if rng.random() < 0.3:
            q.move_all_to_active_or_backoff(rng.choice([NODE_ADD, ASSIGNED_POD_DELETE]), now)
        now += rng.choice([0.0, 0.5, 2.0])
    return order


def test_same_calls_same_order() -> None:
    assert _run(3) == _run(3)
    assert _run(3) != _run(4)


# --------------------------------------------------------------------------- through the Scheduler


def _node(name: str, cpu: str = "2", labels: dict[str, str] | None = None) -> dict:
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}},
    }


def _pod(name: str, cpu: str = "1", **spec: object) -> dict:
    return {
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": cpu}}}],
            **spec,
        },
    }


def test_node_added_wakes_a_pod_that_did_not_fit() -> None:
    from pytest_simkube.engine.scheduler.scheduler import BOUND, Scheduler

    sched = Scheduler()
    sched.add_node(_node("small", cpu="1"))
    sched.add_pod(_pod("big", cpu="2"))
    first = sched.schedule_one(0.0)
    assert first is not None and first.rejected_by == ("NodeResourcesFit",)
    assert sched.queue.where("default/big") == UNSCHEDULABLE_PODS
    assert sched.next_time(10.0) == 330.0  # only the 5-minute leftover flush would retry it
    sched.add_node(_node("large", cpu="4"), now=10.0)
    retry = sched.schedule_one(10.0)
    assert retry is not None and (retry.status, retry.node) == (BOUND, "large")


def test_bound_pod_wakes_a_pod_waiting_for_its_affinity() -> None:
    from pytest_simkube.engine.scheduler.scheduler import BOUND, Scheduler

    affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    sched = Scheduler()
    sched.add_node(_node("n1", cpu="4"))
    sched.add_pod(_pod("web", affinity=affinity))
    parked = sched.schedule_one(0.0)
    assert parked is not None and parked.rejected_by == ("InterPodAffinity",)
    # A bound pod that does not match the term leaves it parked; a matching one wakes it.
    sched.add_pod({**_pod("other"), "spec": {**_pod("other")["spec"], "nodeName": "n1"}}, now=5.0)
    assert sched.queue.where("default/web") == UNSCHEDULABLE_PODS
    sched.add_pod({**_pod("db"), "spec": {**_pod("db")["spec"], "nodeName": "n1"}}, now=6.0)
    assert sched.queue.where("default/web") == ACTIVE_Q
    retry = sched.schedule_one(6.0)
    assert retry is not None and (retry.status, retry.node) == (BOUND, "n1")


def test_gated_pod_is_scheduled_once_its_gates_are_removed() -> None:
    from pytest_simkube.engine.scheduler.scheduler import BOUND, Scheduler

    sched = Scheduler()
    sched.add_node(_node("n1"))
    sched.add_pod(_pod("gated", schedulingGates=[{"name": "wait"}]))
    assert sched.schedule_one(0.0) is None
    sched.update_pod(_pod("gated"), now=1.0)
    result = sched.schedule_one(1.0)
    assert result is not None and (result.status, result.node) == (BOUND, "n1")


def test_removed_node_returns_its_pods_and_deleted_pods_free_room() -> None:
    from pytest_simkube.engine.scheduler.scheduler import BOUND, Scheduler

    sched = Scheduler()
    sched.add_node(_node("n1"))
    sched.add_node(_node("n2", cpu="1"))
    sched.add_pod({**_pod("a", cpu="2"), "spec": {**_pod("a", cpu="2")["spec"], "nodeName": "n1"}})
    removed = sched.remove_node("n1", now=1.0)
    assert [p.name for p in removed] == ["a"]
    sched.add_pod(_pod("b", cpu="1"), now=1.0)
    assert sched.schedule_one(1.0).node == "n2"  # type: ignore[union-attr]
    sched.add_pod(_pod("c", cpu="1"), now=2.0)
    assert sched.schedule_one(2.0).status != BOUND  # type: ignore[union-attr]
    sched.delete_pod("default/b", now=4.0)
    result = sched.schedule_one(4.0)
    assert result is not None and (result.status, result.node) == (BOUND, "n2")


def test_counts_stay_consistent_under_random_operations() -> None:
    rng = random.Random(11)
    q = SchedulingQueue(pre_enqueue=lambda p: not p.scheduling_gates)
    now = 0.0
    for i in range(300):
        op = rng.random()
        if op < 0.35:
            q.add(
                pod(f"p{rng.randrange(60)}", rng.choice([0, 5]), gates=("g",) if rng.random() < 0.1 else ()),
                now,
            )
        elif op < 0.6:
            qpi = q.pop(now)
            if qpi is not None:
                fail(q, qpi, now, rng.choice(["NodeResourcesFit", "TaintToleration", "InterPodAffinity"]))
        elif op < 0.75:
            q.move_all_to_active_or_backoff(rng.choice([NODE_ADD, ASSIGNED_POD_DELETE]), now)
        elif op < 0.85:
            q.delete(f"default/p{rng.randrange(60)}")
        else:
            q.update(pod(f"p{rng.randrange(60)}"), now)
        now += rng.choice([0.0, 0.3, 1.0, 40.0])
        recount = {ACTIVE_Q: 0, BACKOFF_Q: 0, UNSCHEDULABLE_PODS: 0}
        for qpi in q.pods():
            recount[q.where(qpi.key)] += 1  # type: ignore[index]
        assert q.pending_counts() == recount, i
        assert len(q) == sum(recount.values())


def test_status_only_update_leaves_a_parked_pod_parked() -> None:
    q = SchedulingQueue()
    original = pod("a")
    q.add(original, now=0.0)
    fail(q, q.pop(now=0.0), 0.0, "NodeResourcesFit")  # type: ignore[arg-type]
    status_only = parse_pod({**original.raw, "status": {"conditions": [{"type": "PodScheduled"}]}})
    assert q.update(status_only, now=5.0) == UNSCHEDULABLE_PODS
    relabelled = parse_pod({**original.raw, "metadata": {**original.raw["metadata"], "labels": {"x": "y"}}})
    assert q.update(relabelled, now=5.0) == ACTIVE_Q


def test_node_events_wake_only_pods_the_node_could_admit() -> None:
    from pytest_simkube.engine.scheduler.node_events import node_property_changes
    from pytest_simkube.engine.scheduler.scheduler import BOUND, Scheduler

    sched = Scheduler()
    sched.add_node(_node("small", cpu="1"))
    sched.add_pod(_pod("big", cpu="3"))
    sched.schedule_one(0.0)
    # A node too small for the pod (preCheckForNode fails) leaves it parked; so does a tainted one.
    sched.add_node(_node("also-small", cpu="2"), now=5.0)
    tainted = _node("tainted", cpu="8")
    tainted["spec"] = {"taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]}
    sched.add_node(tainted, now=5.0)
    assert sched.queue.where("default/big") == UNSCHEDULABLE_PODS
    # Removing a node never wakes anyone.
    sched.remove_node("also-small", now=6.0)
    assert sched.queue.where("default/big") == UNSCHEDULABLE_PODS
    # Growing a node's allocatable does, when the pod then fits.
    grown = _node("small", cpu="4")
    assert [e.label for e in node_property_changes(_node("small", cpu="1"), grown)] == [
        "NodeAllocatableChange"
    ]
    sched.update_node(grown, now=7.0)
    result = sched.schedule_one(7.0)
    assert result is not None and (result.status, result.node) == (BOUND, "small")


def test_cordoning_raises_no_event_uncordoning_does() -> None:
    from pytest_simkube.engine.scheduler.node_events import node_property_changes

    plain = _node("n")
    cordoned = {**plain, "spec": {"unschedulable": True}}
    assert node_property_changes(plain, cordoned) == []
    assert [e.label for e in node_property_changes(cordoned, plain)] == ["NodeSpecUnschedulableChange"]
