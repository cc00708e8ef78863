"""Expanders: which node group grows when several could help (``cluster-autoscaler/expander``).

An *option* is one group with the node count and pods the estimator found for it. Each
expander is a filter that keeps the best options (``expander.Filter.BestOptions``); the
``--expander`` flag chains filters left to right and the remaining ties go to the
``random`` strategy (``expander/factory/chain.go``), drawn here from the run's seeded RNG.

* ``random`` (``expander/random/random.go``): any option.
* ``most-pods`` (``expander/mostpods/mostpods.go``): the most pods scheduled.
* ``least-nodes`` (``expander/leastnodes/leastnodes.go``): the fewest new nodes.
* ``least-waste`` (``expander/waste/waste.go``): the smallest
  ``(cpuCapacity*N - Σcpu)/(cpuCapacity*N) + (memCapacity*N - Σmem)/(memCapacity*N)``,
  node *capacity* against the pods' container requests.
* ``price`` (``expander/price/price.go``): the smallest
  ``suppressedUnfitness * (N*nodePrice + stab) / (ΣpodPrice + stab)`` over one hour, where
  ``stab`` is the price of a 500m/500Mi pod, unfitness compares the template's cores with the
  preferred node for the cluster size (``expander/price/preferred.go``), and
  ``suppressed = (unfitness - 1)(1 - tanh((N - 1)/15)) + 1``.
* ``priority`` (``expander/priority/priority.go``): options whose group id matches a regexp of
  the highest priority tier; when no option matches any tier, all stay.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_simkube.kube.quantity import quantity_milli_value, quantity_value

# Pod price model of the embedded cloud: GCE's on-demand list prices, which CA's GCE provider
# uses for PodPrice (cloudprovider/gce/gce_price_model.go: cpuPricePerHour, memoryPricePerHourPerGb).
CPU_PRICE_PER_HOUR = 0.033174
MEMORY_PRICE_PER_GB_HOUR = 0.004446
GB = 1_000_000_000
STABILIZATION_POD = (500, 500 * 2**20)  # price.go stabilizationPod: 500m cpu, 500Mi
NOT_EXIST_COEFFICIENT = 2.0
GPU_UNFITNESS_OVERRIDE = 1000.0
GPU_RESOURCE = "nvidia.com/gpu"


@dataclass(frozen=True)
class Option:
    """``expander.Option``: grow ``group`` by ``node_count`` for ``pods`` (manifests)."""

    group: str
    node_count: int
    pods: tuple[dict[str, Any], ...]
    node: dict[str, Any]
    """The group's template node manifest."""
    node_price_per_hour: float = 0.0
    exists: bool = True

    @property
    def pod_keys(self) -> list[str]:
        return [f"{(p.get('metadata') or {}).get('namespace', 'default')}/{p['metadata']['name']}"
                for p in self.pods]


def container_requests(pod: dict[str, Any]) -> tuple[int, int]:
    """CPU millicores and memory bytes summed over regular containers (waste.go resourcesForPods)."""
    cpu = memory = 0
    for container in (pod.get("spec") or {}).get("containers") or ():
        requests = (container.get("resources") or {}).get("requests") or {}
        cpu += quantity_milli_value(requests.get("cpu", 0))
        memory += quantity_value(requests.get("memory", 0))
    return cpu, memory


def node_capacity(node: dict[str, Any]) -> tuple[int, int]:
    """``status.capacity`` cpu (millicores) and memory (bytes); allocatable when absent."""
    status = node.get("status") or {}
    capacity = status.get("capacity") or status.get("allocatable") or {}
    return quantity_milli_value(capacity.get("cpu", 0)), quantity_value(capacity.get("memory", 0))


class Context:
    """What the filters may consult besides the options."""

    def __init__(self, rng: np.random.Generator, cluster_size: int = 0,
                 priorities: Sequence[tuple[int, Sequence[str]]] = ()) -> None:
        self.rng = rng
        self.cluster_size = cluster_size
        self.priorities = [(level, [re.compile(p) for p in patterns]) for level, patterns in priorities]


def _keep_min(options: Sequence[Option], scores: Sequence[float]) -> list[Option]:
    best = min(scores)
    return [o for o, s in zip(options, scores, strict=True) if s == best]


