"""Reusing a failed cycle's verdict for identical pods changes nothing in the RunRecord.

The scheduler hands an identical pod (same manifest but for its name) the verdict of the
last failed cycle when the cluster has not changed since (``failed_cycles``).  These runs
keep a small cluster overloaded for an hour: Jobs whose pods finish and free room now and
then, so pending pods are retried in bursts, some of them eligible to preempt (the
preemption draws a random start offset that reuse must replay) and some not.
"""

from __future__ import annotations

import pytest

from pytest_simkube.engine.framework_port import FrameworkScheduler
from pytest_simkube.engine.run import run_scenario
from pytest_simkube.runrecord import dumps
from tests.engine.builders import deployment, make_trace, node, scenario, template, workload


def _priority_class(name: str, value: int, never: bool = False) -> dict:
    pc = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
          "value": value}
    if never:
        pc["preemptionPolicy"] = "Never"
    return pc


def _trace():
    batch = workload("Job", "etl", {"parallelism": 12, "completions": 40,
                                    "template": template("etl", cpu="1", priorityClassName="low",
                                                         restartPolicy="Never")})
    urgent = workload("Job", "urgent", {"parallelism": 4, "completions": 8,
                                        "template": template("urgent", cpu="1500m", priorityClassName="high",
                                                             restartPolicy="Never")})
    web = deployment("web", 6, cpu="700m", priorityClassName="mid")
    classes = [_priority_class("low", -100, never=True), _priority_class("mid", 100),
               _priority_class("high", 1000)]
    return make_trace([(0, classes, []), (5, [batch, web], []), (600, [urgent], [])],
                      lifecycles={("batch/v1.Job", "default/etl"): [240, 300, 180, 420],
                                  ("batch/v1.Job", "default/urgent"): [200, 260]},
                      end=3600)


def _run(reuse: bool) -> tuple[str, int, object]:
    schedulers: list[FrameworkScheduler] = []
    original = FrameworkScheduler.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.inner.reuse_failed_cycles = reuse
        schedulers.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FrameworkScheduler, "__init__", init)
        record = run_scenario(scenario([node("a", cpu="4"), node("b", cpu="4")], seed=3), trace=_trace())
    inner = schedulers[0].inner
    return dumps(record, engine_stats=False), inner.failed_cycles.hits, inner._preempt_rng.getstate()


def test_reuse_gives_the_same_record_byte_for_byte():
    with_reuse, hits, _ = _run(True)
    without, no_hits, _ = _run(False)
    assert hits > 50 and no_hits == 0
    assert with_reuse.count("PodUnschedulable") > hits
    assert "preempted" in with_reuse
    assert with_reuse == without


def test_reuse_replays_the_preemption_draws_it_skips():
    """Reused verdicts of pods eligible to preempt replay their random start offsets, so the
    preemption stream ends where a run without reuse leaves it."""
    import random

    _, hits, state_with = _run(True)
    _, _, state_without = _run(False)
    assert hits > 0
    assert state_with != random.Random("3:preempt").getstate()
    assert state_with == state_without
