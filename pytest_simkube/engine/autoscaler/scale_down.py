"""Scale-down: which nodes are unneeded, for how long, and which ones go in this loop.

Upstream pieces, each reproduced here:

* ``core/scaledown/eligibility/eligibility.go``: a node is a candidate when it belongs to a
  node group, is not annotated ``cluster-autoscaler.kubernetes.io/scale-down-disabled``, and
  its utilisation is below the group's ``scale-down-utilization-threshold``. Utilisation is
  ``max(Σcpu requests / allocatable cpu, Σmemory requests / allocatable memory)``
  (``simulator/utilization/info.go``), DaemonSet / mirror pods left out of both sides when
  ``ignore-daemonsets-utilization`` / ``ignore-mirror-pods-utilization`` say so.
* ``simulator/drainability/rules/rules.go``: each pod on the node goes through the rules in
  upstream order — mirror pods are skipped; DaemonSet pods, pods annotated
  ``safe-to-evict: "true"`` and terminal pods never block; then a pod blocks the drain when it
  has no replicating controller (``replicated``), runs in kube-system without a PDB
  (``system``), is annotated ``safe-to-evict: "false"`` (``notsafetoevict``), uses local
  storage — hostPath or a non-memory emptyDir not listed in ``safe-to-evict-local-volumes``
  (``localstorage``), or matches a PDB with no disruptions left (``pdb``).
* ``simulator/cluster.go`` ``SimulateNodeRemoval``/``findPlaceFor``: every pod to move must
  pass the scheduler's predicates on another node that is not itself going away; the
  destinations are booked, so the next candidate sees them (``planner/planner.go``
  ``categorizeNodes``), and the PDB budget of moved pods is spent
  (``RemainingPdbTracker.RemovePods``). Nodes that fail this simulation are not retried for
  ``unremovable-node-recheck-timeout``. Nodes already unneeded are simulated first, and the
  search stops at ``unneededNodesLimit`` unneeded nodes.
* ``core/scaledown/legacy/scale_down.go`` ``UpdateUnneededNodes``: of the nodes that were not
  unneeded before, only ``scale-down-non-empty-candidates-count`` minus the unneeded nodes
  already confirmed are looked for, and only among the first
  ``max(ceil(nodes * scale-down-candidates-pool-ratio), scale-down-candidates-pool-min-count)``
  of them.
* Upstream bounds a loop's simulation by ``scale-down-simulation-timeout`` (wall time); the
  model instead skips the simulation when its inputs are the same as in the last loop — the
  nodes, their pods, PDB budgets, the unremovable and unneeded sets — since the answer would
  be the same.
* ``core/scaledown/unneeded/nodes.go``: a node stays unneeded since the first loop that found
  it so; it is removable after ``scale-down-unneeded-time`` (per group), while the group stays
  above its min size (``RemovableAt``).
* ``core/scaledown/budgets/budgets.go`` ``CropNodes``: at most ``max-scale-down-parallelism``
  nodes per loop, empty nodes first, of which at most ``max-drain-parallelism`` need a drain;
  ``max-empty-bulk-delete`` also caps empty ones when the scenario sets it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.engine.autoscaler.simulator import ClusterSimulation, PodInfoCache
from pytest_simkube.engine.objects import KubeObject, Node, Pod, match_label_selector

SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
SAFE_TO_EVICT_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
SCALE_DOWN_DISABLED = "cluster-autoscaler.kubernetes.io/scale-down-disabled"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
REPLICATED_KINDS = frozenset({"ReplicationController", "Job", "ReplicaSet", "StatefulSet"})

# Blocking reasons, named as utils/drain/drain.go BlockingPodReason prints them.
NOT_REPLICATED = "NotReplicated"
UNMOVABLE_KUBE_SYSTEM_POD = "UnmovableKubeSystemPod"
NOT_SAFE_TO_EVICT = "NotSafeToEvictAnnotation"
LOCAL_STORAGE_REQUESTED = "LocalStorageRequested"
NOT_ENOUGH_PDB = "NotEnoughPdb"
NO_PLACE_TO_MOVE_PODS = "NoPlaceToMovePods"


def _annotations(pod: Pod) -> dict[str, str]:
    return (pod.manifest.get("metadata") or {}).get("annotations") or {}


def _labels(pod: Pod) -> dict[str, str]:
    return (pod.manifest.get("metadata") or {}).get("labels") or {}


def is_mirror_pod(pod: Pod) -> bool:
    return MIRROR_ANNOTATION in _annotations(pod)


def is_daemonset_pod(pod: Pod) -> bool:
    return pod.owner_kind == "DaemonSet"


@dataclass(frozen=True)
class RequestSums:
    """Σ cpu/memory requests of a node's pods, and the DaemonSet and mirror pods' share."""

    cpu: int = 0
    memory: int = 0
    daemonset_cpu: int = 0
    daemonset_memory: int = 0
    mirror_cpu: int = 0
    mirror_memory: int = 0


def request_sums(pods: Iterable[Pod]) -> RequestSums:
    cpu = memory = ds_cpu = ds_memory = mirror_cpu = mirror_memory = 0
    for pod in pods:
        cpu += pod.cpu
        memory += pod.memory
        if is_daemonset_pod(pod):
            ds_cpu += pod.cpu
            ds_memory += pod.memory
        if is_mirror_pod(pod):
            mirror_cpu += pod.cpu
            mirror_memory += pod.memory
    return RequestSums(cpu, memory, ds_cpu, ds_memory, mirror_cpu, mirror_memory)


def utilization_of(node: Node, sums: RequestSums, *, ignore_daemonsets: bool = False,
                   ignore_mirror: bool = False) -> float:
    """``utilization.Calculate``: the larger of the cpu and memory request ratios; ignored
    pods leave both the requests and the allocatable."""
    ratios = []
    for alloc, total, ds, mirror in ((node.cpu, sums.cpu, sums.daemonset_cpu, sums.mirror_cpu),
                                     (node.memory, sums.memory, sums.daemonset_memory, sums.mirror_memory)):
        if alloc <= 0:
            return 1.0  # upstream errors out and the node is not a candidate
        excluded = (ds if ignore_daemonsets else 0) + (mirror if ignore_mirror else 0)
        denominator = alloc - excluded
        ratios.append((total - excluded) / denominator if denominator > 0 else 1.0)
    return max(ratios)


def utilization(node: Node, pods: Sequence[Pod], *, ignore_daemonsets: bool = False,
                ignore_mirror: bool = False) -> float:
    return utilization_of(node, request_sums(pods), ignore_daemonsets=ignore_daemonsets,
                          ignore_mirror=ignore_mirror)


class RequestSumsCache:
    """Per-node request sums, recomputed only when the node's set of pods changed: every
    loop looks at every node, and most nodes did not change since the last one."""

    def __init__(self, lookup: Callable[[str], Pod | None]) -> None:
        self._lookup = lookup
        self._cache: dict[str, tuple[set[str], RequestSums]] = {}

    def sums(self, node: Node) -> RequestSums:
        cached = self._cache.get(node.name)
        if cached is not None and cached[0] == node.pods:
            return cached[1]
        pods = (self._lookup(key) for key in node.pods)
        sums = request_sums(p for p in pods if p is not None and p.active)
        self._cache[node.name] = (set(node.pods), sums)
        return sums

    def forget_missing(self, alive: Iterable[str]) -> None:
        keep = set(alive)
        for name in [n for n in self._cache if n not in keep]:
            del self._cache[name]


class RemainingPdbTracker:
    """``pdb.BasicRemainingPdbTracker``: disruptions still allowed per PDB in this loop."""

    def __init__(self, pdbs: Iterable[KubeObject], disruptions_allowed: Callable[[KubeObject], int]) -> None:
        self._budgets: list[list[Any]] = []
        for pdb in pdbs:
            meta = pdb.get("metadata") or {}
            selector = (pdb.get("spec") or {}).get("selector") or {}
            self._budgets.append([meta.get("namespace", "default"), selector, disruptions_allowed(pdb)])

    def matching(self, pod: Pod) -> list[list[Any]]:
        labels = _labels(pod)
        return [b for b in self._budgets if b[0] == pod.namespace and match_label_selector(b[1], labels)]

    def can_remove(self, pods: Sequence[Pod]) -> bool:
        needed: dict[int, int] = {}
        for pod in pods:
            for budget in self.matching(pod):
                needed[id(budget)] = needed.get(id(budget), 0) + 1
                if budget[2] < needed[id(budget)]:
                    return False
        return True

    def budgets(self) -> tuple[int, ...]:
        """Disruptions allowed per PDB, in PDB order: part of what a simulation depends on."""
        return tuple(b[2] for b in self._budgets)

    def remove_pods(self, pods: Sequence[Pod]) -> None:
        for pod in pods:
            for budget in self.matching(pod):
                budget[2] -= 1


@dataclass
class DrainOptions:
    skip_nodes_with_system_pods: bool = True
    skip_nodes_with_local_storage: bool = True
    skip_nodes_with_custom_controller_pods: bool = True


def has_blocking_local_storage(pod: Pod) -> bool:
    """``drain.HasBlockingLocalStorage``: hostPath or non-memory emptyDir volumes not listed
    in the ``safe-to-evict-local-volumes`` annotation."""
    listed = _annotations(pod).get(SAFE_TO_EVICT_LOCAL_VOLUMES, "")
    allowed = {v.strip() for v in listed.split(",") if v.strip()}
    for volume in (pod.manifest.get("spec") or {}).get("volumes") or ():
        if volume.get("name") in allowed:
            continue
        if "hostPath" in volume:
            return True
        empty_dir = volume.get("emptyDir")
        if empty_dir is not None and (empty_dir or {}).get("medium") != "Memory":
            return True
    return False


def drain_blocker(pod: Pod, tracker: RemainingPdbTracker, options: DrainOptions) -> str | None:
    """The rules chain for one non-mirror, non-DaemonSet, active pod: a blocking reason or None."""
    annotations = _annotations(pod)
    if annotations.get(SAFE_TO_EVICT) == "true":
        return None
    owner_ok = bool(pod.owner_kind) and (
        not options.skip_nodes_with_custom_controller_pods or pod.owner_kind in REPLICATED_KINDS)
    if not owner_ok:
        return NOT_REPLICATED
    if options.skip_nodes_with_system_pods and pod.namespace == "kube-system" and not tracker.matching(pod):
        return UNMOVABLE_KUBE_SYSTEM_POD
    if annotations.get(SAFE_TO_EVICT) == "false":
        return NOT_SAFE_TO_EVICT
    if options.skip_nodes_with_local_storage and has_blocking_local_storage(pod):
        return LOCAL_STORAGE_REQUESTED
    if any(budget[2] < 1 for budget in tracker.matching(pod)):
        return NOT_ENOUGH_PDB
    return None


@dataclass
class Drain:
    """``GetPodsToMove``: pods to reschedule, DaemonSet pods, or the pod that blocks."""

    pods: list[Pod] = field(default_factory=list)
    daemonset_pods: list[Pod] = field(default_factory=list)
    blocking: tuple[str, str] | None = None


def pods_to_move(pods: Sequence[Pod], tracker: RemainingPdbTracker, options: DrainOptions) -> Drain:
    result = Drain()
    for pod in pods:
        if is_mirror_pod(pod) or not pod.active:
            continue
        if is_daemonset_pod(pod):
            result.daemonset_pods.append(pod)
            continue
        reason = drain_blocker(pod, tracker, options)
        if reason is not None:
            result.blocking = (pod.key, reason)
            return result
        result.pods.append(pod)
    return result


@dataclass
class NodeToRemove:
    node: str
    group: str
    pods: list[str]
    """Pods that must be rescheduled (empty for an empty node)."""


class UnneededNodes:
    """``unneeded.Nodes``: since when each node has been found unneeded without a break."""

    def __init__(self) -> None:
        self.since: dict[str, float] = {}
        self.nodes: dict[str, NodeToRemove] = {}

    def update(self, removable: Sequence[NodeToRemove], now: float) -> None:
        since = {}
        for item in removable:
            since[item.node] = self.since.get(item.node, now)
        self.since = since
        self.nodes = {item.node: item for item in removable}

    def removable_at(self, now: float, unneeded_time: Callable[[str], float],
                     group_sizes: dict[str, int], group_min: Callable[[str], int]) -> list[NodeToRemove]:
        """``RemovableAt``: unneeded long enough and the group stays at or above its min."""
        sizes = dict(group_sizes)
        out = []
        for name in sorted(self.nodes, key=lambda n: (self.since[n], n)):
            item = self.nodes[name]
            if self.since[name] + unneeded_time(item.group) > now:
                continue
            if sizes.get(item.group, 0) <= group_min(item.group):
                continue
            sizes[item.group] = sizes.get(item.group, 0) - 1
            out.append(item)
        return out


@dataclass
class PlannerSettings:
    threshold: Callable[[str], float]
    ignore_daemonsets: Callable[[str], bool]
    ignore_mirror: bool
    drain: DrainOptions
    recheck_timeout: float
    max_parallelism: int = 10
    unneeded_time: float = 600.0
    scan_interval: float = 10.0
    non_empty_candidates_count: int = 30
    candidates_pool_ratio: float = 0.1
    candidates_pool_min_count: int = 50

    def candidates_pool_size(self, nodes: int, others: int) -> int:
        """How many not-yet-unneeded nodes may be simulated: ``max(ceil(nodes * ratio), min count)``,
        at most all of them (a ratio of 1.0 turns the heuristic off)."""
        size = max(math.ceil(nodes * self.candidates_pool_ratio), self.candidates_pool_min_count)
        return min(size, others)

    def unneeded_nodes_limit(self, unneeded: int) -> int:
        """``unneededNodesLimit``: finding more unneeded nodes than can be deleted before they
        are needed is wasted work: ``unneeded + 2N``, at most ``N * (U / I) + N`` for
        N = max-scale-down-parallelism, U = scale-down-unneeded-time, I = scan interval."""
        n = self.max_parallelism
        loops = int(max(self.unneeded_time, self.scan_interval) // self.scan_interval)
        return min(unneeded + 2 * n, n * loops + n)


class ScaleDownPlanner:
    """``planner.Planner``: keeps the unneeded set current and picks nodes to delete."""

    def __init__(self, settings: PlannerSettings, pod_cache: PodInfoCache,
                 lookup: Callable[[str], Pod | None]) -> None:
        self.settings = settings
        self.pod_cache = pod_cache
        self.sums = RequestSumsCache(lookup)
        self.unneeded = UnneededNodes()
        self.unremovable_until: dict[str, float] = {}
        self.last_reasons: dict[str, str] = {}
        """Why each candidate was not unneeded in the last update (for tests and docs)."""
        self.simulations_run = 0
        self.simulations_skipped = 0
        self._last_inputs: tuple[Hashable, ...] | None = None
        self._simulation_reasons: dict[str, str] = {}
        self._manifest_texts: dict[str, tuple[KubeObject, str]] = {}

    def candidates(self, nodes: Sequence[Node]) -> list[Node]:
        """Ready group nodes below their group's threshold, not annotated against scale-down."""
        self.last_reasons = {}
        out = []
        for node in nodes:
            if not node.group or not node.ready or node.removing:
                continue
            annotations = (node.manifest.get("metadata") or {}).get("annotations") or {}
            if annotations.get(SCALE_DOWN_DISABLED) == "true":
                self.last_reasons[node.name] = "ScaleDownDisabledAnnotation"
                continue
            util = utilization_of(node, self.sums.sums(node),
                                  ignore_daemonsets=self.settings.ignore_daemonsets(node.group),
                                  ignore_mirror=self.settings.ignore_mirror)
            if util >= self.settings.threshold(node.group):
                self.last_reasons[node.name] = "NotUnderutilized"
                continue
            out.append(node)
        return out

    def update(self, now: float, nodes: Sequence[Node], pods_on: Callable[[str], list[Pod]],
               tracker: RemainingPdbTracker, simulation: Callable[[], ClusterSimulation]) -> None:
        """``UpdateClusterState``: simulate removing the candidates, already-unneeded nodes first."""
        self.unremovable_until = {n: t for n, t in self.unremovable_until.items() if t > now}
        candidates = self.candidates(nodes)
        limit = self.settings.unneeded_nodes_limit(len(self.unneeded.since))
        if not candidates:
            self._last_inputs = None
            self.unneeded.update([], now)
            return
        # The same inputs as the last simulated loop give the same answer: that loop's.
        inputs = self._inputs(nodes, tracker.budgets(), limit)
        if inputs == self._last_inputs:
            self.simulations_skipped += 1
            self.last_reasons.update(self._simulation_reasons)
            self.unneeded.update(list(self.unneeded.nodes.values()), now)
            return
        eligibility = dict(self.last_reasons)
        fresh = []
        for node in candidates:
            if node.name in self.unremovable_until:
                self.last_reasons[node.name] = "RecentlyUnremovable"
            else:
                fresh.append(node)
        # chooseCandidates: nodes already unneeded are all re-checked; the others only up to
        # the non-empty candidates count, within the candidates pool.
        previous = [n for n in fresh if n.name in self.unneeded.since]
        others = [n for n in fresh if n.name not in self.unneeded.since]
        removable: list[NodeToRemove] = []
        search = _Search(self, now, pods_on, tracker, simulation)
        for node in previous:
            if len(removable) >= limit:
                self.last_reasons[node.name] = "UnneededNodesLimit"
                continue
            search.try_node(node, removable)
        wanted = min(self.settings.non_empty_candidates_count - len(removable), len(others))
        pool = self.settings.candidates_pool_size(len(nodes), len(others))
        found = 0
        for index, node in enumerate(others):
            if len(removable) >= limit:
                self.last_reasons[node.name] = "UnneededNodesLimit"
            elif index >= pool or found >= wanted:
                self.last_reasons[node.name] = "CandidatesPoolLimit"
            elif search.try_node(node, removable):
                found += 1
        self.unneeded.update(removable, now)
        self.simulations_run += 1
        self._simulation_reasons = {n: r for n, r in self.last_reasons.items() if n not in eligibility}
        self._last_inputs = inputs

    def forget_missing_nodes(self, alive: Iterable[str]) -> None:
        """Drop what is kept per node for nodes that are gone."""
        keep = set(alive)
        self.sums.forget_missing(keep)
        for name in [n for n in self._manifest_texts if n not in keep]:
            del self._manifest_texts[name]

    def forget_last_simulation(self) -> None:
        """Make the next update simulate even if nothing changed (benchmarks time that path)."""
        self._last_inputs = None

    def _inputs(self, nodes: Sequence[Node], budgets: tuple[int, ...], limit: int) -> tuple[Hashable, ...]:
        """Everything an update's outcome depends on besides the clock: each node's state,
        labels, taints and annotations and its pods, the PDB budgets, the nodes recently found
        unremovable and those already unneeded, and the unneeded-nodes limit."""
        cluster = tuple((n.name, n.ready, n.removing, n.group, frozenset(n.pods), self._manifest_text(n))
                        for n in nodes)
        return (cluster, budgets, frozenset(self.unremovable_until), frozenset(self.unneeded.since), limit)

    def _manifest_text(self, node: Node) -> str:
        """The node's metadata and spec as text, kept per manifest object: node updates
        replace the manifest (``NodeManager.update_node`` changes a copy), so the text of an
        unchanged node is computed once, not every loop."""
        cached = self._manifest_texts.get(node.name)
        if cached is not None and cached[0] is node.manifest:
            return cached[1]
        text = repr(node.manifest.get("metadata")) + repr(node.manifest.get("spec"))
        self._manifest_texts[node.name] = (node.manifest, text)
        return text

    def _find_place(self, sim: ClusterSimulation, node: str, pods: Sequence[Pod], gone: set[str]) -> bool:
        """``findPlaceFor``: move each pod to another live node; keep the moves on success."""
        checkpoint = sim.checkpoint()
        moving = []
        for pod in pods:
            if pod.key in sim.snapshot.pods:
                sim.remove_pod(pod.key)
            moving.append(self.pod_cache.unbound(pod.key, pod.manifest))

        excluded = [node, *sorted(gone)]
        for info in moving:
            if sim.schedule_anywhere(info, exclude=excluded) is None:
                sim.revert(checkpoint)
                return False
        return True

    def nodes_to_delete(self, now: float, unneeded_time: Callable[[str], float], group_sizes: dict[str, int],
                        group_min: Callable[[str], int]) -> tuple[list[NodeToRemove], list[NodeToRemove]]:
        """Empty and to-drain nodes whose unneeded time has passed."""
        nodes = self.unneeded.removable_at(now, unneeded_time, group_sizes, group_min)
        return [n for n in nodes if not n.pods], [n for n in nodes if n.pods]