def most_pods(options: Sequence[Option], ctx: Context) -> list[Option]:
    most = max(len(o.pods) for o in options)
    return [o for o in options if len(o.pods) == most]


def least_nodes(options: Sequence[Option], ctx: Context) -> list[Option]:
    return _keep_min(options, [o.node_count for o in options])


def least_waste(options: Sequence[Option], ctx: Context) -> list[Option]:
    scores = []
    kept = []
    for option in options:
        cpu, memory = node_capacity(option.node)
        available_cpu, available_memory = cpu * option.node_count, memory * option.node_count
        if available_cpu <= 0 or available_memory <= 0:
            continue
        requested = [container_requests(p) for p in option.pods]
        wasted_cpu = (available_cpu - sum(r[0] for r in requested)) / available_cpu
        wasted_memory = (available_memory - sum(r[1] for r in requested)) / available_memory
        scores.append(wasted_cpu + wasted_memory)
        kept.append(option)
    return _keep_min(kept, scores) if kept else list(options)


def pod_price(cpu_milli: int, memory_bytes: int, hours: float = 1.0) -> float:
    return (cpu_milli / 1000 * CPU_PRICE_PER_HOUR + memory_bytes / GB * MEMORY_PRICE_PER_GB_HOUR) * hours


def preferred_node_cores(cluster_size: int) -> int:
    """``SimplePreferredNodeProvider``: 1/2/4/8/16/32 cores for ≤2/≤6/≤20/≤60/≤200/more nodes."""
    for limit, cores in ((2, 1), (6, 2), (20, 4), (60, 8), (200, 16)):
        if cluster_size <= limit:
            return cores
    return 32


def price(options: Sequence[Option], ctx: Context) -> list[Option]:
    stabilization = pod_price(*STABILIZATION_POD)
    preferred_cpu = preferred_node_cores(ctx.cluster_size) * 1000
    scores = []
    for option in options:
        total_node_price = option.node_price_per_hour * option.node_count
        total_pod_price = sum(pod_price(*container_requests(p)) for p in option.pods)
        price_sub_score = (total_node_price + stabilization) / (total_pod_price + stabilization)
        node_cpu, _ = node_capacity(option.node)
        node_cpu = max(node_cpu, 1)
        unfitness = node_cpu / preferred_cpu if node_cpu > preferred_cpu else preferred_cpu / node_cpu
        suppressed = (unfitness - 1.0) * (1.0 - math.tanh((option.node_count - 1) / 15.0)) + 1.0
        capacity = (option.node.get("status") or {}).get("capacity") or {}
        if quantity_value(capacity.get(GPU_RESOURCE, 0)) > 0:
            suppressed = GPU_UNFITNESS_OVERRIDE
        score = suppressed * price_sub_score
        if not option.exists:
            score *= NOT_EXIST_COEFFICIENT
        scores.append(score)
    return _keep_min(options, scores)


def priority(options: Sequence[Option], ctx: Context) -> list[Option]:
    best: list[Option] = []
    best_level: int | None = None
    for option in options:
        for level, patterns in ctx.priorities:
            if best_level is not None and level < best_level:
                continue
            if not any(p.search(option.group) for p in patterns):
                continue
            if best_level is None or level > best_level:
                best_level, best = level, []
            best.append(option)
            break
    return best or list(options)


def random_choice(options: Sequence[Option], ctx: Context) -> Option:
    """``random.BestOption``: a uniform pick (from the run's seeded generator)."""
    return options[int(ctx.rng.integers(len(options)))] if len(options) > 1 else options[0]


FILTERS = {
    "most-pods": most_pods,
    "least-nodes": least_nodes,
    "least-waste": least_waste,
    "price": price,
    "priority": priority,
    "random": lambda options, ctx: list(options),
}


def best_option(options: Sequence[Option], chain: Sequence[str], ctx: Context) -> Option | None:
    """``chainStrategy.BestOption``: apply the filters in order, stop at a single option,
    then break the remaining tie at random."""
    remaining = list(options)
    if not remaining:
        return None
    for name in chain:
        if name not in FILTERS:
            raise ValueError(f"expander {name!r} is not available in the embedded engine")
        remaining = FILTERS[name](remaining, ctx)
        if len(remaining) == 1:
            return remaining[0]
        if not remaining:
            return None
    return random_choice(remaining, ctx)
