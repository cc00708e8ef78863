"""What a scoped failed verdict may and may not outlive (``failed_cycles``).

A verdict reached with node-local Filter plugins only is reused after pods change on nodes
outside its scope.  These cases drive the scheduler directly, one cycle at a time, and check
each reused answer against the one a fresh cycle gives.
"""

from __future__ import annotations

from pytest_simkube.config.scheduler import parse_scheduler_config_text
from pytest_simkube.engine.scheduler.scheduler import BOUND, Scheduler


def _node(name: str, pool: str, cpu: str) -> dict:
    labels = {"kubernetes.io/hostname": name, "pool": pool, "region": "r1"}
    return {"metadata": {"name": name, "labels": labels},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}}


def _pod(name: str, app: str, cpu: str = "1", node: str | None = None, **spec: object) -> dict:
    container = {"name": "c", "image": "i", "resources": {"requests": {"cpu": cpu}}}
    body: dict = {"containers": [container], **spec}
    if node:
        body["nodeName"] = node
    return {"metadata": {"name": name, "namespace": "default", "labels": {"app": app}}, "spec": body}


def _cluster(config: str | None = None, reuse: bool = True) -> Scheduler:
    sched = Scheduler(parse_scheduler_config_text(config, "test.yaml") if config else None)
    sched.reuse_failed_cycles = reuse
    sched.add_node(_node("batch-1", "batch", "1"))
    sched.add_node(_node("gen-1", "general", "4"))
    sched.add_pod(_pod("filler", "filler", node="batch-1"))
    return sched


def _pending(sched: Scheduler, name: str, now: float):
    sched.add_pod(_pod(name, "etl", nodeSelector={"pool": "batch"}), now=now)
    result = sched.schedule_one(now)
    assert result is not None and result.pod.name == name
    return result


def test_pod_changes_outside_the_scope_keep_the_verdict():
    sched = _cluster()
    first = _pending(sched, "etl-1", 0.0)
    assert first.status != BOUND and "Insufficient cpu" in first.message
    sched.add_pod(_pod("web", "web", node="gen-1"), now=1.0)  # not a node the verdict read pods on
    second = _pending(sched, "etl-2", 1.0)
    assert sched.failed_cycles.scoped_hits == 1
    assert second.message == first.message


def test_room_made_in_the_scope_is_seen():
    sched = _cluster()
    _pending(sched, "etl-1", 0.0)
    _pending(sched, "etl-2", 0.0)
    assert sched.failed_cycles.hits == 1
    sched.delete_pod("default/filler", now=5.0)
    retry = sched.schedule_one(5.0)
    assert retry is not None and (retry.pod.name, retry.status, retry.node) == ("etl-1", BOUND, "batch-1")


def test_required_anti_affinity_anywhere_ends_scoped_reuse():
    """With InterPodAffinity ordered first, a pod declaring anti-affinity against the pending
    pods changes their rejection on a node whose own pods did not change."""
    config = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    filter:
      disabled: [{name: "*"}]
      enabled: [{name: InterPodAffinity}, {name: NodeAffinity}, {name: NodeResourcesFit}]
"""
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "etl"}}, "topologyKey": "region"}]}}
    answers = []
    for reuse in (True, False):
        sched = _cluster(config, reuse)
        first = _pending(sched, "etl-1", 0.0)
        assert "Insufficient cpu" in first.message
        sched.add_pod(_pod("guard", "guard", cpu="100m", node="gen-1", affinity=anti), now=1.0)
        answers.append(_pending(sched, "etl-2", 1.0).message)
        assert sched.failed_cycles.scoped_hits == 0
    assert "anti-affinity" in answers[0]
    assert answers[0] == answers[1]


def test_nominations_count_only_on_the_nodes_they_name():
    from pytest_simkube.kube.pods import parse_pod

    sched = _cluster()
    _pending(sched, "etl-1", 0.0)
    sched.nominator.add(parse_pod(_pod("urgent-1", "urgent", priorityClassName="")), "gen-1")
    _pending(sched, "etl-2", 1.0)
    assert (sched.failed_cycles.hits, sched.failed_cycles.scoped_hits) == (1, 1)
    sched.nominator.add(parse_pod(_pod("urgent-2", "urgent")), "batch-1")
    third = _pending(sched, "etl-3", 2.0)
    assert sched.failed_cycles.hits == 1, "a nomination to a node in the scope is a change there"
    assert "Insufficient cpu" in third.message


def test_a_preemption_dry_run_that_found_nothing_leaves_a_reusable_verdict():
    """The dry run evicts the filler and puts it back: the cluster is as it was, so the
    next identical pod (and the pending pod whose scope holds that node) take the verdicts."""
    answers = []
    for reuse in (True, False):
        sched = _cluster(reuse=reuse)
        etl = _pending(sched, "etl-1", 0.0)
        messages = [etl.message]
        for name in ("big-1", "big-2"):
            sched.add_pod(_pod(name, "big", cpu="8", priority=1000), now=1.0)
            result = sched.schedule_one(1.0)
            assert result is not None and result.status != BOUND
            messages.append(result.message)
        messages.append(_pending(sched, "etl-2", 2.0).message)
        answers.append(messages)
        if reuse:
            assert (sched.failed_cycles.hits, sched.failed_cycles.scoped_hits) == (2, 1)
    assert "preemption: 0/2 nodes are available" in answers[0][1]
    assert answers[0][1] == answers[0][2]
    assert answers[0] == answers[1]
