"""How many template nodes a group needs for a set of pending pods: CA's binpacking estimator.

Upstream ``estimator/binpacking_estimator.go`` (First-Fit Decreasing):

* pods come in *equivalence groups* (same controller, same spec:
  ``core/scaleup/equivalence/groups.go``), ordered by ``decreasing_pod_orderer.go``: score
  ``cpu request / template allocatable cpu + memory request / template allocatable memory`` of
  the group's first pod, highest first;
* for each group, pods first try every node added in this estimation
  (``tryToScheduleOnExistingNodes``, stopping at the group's first miss), then the rest go
  to the *last* added node only, else to a new template node; a pod that does not fit an
  empty fresh node stops the search, since another copy would not help either
  (``tryToScheduleOnNewNodes``);
* new nodes are limited by the threshold-based limiter (``estimator/threshold_based_limiter.go``:
  ``max-nodes-per-scaleup``, room left in the group, room left under ``max-nodes-total``).

The result is the number of new nodes that received pods (``newNodesWithPods``) and the
pods that found a place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pytest_simkube.engine.autoscaler.simulator import ClusterSimulation
from pytest_simkube.kube.pods import PodInfo
from pytest_simkube.kube.requests import CPU, MEMORY


@dataclass
class PodEquivalenceGroup:
    """Pods of one controller with an identical spec; the first one stands for all."""

    pods: list[PodInfo] = field(default_factory=list)

    @property
    def exemplar(self) -> PodInfo:
        return self.pods[0]


def _controller(info: PodInfo) -> tuple[str, str] | None:
    for ref in (info.raw.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("kind", "")), str(ref.get("name", ""))
    return None


def _spec_key(info: PodInfo) -> str:
    spec = {k: v for k, v in info.spec.items() if k not in ("nodeName",)}
    return json.dumps([spec, info.labels], sort_keys=True, default=str)


def equivalence_key(info: PodInfo) -> tuple[object, ...]:
    """Pods with equal keys are interchangeable for scheduling decisions."""
    owner = _controller(info)
    return (info.namespace, owner, _spec_key(info)) if owner else ("pod", info.key)


def equivalence_groups(pods: Sequence[PodInfo]) -> list[PodEquivalenceGroup]:
    """``BuildPodGroups``: pods with the same controller and the same spec share a group;
    pods without a controller are alone. Groups keep the order of their first pod."""
    groups: dict[tuple[object, ...], PodEquivalenceGroup] = {}
    ordered: list[PodEquivalenceGroup] = []
    for info in pods:
        key = equivalence_key(info)
        group = groups.get(key)
        if group is None:
            group = groups[key] = PodEquivalenceGroup()
            ordered.append(group)
        group.pods.append(info)
    return ordered


def order_decreasing(groups: Sequence[PodEquivalenceGroup], template_cpu: int, template_memory: int
                     ) -> list[PodEquivalenceGroup]:
    """``DecreasingPodOrderer``: biggest share of the template node first (stable on ties)."""

    def score(group: PodEquivalenceGroup) -> float:
        requests = group.exemplar.requests
        cpu = requests.get(CPU, 0) / template_cpu if template_cpu else 0.0
        memory = requests.get(MEMORY, 0) / template_memory if template_memory else 0.0
        return cpu + memory

    return sorted(groups, key=score, reverse=True)


@dataclass
class Estimate:
    node_count: int
    pods: list[PodInfo]
    node_names: list[str]


class BinpackingEstimator:
    """One estimation over a simulation; ``add_template_node()`` adds a node and returns its name."""

    def __init__(self, sim: ClusterSimulation, max_nodes: int) -> None:
        self.sim = sim
        self.max_nodes = max_nodes

    def estimate(self, groups: Sequence[PodEquivalenceGroup], add_template_node: Callable[[], str],
                 template_cpu: int, template_memory: int) -> Estimate:
        new_nodes: list[str] = []
        nodes_with_pods: set[str] = set()
        scheduled: list[PodInfo] = []
        last_node = ""
        for group in order_decreasing(groups, template_cpu, template_memory):
            remaining = list(group.pods)
            # tryToScheduleOnExistingNodes: nodes added so far, until the first pod that misses.
            index = 0
            while index < len(remaining) and new_nodes:
                node = self.sim.schedule_anywhere(remaining[index], only=new_nodes)
                if node is None:
                    break
                scheduled.append(remaining[index])
                nodes_with_pods.add(node)
                index += 1
            # tryToScheduleOnNewNodes
            for pod in remaining[index:]:
                if last_node and self.sim.schedule_on(pod, last_node):
                    scheduled.append(pod)
                    nodes_with_pods.add(last_node)
                    continue
                if last_node and last_node not in nodes_with_pods:
                    break
                if len(new_nodes) >= self.max_nodes:
                    break
                last_node = add_template_node()
                new_nodes.append(last_node)
                if self.sim.schedule_on(pod, last_node):
                    scheduled.append(pod)
                    nodes_with_pods.add(last_node)
        used = [name for name in new_nodes if name in nodes_with_pods]
        return Estimate(len(used), scheduled, used)
