"""Nodes that never come up (upstream clusterstate.go updateScaleRequests / RegisterFailedScaleUp,
static_autoscaler.go removeOldUnregisteredNodes, utils/backoff/exponential_backoff.go)."""

from __future__ import annotations

from pytest_simkube.engine.autoscaler.backoff import ExponentialBackoff
from tests.autoscaler.builders import group, kinds, run
from tests.engine.builders import deployment, make_trace

PREFER_SLOW = {"expander": "priority", "expanderPriorities": {"20": ["slow"], "10": ["fast"]}}


def burst(end: float = 3000):
    return make_trace([(0, [deployment("web", 6, cpu="1500m")], [])], end=end)


def test_a_node_not_ready_within_max_node_provision_time_is_removed_and_its_group_backed_off():
    groups = [group("slow", 1, 5, delay=1200.0), group("fast", 1, 5, delay=45.0)]
    record = run(burst(), groups, **PREFER_SLOW)
    ups = [(u.t, u.group) for u in kinds(record, "ScaleUp")]
    assert ups[0][1] == "slow"
    timed_out = [(r.t, r.node) for r in kinds(record, "NodeRemoved") if r.reason == "provision-timeout"]
    started = ups[0][0]
    assert timed_out and all(t > started + 900 for t, _ in timed_out)  # maxNodeProvisionTime 15m
    assert all(node.startswith("slow-") for _, node in timed_out)
    # The next scale-up goes to the other group: slow is backed off for 5 minutes.
    after = [(t, g) for t, g in ups if t >= timed_out[0][0]]
    assert after and after[0][1] == "fast"
    assert not [r for r in kinds(record, "NodeReady") if r.node in {n for _, n in timed_out}]
    assert {r.pod for r in kinds(record, "PodScheduled")} and kinds(record, "PodUnschedulable")


def test_a_longer_provision_time_lets_the_slow_node_join():
    groups = [group("slow", 1, 5, delay=1200.0), group("fast", 1, 5, delay=45.0)]
    record = run(burst(), groups, maxNodeProvisionTime="30m", **PREFER_SLOW)
    assert not [r for r in kinds(record, "NodeRemoved") if r.reason == "provision-timeout"]
    assert {u.group for u in kinds(record, "ScaleUp")} == {"slow"}
    assert [r.node for r in kinds(record, "NodeReady")][-1].startswith("slow-")


def test_backoff_doubles_after_each_expired_backoff_up_to_the_max_and_resets_after_the_timeout():
    backoff = ExponentialBackoff(300.0, 1800.0, 10800.0)
    assert backoff.backoff("g", 0.0) == 300.0
    assert backoff.is_backed_off("g", 299.0) and not backoff.is_backed_off("g", 300.0)
    assert backoff.backoff("g", 100.0) == 400.0  # during a backoff: same duration
    assert backoff.backoff("g", 500.0) == 1100.0  # after it: doubled
    assert backoff.backoff("g", 2000.0) == 3200.0
    assert backoff.backoff("g", 4000.0) == 5800.0  # capped at 30m
    assert backoff.backoff("g", 4000.0 + 10801.0) == 4000.0 + 10801.0 + 300.0  # reset after 3h
    assert not backoff.is_backed_off("other", 0.0)
