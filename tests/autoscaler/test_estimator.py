"""The binpacking estimator and the predicate-checked simulation it runs on.

Upstream: cluster-autoscaler/estimator/binpacking_estimator.go, decreasing_pod_orderer.go,
core/scaleup/equivalence/groups.go, simulator/predicatechecker/schedulerbased.go.
"""

from __future__ import annotations

import itertools

from pytest_simkube.engine.autoscaler.estimator import (
    BinpackingEstimator,
    equivalence_groups,
    order_decreasing,
)
from pytest_simkube.engine.autoscaler.simulator import ClusterSimulation
from pytest_simkube.kube.pods import parse_pod
from tests.autoscaler.builders import GIB, bare_pod
from tests.engine.builders import node


def owned(name: str, owner: str, cpu: str, memory: str = "128Mi", **spec):
    pod = bare_pod(name, cpu, memory, **spec)
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "controller": True}]
    pod["metadata"]["labels"] = {"app": owner}
    return parse_pod(pod)


def template_adder(sim: ClusterSimulation, cpu: str = "4", memory: str = "16Gi", taints=None):
    counter = itertools.count()

    def add() -> str:
        return sim.add_node(node(f"tmpl-{next(counter)}", cpu, memory, taints=taints))

    return add


def estimate(pods, max_nodes=1000, cpu="4", memory="16Gi", taints=None):
    sim = ClusterSimulation()
    estimator = BinpackingEstimator(sim, max_nodes)
    add = template_adder(sim, cpu, memory, taints)
    return estimator.estimate(equivalence_groups(pods), add, 4000, 16 * GIB)


def test_first_fit_decreasing_packs_big_pods_first():
    # Arrival order (2 x 1 cpu, then 2 x 3 cpu) first-fit would need 3 four-cpu nodes; packing
    # the big pods first and the small ones into existing new nodes needs 2.
    pods = [owned(f"s{i}", "small", "1") for i in range(2)] + [owned(f"b{i}", "big", "3") for i in range(2)]
    result = estimate(pods)
    assert result.node_count == 2
    assert [p.name for p in result.pods] == ["b0", "b1", "s0", "s1"]


def test_order_is_by_cpu_plus_memory_share_of_the_template():
    cpu_heavy = owned("a", "a", "2", "1Gi")      # 0.5 + 1/16
    mem_heavy = owned("b", "b", "500m", "12Gi")  # 0.125 + 0.75
    groups = equivalence_groups([cpu_heavy, mem_heavy])
    ordered = order_decreasing(groups, 4000, 16 * GIB)
    assert [g.exemplar.name for g in ordered] == ["b", "a"]


def test_equivalence_groups_share_controller_and_spec_bare_pods_stay_alone():
    pods = [owned("a1", "a", "1"), owned("a2", "a", "1"), owned("a3", "a", "2"),
            parse_pod(bare_pod("x")), parse_pod(bare_pod("y"))]
    names = [[p.name for p in g.pods] for g in equivalence_groups(pods)]
    assert names == [["a1", "a2"], ["a3"], ["x"], ["y"]]


def test_pod_that_fits_no_template_stops_the_search_without_counting_an_empty_node():
    result = estimate([owned("huge", "huge", "6"), owned("ok", "ok", "1")])
    # The 6-cpu pod gets a fresh node, does not fit it; the empty node is not counted, and the
    # next pod still lands on that last (empty) node.
    assert result.node_count == 1
    assert [p.name for p in result.pods] == ["ok"]


def test_max_nodes_limit_caps_the_estimate():
    pods = [owned(f"p{i}", "p", "3") for i in range(5)]
    result = estimate(pods, max_nodes=2)
    assert result.node_count == 2
    assert len(result.pods) == 2


def test_template_predicates_come_from_the_scheduler_filters():
    taint = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    assert estimate([owned("p", "p", "1")], taints=taint).node_count == 0
    tolerant = owned("q", "q", "1", tolerations=[{"key": "dedicated", "operator": "Exists"}])
    assert estimate([tolerant], taints=taint).node_count == 1


def test_pods_per_node_limit_counts_like_the_scheduler():
    pods = [owned(f"p{i}", "p", "10m") for i in range(111)]
    assert estimate(pods).node_count == 2  # 110 pods per node


def test_fits_any_rotates_from_the_last_hit_and_revert_undoes_moves():
    sim = ClusterSimulation([node("a", "2"), node("b", "2"), node("c", "2")])
    first = sim.fits_any(owned("p1", "p", "1"))
    second = sim.fits_any(owned("p2", "p", "1"))
    assert (first, second) == ("a", "b")  # lastIndex moves past each hit
    checkpoint = sim.checkpoint()
    info = owned("p3", "p", "2")
    assert sim.schedule_anywhere(info) == "c"
    sim.add_node(node("d", "1"))
    sim.revert(checkpoint)
    assert "default/p3" not in sim.snapshot.pods and not sim.has_node("d")
    assert not sim.check(owned("p4", "p", "3"), "a").is_success()