class _Search:
    """One update's drain simulations: the what-if cluster (built on first need), the nodes
    already planned to go, and the PDB budget left."""

    def __init__(self, planner: ScaleDownPlanner, now: float, pods_on: Callable[[str], list[Pod]],
                 tracker: RemainingPdbTracker, simulation: Callable[[], ClusterSimulation]) -> None:
        self.planner = planner
        self.now = now
        self.pods_on = pods_on
        self.tracker = tracker
        self.simulation = simulation
        self.sim: ClusterSimulation | None = None
        self.gone: set[str] = set()

    def try_node(self, node: Node, removable: list[NodeToRemove]) -> bool:
        """``SimulateNodeRemoval``: True (and the node appended) when all its pods can go."""
        planner = self.planner
        drain = pods_to_move(self.pods_on(node.name), self.tracker, planner.settings.drain)
        if drain.blocking is not None:
            planner.last_reasons[node.name] = drain.blocking[1]
            planner.unremovable_until[node.name] = self.now + planner.settings.recheck_timeout
            return False
        if drain.pods:
            if self.sim is None:
                self.sim = self.simulation()
            if not planner._find_place(self.sim, node.name, drain.pods, self.gone):
                planner.last_reasons[node.name] = NO_PLACE_TO_MOVE_PODS
                planner.unremovable_until[node.name] = self.now + planner.settings.recheck_timeout
                return False
        self.tracker.remove_pods(drain.pods)
        self.gone.add(node.name)
        removable.append(NodeToRemove(node.name, node.group, [p.key for p in drain.pods]))
        return True


def crop_nodes(empty: Sequence[NodeToRemove], drain: Sequence[NodeToRemove], *, max_parallelism: int,
               max_drain_parallelism: int, max_empty_bulk_delete: int | None = None
               ) -> tuple[list[NodeToRemove], list[NodeToRemove]]:
    """``ScaleDownBudgetProcessor.CropNodes`` with nothing in flight: empty nodes first up to
    the total budget, then drained nodes up to the drain budget and what is left of the total."""
    empty_limit = max_parallelism
    if max_empty_bulk_delete is not None:
        empty_limit = min(max_parallelism, max_empty_bulk_delete)
    chosen_empty = list(empty[:max(0, empty_limit)])
    drain_limit = min(max_drain_parallelism, max_parallelism - len(chosen_empty))
    return chosen_empty, list(drain[:max(0, drain_limit)])
