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


def _run_with(reuse: bool, sc, trace) -> tuple[str, object]:
    """The run's record (engine statistics aside) and its kube-scheduler model."""
    schedulers: list[FrameworkScheduler] = []
    original = FrameworkScheduler.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.inner.reuse_failed_cycles = reuse
        schedulers.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FrameworkScheduler, "__init__", init)
        record = run_scenario(sc, trace=trace)
    return dumps(record, engine_stats=False), schedulers[0].inner


def _run(reuse: bool) -> tuple[str, int, object]:
    text, inner = _run_with(reuse, scenario([node("a", cpu="4"), node("b", cpu="4")], seed=3), _trace())
    return text, inner.failed_cycles.hits, inner._preempt_rng.getstate()


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


# --- verdicts scoped to the nodes they read -------------------------------------------------

def _pinned_trace():
    """Two Jobs from one template pinned to a two-node batch pool that is full, while pods
    come and go on the general nodes (scoped reuse), batch pods finish and start (re-checked
    reuse), a memory-hungry pod lands on the batch pool (the rejection reasons change) and a
    pod declaring required anti-affinity against the Jobs' pods arrives (InterPodAffinity
    stops returning Skip: no scoped reuse while it runs)."""
    batch_pool = {"nodeSelector": {"pool": "batch"}, "restartPolicy": "Never"}
    etl = template("etl", cpu="1", memory="1Gi", priorityClassName="low", **batch_pool)
    jobs = [workload("Job", name, {"parallelism": 6, "completions": 14, "template": etl})
            for name in ("etl-a", "etl-b")]
    churn = workload("Job", "churn", {"parallelism": 3, "completions": 60, "template": template(
        "churn", cpu="500m", restartPolicy="Never", nodeSelector={"pool": "general"})})
    hungry = workload("Job", "hungry", {"parallelism": 1, "completions": 1, "template": template(
        "hungry", cpu="100m", memory="13Gi", **batch_pool)})
    anti_etl = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchLabels": {"app": "etl"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    guard = workload("Job", "guard", {"parallelism": 1, "completions": 1, "template": template(
        "guard", cpu="100m", restartPolicy="Never", nodeSelector={"pool": "general"}, affinity=anti_etl)})
    classes = [_priority_class("low", -100, never=True)]
    return make_trace([(0, classes, []), (5, [*jobs, churn], []), (900, [hungry], []), (1500, [guard], [])],
                      lifecycles={("batch/v1.Job", "default/etl-a"): [300, 420, 360],
                                  ("batch/v1.Job", "default/etl-b"): [330, 390],
                                  ("batch/v1.Job", "default/churn"): [20, 35, 25, 50],
                                  ("batch/v1.Job", "default/hungry"): [400],
                                  ("batch/v1.Job", "default/guard"): [600]},
                      end=3600)


def _run_pinned(reuse: bool) -> tuple[str, object]:
    nodes = [node(f"batch-{i}", cpu="4", labels={"pool": "batch"}) for i in (1, 2)]
    nodes += [node(f"gen-{i}", cpu="2", labels={"pool": "general"}) for i in (1, 2)]
    text, inner = _run_with(reuse, scenario(nodes, seed=5), _pinned_trace())
    return text, inner.failed_cycles


def test_scoped_reuse_outlives_changes_elsewhere_and_gives_the_same_record():
    with_reuse, memo = _run_pinned(True)
    without, no_memo = _run_pinned(False)
    assert no_memo.hits == 0
    assert memo.scoped_hits > 20, "verdicts should survive pod changes on the general nodes"
    assert memo.rechecked_hits > 5, "verdicts should survive batch-node changes that keep the reasons"
    assert memo.hits > memo.scoped_hits
    assert "Insufficient memory" in with_reuse, "the hungry pod should change the rejection reasons"
    assert "Insufficient cpu" in with_reuse
    assert with_reuse == without
