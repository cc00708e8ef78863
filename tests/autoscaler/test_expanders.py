"""Expanders over hand-built options (upstream cluster-autoscaler/expander/*)."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_simkube.engine.autoscaler import expanders
from pytest_simkube.engine.autoscaler.expanders import Context, Option, best_option, preferred_node_cores
from tests.autoscaler.builders import bare_pod
from tests.engine.builders import node


def option(group: str, count: int, pods: int, cpu: str = "4", memory: str = "16Gi", pod_cpu: str = "1",
           pod_memory: str = "1Gi", price: float = 0.2) -> Option:
    manifest = node(f"t-{group}", cpu, memory)
    manifest["status"]["capacity"] = dict(manifest["status"]["allocatable"])
    return Option(group, count, tuple(bare_pod(f"{group}-{i}", pod_cpu, pod_memory) for i in range(pods)),
                  manifest, price)


def ctx(seed: int = 0, **kw) -> Context:
    return Context(np.random.default_rng(seed), **kw)


def test_most_pods_keeps_the_options_that_schedule_the_most():
    options = [option("a", 1, 3), option("b", 2, 5), option("c", 3, 5)]
    assert [o.group for o in expanders.most_pods(options, ctx())] == ["b", "c"]


def test_least_nodes_keeps_the_smallest_count():
    options = [option("a", 2, 3), option("b", 1, 5), option("c", 1, 1)]
    assert [o.group for o in expanders.least_nodes(options, ctx())] == ["b", "c"]


def test_least_waste_scores_capacity_against_container_requests():
    # a: 4 pods of 1 cpu/1Gi on one 4cpu/16Gi node: cpu waste 0, memory waste 12/16.
    # b: same pods on one 8cpu/8Gi node: cpu waste 4/8, memory waste 4/8 -> 1.0 > 0.75.
    a = option("a", 1, 4)
    b = option("b", 1, 4, cpu="8", memory="8Gi")
    assert best_option([b, a], ["least-waste"], ctx()) is a


def test_price_prefers_cheaper_nodes_and_the_preferred_size():
    cheap = option("cheap", 1, 2, price=0.1)
    dear = option("dear", 1, 2, price=0.4)
    assert best_option([dear, cheap], ["price"], ctx(cluster_size=10)) is cheap
    # Same price and pods: only the unfitness differs; 4 cores is the preferred node for 10 nodes,
    # a 32-core node is 8x off it.
    four = option("four", 1, 2, cpu="4", price=0.2)
    thirty_two = option("big", 1, 2, cpu="32", memory="128Gi", price=0.2)
    assert preferred_node_cores(10) == 4
    assert best_option([thirty_two, four], ["price"], ctx(cluster_size=10)) is four


def test_priority_takes_the_highest_matching_tier_and_ignores_unmatched_groups():
    options = [option("spot-a", 1, 1), option("ondemand", 1, 1), option("gpu", 1, 1)]
    c = ctx(priorities=((50, ("^spot-.*",)), (10, ("ondemand", "gpu"))))
    assert best_option(options, ["priority"], c).group == "spot-a"
    c = ctx(priorities=((50, ("^nothing$",)), (10, ("^ondemand$",))))
    assert best_option(options, ["priority"], c).group == "ondemand"


def test_priority_without_any_match_falls_back_to_random_over_all():
    options = [option("a", 1, 1), option("b", 1, 1)]
    unmatched = ((1, ("zzz",)),)
    picks = {best_option(options, ["priority"], ctx(seed, priorities=unmatched)).group for seed in range(20)}
    assert picks == {"a", "b"}


def test_chain_applies_filters_in_order_then_breaks_ties_with_the_seeded_rng():
    options = [option("a", 1, 5), option("b", 1, 5), option("c", 1, 2)]
    chosen = [best_option(options, ["most-pods"], ctx(seed)).group for seed in range(30)]
    assert set(chosen) == {"a", "b"}
    assert chosen == [best_option(options, ["most-pods"], ctx(seed)).group for seed in range(30)]
    # least-nodes first keeps all three (1 node each), most-pods then keeps a and b.
    assert best_option(options, ["least-nodes", "most-pods"], ctx(3)).group in {"a", "b"}


def test_random_picks_every_option_over_seeds():
    options = [option(g, 1, 1) for g in "abc"]
    assert {best_option(options, ["random"], ctx(seed)).group for seed in range(40)} == {"a", "b", "c"}


def test_no_options_no_choice_and_unknown_expanders_are_refused():
    assert best_option([], ["least-waste"], ctx()) is None
    with pytest.raises(ValueError):
        best_option([option("a", 1, 1), option("b", 1, 1)], ["grpc"], ctx())
