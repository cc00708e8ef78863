"""Scale-up: choose one node group and a node count for the pods nobody can place.

Upstream ``core/scaleup/orchestrator/orchestrator.go`` ``ScaleUp``:

1. skip groups at their max size and groups whose one more node would break
   ``cores-total`` / ``memory-total`` (``resource/manager.go``);
2. per group, keep the pod equivalence groups whose first pod passes the scheduler's
   predicates on a template node (``SchedulablePodGroups``), then run the estimator
   (``computeExpansionOption``); an option needs at least one pod and one node;
3. the expander chain picks one option;
4. the node count is capped by ``max-nodes-total`` (``GetCappedNewNodeCount`` over registered
   plus upcoming nodes), the resource limits and the group's max size, and the group's
   target grows by that much (``executeScaleUp`` → ``IncreaseSize``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_simkube.config.autoscaler import AutoscalerOptions
from pytest_simkube.engine.autoscaler import expanders
from pytest_simkube.engine.autoscaler.estimator import BinpackingEstimator, PodEquivalenceGroup
from pytest_simkube.engine.autoscaler.simulator import ClusterSimulation
from pytest_simkube.engine.autoscaler.upcoming import TemplateNodes, template_manifest
from pytest_simkube.engine.objects import node_allocatable

GIB = 2**30


@dataclass
class ScaleUpPlan:
    group: str
    delta: int
    pods: list[str]


@dataclass
class ClusterResources:
    """Node count, cores and memory of every registered or upcoming node."""

    nodes: int
    cores: int
    memory: int


def node_cores_and_memory(manifest: dict[str, Any]) -> tuple[int, int]:
    """Whole cores (rounded up, as ``Quantity.Value()``) and memory bytes of a node's capacity."""
    cpu_milli, memory = expanders.node_capacity(manifest)
    return math.ceil(cpu_milli / 1000), memory


def resource_room(options: AutoscalerOptions, used: ClusterResources, template: dict[str, Any]) -> int:
    """How many more template nodes fit under ``cores-total`` and ``memory-total``."""
    cores, memory = node_cores_and_memory(template)
    room = math.inf
    if cores > 0:
        room = min(room, (options.cores_total[1] - used.cores) // cores)
    if memory > 0:
        room = min(room, (options.memory_total[1] * GIB - used.memory) // memory)
    return int(max(room, 0)) if room != math.inf else 1 << 30


def plan_scale_up(api: Any, options: AutoscalerOptions, sim: ClusterSimulation, templates: TemplateNodes,
                  pod_groups: Sequence[PodEquivalenceGroup], used: ClusterResources,
                  ctx: expanders.Context, backed_off: Callable[[str], bool] = lambda _group: False
                  ) -> ScaleUpPlan | None:
    """The scale-up the orchestrator would execute now, or None. Groups for which
    ``backed_off`` is true are skipped (``IsNodeGroupSafeToScaleUp``: "node group is backed off")."""
    option_list: list[expanders.Option] = []
    for state in api.node_groups():
        spec = state.spec
        if state.target >= spec.max_size:
            continue  # "max size reached"
        if backed_off(spec.name):
            continue
        template = template_manifest(spec, f"template-node-for-{spec.name}")
        room = resource_room(options, used, template)
        if room < 1:
            continue  # "max cluster cpu/memory limit reached"
        limit = min(options.max_nodes_per_scaleup, spec.max_size - state.target, room)
        if options.max_nodes_total > 0:
            limit = min(limit, options.max_nodes_total - used.nodes)
        if limit < 1:
            continue
        checkpoint = sim.checkpoint()
        probe = templates.add(sim, spec)
        schedulable = [g for g in pod_groups if sim.check(g.exemplar, probe).is_success()]
        sim.revert(checkpoint)
        if not schedulable:
            continue
        template_cpu, template_mem, _ = node_allocatable(template)
        checkpoint = sim.checkpoint()
        estimator = BinpackingEstimator(sim, limit)
        estimate = estimator.estimate(schedulable, lambda spec=spec: templates.add(sim, spec),
                                      template_cpu, template_mem)
        sim.revert(checkpoint)
        if estimate.node_count > 0 and estimate.pods:
            option_list.append(expanders.Option(
                group=spec.name, node_count=estimate.node_count, pods=tuple(p.raw for p in estimate.pods),
                node=template, node_price_per_hour=float(spec.price_per_hour), exists=True))
    best = expanders.best_option(option_list, options.expanders, ctx)
    if best is None:
        return None
    state = api.node_group(best.group)
    delta = best.node_count
    if options.max_nodes_total > 0:
        delta = min(delta, options.max_nodes_total - used.nodes)
    delta = min(delta, resource_room(options, used, best.node), state.spec.max_size - state.target)
    if delta < 1:
        return None
    return ScaleUpPlan(best.group, delta, best.pod_keys)
