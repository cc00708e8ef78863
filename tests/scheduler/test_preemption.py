"""DefaultPreemption: eligibility, victim selection, the node tie-break chain, PDBs, nominations."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_simkube.config.scheduler import parse_scheduler_config
from pytest_simkube.engine.scheduler.preemption import (
    Candidate,
    compute_disruptions_allowed,
    filter_pods_with_pdb_violation,
    parse_pdb,
    pick_one_node_for_preemption,
)
from pytest_simkube.engine.scheduler.scheduler import BOUND, UNSCHEDULABLE, Scheduler
from pytest_simkube.errors import ScenarioError
from pytest_simkube.kube.pods import PodInfo, parse_pod


def node(
    name: str, cpu: str = "4", memory: str = "16Gi", labels: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"}},
    }


def pod(
    name: str,
    cpu: str = "1",
    priority: int = 0,
    node_name: str | None = None,
    start: str | None = None,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "default", "labels": labels or {"app": name}},
        "spec": {
            "containers": [
                {"name": "c", "image": "img", "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}
            ],
            "priority": priority,
            **spec,
        },
    }
    if node_name:
        body["spec"]["nodeName"] = node_name
        body["status"] = {"startTime": start or "2024-01-01T00:00:00Z"}
    return body


def info(
    name: str, priority: int = 0, start: str | None = None, labels: dict[str, str] | None = None
) -> PodInfo:
    return parse_pod(pod(name, priority=priority, node_name="n", start=start, labels=labels))


def cluster(*nodes: dict[str, Any], pods: tuple[dict[str, Any], ...] = (), **kwargs: Any) -> Scheduler:
    sched = Scheduler(**kwargs)
    for n in nodes:
        sched.add_node(n)
    for p in pods:
        sched.add_pod(p)
    return sched


def test_victims_are_the_fewest_least_important_pods() -> None:
    sched = cluster(
        node("n1"),
        pods=(
            pod("old", "1", node_name="n1", start="2024-01-01T00:00:00Z"),
            pod("big", "2", node_name="n1", start="2024-01-02T00:00:00Z"),
            pod("new", "1", node_name="n1", start="2024-01-03T00:00:00Z"),
        ),
    )
    sched.add_pod(pod("vip", "2", priority=100))
    result = sched.schedule_one(0.0)
    assert result is not None and result.status == UNSCHEDULABLE
    # Reprieve in importance order (same priority: earlier start first): old fits back, big
    # does not, new fits back; so only "big" is evicted.
    assert [v.name for v in result.victims] == ["big"]
    assert result.nominated_node == "n1"
    assert result.message == "0/1 nodes are available: 1 Insufficient cpu."
    assert "default/big" not in sched.snapshot.pods
    # The preemptor waits out its backoff (the victim deletion arrived during its cycle) ...
    assert sched.schedule_one(0.5) is None
    # ... and then takes its nominated node without scoring.
    retry = sched.schedule_one(1.0)
    assert retry is not None and (retry.status, retry.node, retry.attempt) == (BOUND, "n1", 2)


def test_preemption_policy_never() -> None:
    sched = cluster(node("n1", cpu="1"), pods=(pod("low", "1", node_name="n1"),))
    sched.add_pod(pod("polite", "1", priority=100, preemptionPolicy="Never"))
    result = sched.schedule_one(0.0)
    assert result is not None
    assert result.message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    )
    assert result.victims == []
    assert "default/low" in sched.snapshot.pods


def test_no_lower_priority_pods_and_unresolvable_nodes() -> None:
    sched = cluster(
        node("n1", cpu="1", labels={"disk": "ssd"}),
        node("n2", cpu="8", labels={"disk": "hdd"}),
        pods=(pod("peer", "1", priority=100, node_name="n1"),),
    )
    sched.add_pod(pod("p", "1", priority=100, nodeSelector={"disk": "ssd"}))
    sched.add_pod(pod("q", "1", priority=100))
    first = sched.schedule_one(0.0)
    assert first is not None and first.pod.name == "p"
    assert first.message == (
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling."
    )
    assert first.rejected_by == ("NodeAffinity", "NodeResourcesFit")
    # The cycle's FitError text is the message: the PostFilter part is formatted there.
    assert first.cycle is not None and first.cycle.fit_error == first.message


def test_not_helpful_everywhere() -> None:
    sched = cluster(node("n1", labels={"disk": "hdd"}))
    sched.add_pod(pod("p", "1", priority=5, nodeSelector={"disk": "ssd"}))
    result = sched.schedule_one(0.0)
    assert result is not None
    assert result.message.endswith(
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )


def test_nominated_pod_keeps_the_freed_room() -> None:
    """A lower-priority pod woken by the victim's deletion must not take the preemptor's room."""
    sched = cluster(node("n1", cpu="2"), pods=(pod("low", "2", node_name="n1"),))
    sched.add_pod(pod("waiting", "1", priority=0))
    parked = sched.schedule_one(0.0)
    assert parked is not None and parked.status == UNSCHEDULABLE
    sched.add_pod(pod("vip", "2", priority=100), now=5.0)
    preempt = sched.schedule_one(5.0)
    assert preempt is not None and [v.name for v in preempt.victims] == ["low"]
    # "waiting" was moved to activeQ by the deletion and is tried first; n1 is reserved for vip.
    woken = sched.schedule_one(5.0)
    assert woken is not None and woken.pod.name == "waiting" and woken.status == UNSCHEDULABLE
    _, results = sched.settle(5.0)
    assert (results[0].pod.name, results[0].status, results[0].node) == ("vip", BOUND, "n1")


def test_num_candidates_and_random_offset_are_seeded() -> None:
    config = parse_scheduler_config(
        {
            "apiVersion": "kubescheduler.config.k8s.io/v1",
            "kind": "KubeSchedulerConfiguration",
            "profiles": [
                {
                    "schedulerName": "default-scheduler",
                    "pluginConfig": [
                        {
                            "name": "DefaultPreemption",
                            "args": {"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 3},
                        }
                    ],
                }
            ],
        },
        "cfg",
    )
    plugin = Scheduler(config).profiles["default-scheduler"].preemption
    assert plugin is not None
    assert plugin.calculate_num_candidates(1000) == 400
    assert plugin.calculate_num_candidates(5) == 3
    assert plugin.calculate_num_candidates(2) == 2
    default = Scheduler(seed=1).profiles["default-scheduler"].preemption
    again = Scheduler(seed=1).profiles["default-scheduler"].preemption
    assert default is not None and again is not None
    assert default.calculate_num_candidates(1000) == 100
    assert [default.offset_and_num_candidates(50) for _ in range(5)] == [
        again.offset_and_num_candidates(50) for _ in range(5)
    ]


def _cand(node_name: str, priorities: list[int], pdb: int = 0, start: str | None = None) -> Candidate:
    victims = [info(f"{node_name}-{i}", p, start) for i, p in enumerate(sorted(priorities, reverse=True))]
    return Candidate(node_name, victims, pdb)


@pytest.mark.parametrize(
    ("candidates", "winner"),
    [
        ([_cand("a", [1], pdb=1), _cand("b", [5, 5])], "b"),  # 1. fewest PDB violations
        ([_cand("a", [7]), _cand("b", [5, 5, 5])], "b"),  # 2. lowest highest-victim priority
        ([_cand("a", [5, 4]), _cand("b", [5, 1])], "b"),  # 3. smallest priority sum
        ([_cand("a", [5, -3]), _cand("b", [5])], "b"),  # 3. shifted sum: fewer negatives still cheaper
        ([_cand("a", [5, 0, 0]), _cand("b", [5, 0])], "b"),  # 4. ... then fewest victims
        (
            [_cand("a", [5], start="2024-01-01T00:00:00Z"), _cand("b", [5], start="2024-02-01T00:00:00Z")],
            "b",
        ),  # 5. latest start of the highest-priority victims
        ([_cand("a", [5]), _cand("b", [5])], "a"),  # 6. first
    ],
)
def test_pick_one_node_for_preemption(candidates: list[Candidate], winner: str) -> None:
    best = pick_one_node_for_preemption(candidates, now_key=float("inf"))
    assert best is not None and best.node == winner


def _pdb(**spec: Any) -> Any:
    return parse_pdb(
        {
            "metadata": {"name": "budget", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
        },
        "pdbs.yaml",
    )


def test_disruptions_allowed_from_matching_pods() -> None:
    web = [info(f"w{i}", labels={"app": "web"}) for i in range(4)]
    other = [info("db", labels={"app": "db"})]
    assert compute_disruptions_allowed(_pdb(minAvailable=3), web + other) == 1
    assert compute_disruptions_allowed(_pdb(maxUnavailable="50%"), web) == 2
    assert compute_disruptions_allowed(_pdb(minAvailable="100%"), web) == 0
    assert compute_disruptions_allowed(_pdb(maxUnavailable=1), web) == 1


def test_pdb_violating_victims_are_counted_and_tried_first() -> None:
    budget = _pdb(minAvailable=2)
    web = [info(f"w{i}", labels={"app": "web"}) for i in range(3)]
    budget.disruptions_allowed = compute_disruptions_allowed(budget, web)
    loner = info("solo", labels={"app": "solo"})
    violating, fine = filter_pods_with_pdb_violation([*web, loner], [budget])
    assert [p.name for p in violating] == ["w1", "w2"]
    assert [p.name for p in fine] == ["w0", "solo"]


def test_pdb_shapes_the_victim_choice() -> None:
    sched = cluster(
        node("n1", cpu="2"),
        node("n2", cpu="2"),
        pods=(
            pod("web-a", "2", node_name="n1", labels={"app": "web"}),
            pod("batch", "2", node_name="n2", labels={"app": "batch"}),
        ),
    )
    budget = _pdb(minAvailable=1)
    budget.disruptions_allowed = compute_disruptions_allowed(budget, sched.snapshot.pods.values())
    sched.set_pdbs([budget])
    sched.add_pod(pod("vip", "2", priority=100))
    result = sched.schedule_one(0.0)
    assert result is not None and result.nominated_node == "n2"
    assert [v.name for v in result.victims] == ["batch"]


def test_bad_pdb_selector_names_the_file() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_pdb(
            {"metadata": {"name": "x"}, "spec": {"selector": {"matchExpressions": [{"key": "a"}]}}},
            "pdbs.yaml",
            "items[0]",
        )
    assert err.value.source == "pdbs.yaml"
    assert err.value.where is not None and err.value.where.startswith("items[0].spec.selector")


def test_snapshot_is_restored_after_the_dry_run() -> None:
    sched = cluster(
        node("n1", cpu="2"),
        node("n2", cpu="2"),
        pods=(pod("a", "1", node_name="n1"), pod("b", "1", node_name="n1"), pod("c", "2", node_name="n2")),
    )
    before = {n.name: list(n.pods) for n in sched.snapshot.nodes()}
    requested = sched.snapshot.requested.copy()
    sched.add_pod(pod("huge", "3", priority=100))
    result = sched.schedule_one(0.0)
    assert result is not None and result.victims == []
    assert {n.name: list(n.pods) for n in sched.snapshot.nodes()} == before
    assert (sched.snapshot.requested == requested).all()


@pytest.mark.parametrize(
    ("pdb", "where"),
    [
        ({"metadata": {"name": "x"}, "spec": "nope"}, "items[0].spec"),
        ({"metadata": {"name": "x"}, "spec": {"minAvailable": "ten"}}, "items[0].spec.minAvailable"),
        ({"metadata": {"name": "x"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}}, "items[0].spec"),
        (
            {"metadata": {"name": "x"}, "status": {"disruptionsAllowed": "1"}},
            "items[0].status.disruptionsAllowed",
        ),
    ],
)
def test_malformed_pdbs_name_the_field(pdb: dict[str, Any], where: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_pdb(pdb, "pdbs.yaml", "items[0]")
    assert err.value.where == where


def web_port(cpu: str = "100m") -> list[dict[str, Any]]:
    """One container asking for host port 8080."""
    return [{"name": "c", "image": "img", "ports": [{"containerPort": 80, "hostPort": 8080}],
             "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]


def test_host_ports_are_a_set_so_removing_one_holder_frees_the_port() -> None:
    """Upstream HostPortInfo is a set: removing one of two pods declaring a port deletes it."""
    sched = cluster(
        node("n1"),
        pods=(
            pod("keeper", priority=200, node_name="n1", containers=web_port()),
            pod("low", priority=0, node_name="n1", containers=web_port()),
        ),
    )
    snap = sched.snapshot
    slot = snap.slot_of("n1")
    assert slot is not None and len(snap.node(slot).used_ports) == 1 and snap.port_count[slot] == 1
    # The dry run removes "low": the port is gone although "keeper" still declares it, so the
    # preemptor fits and "low" (which conflicts when reprieved) is the victim.
    sched.add_pod(pod("web", priority=100, containers=web_port()))
    result = sched.schedule_one(0.0)
    assert result is not None and [v.name for v in result.victims] == ["low"]
    assert result.nominated_node == "n1"
    assert "default/low" not in snap.pods and not snap.node(slot).used_ports and snap.port_count[slot] == 0


def test_dry_run_puts_back_the_used_ports_it_found() -> None:
    sched = cluster(
        node("n1", cpu="1"),
        pods=(
            pod("keeper", priority=200, node_name="n1", containers=web_port()),
            pod("low", priority=0, node_name="n1", containers=web_port()),
        ),
    )
    slot = sched.snapshot.slot_of("n1")
    assert slot is not None
    before = set(sched.snapshot.node(slot).used_ports)
    sched.add_pod(pod("huge", priority=100, containers=web_port("2")))
    result = sched.schedule_one(0.0)
    assert result is not None and result.victims == []
    assert sched.snapshot.node(slot).used_ports == before and sched.snapshot.port_count[slot] == 1
