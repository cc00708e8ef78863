"""The autoscaler's private what-if cluster: a snapshot plus kube-scheduler's predicates.

cluster-autoscaler never asks the real scheduler where a pod would go. It keeps its own
``ClusterSnapshot`` (``simulator/clustersnapshot``), adds template nodes to it, moves pods
around in forks of it, and asks a ``PredicateChecker`` (``simulator/predicatechecker/
schedulerbased.go``: kube-scheduler's PreFilter and Filter plugins, never Score) whether a pod
fits a node. :class:`ClusterSimulation` is that pair over the embedded scheduler's own
:class:`Snapshot` and Filter plugins, so a pod fits here exactly when the scheduler model's
Filter would accept it. Forks are an undo log (:meth:`checkpoint` / :meth:`revert`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.framework import CycleState, Status
from pytest_simkube.engine.scheduler.profiles import build_framework
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo, parse_pod


class PodInfoCache:
    """Parsed pods by key, re-parsed only when the pod's manifest object changes.

    The cache holds the manifest it parsed and compares by identity: a pod recreated under
    the same name (a StatefulSet's) brings a new manifest, never one that merely reuses the
    old one's address."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Mapping[str, Any], PodInfo]] = {}

    def get(self, key: str, manifest: Mapping[str, Any]) -> PodInfo:
        cached = self._cache.get(key)
        if cached is not None and cached[0] is manifest:
            return cached[1]
        info = parse_pod(manifest)
        self._cache[key] = (manifest, info)
        return info

    def unbound(self, key: str, manifest: Mapping[str, Any]) -> PodInfo:
        """The pod as if evicted and recreated unbound: ``spec.nodeName`` cleared, so the
        NodeName filter does not pin it to its old node (upstream ``clearNodeName``)."""
        cache_key = f"unbound:{key}"
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] is manifest:
            return cached[1]
        spec = {k: v for k, v in (manifest.get("spec") or {}).items() if k != "nodeName"}
        info = parse_pod({**manifest, "spec": spec})
        self._cache[cache_key] = (manifest, info)
        return info

    def forget_missing(self, alive: Iterable[str]) -> None:
        keep = set(alive)
        for key in [k for k in self._cache if k.removeprefix("unbound:") not in keep]:
            del self._cache[key]


class ClusterSimulation:
    """A snapshot the autoscaler may change freely, with scheduler predicates over it."""

    def __init__(self, nodes: Iterable[Mapping[str, Any]] = (),
                 pods: Iterable[tuple[PodInfo, str]] = ()) -> None:
        node_list = list(nodes)
        self.snapshot = Snapshot(capacity=max(64, len(node_list) + 16))
        self.framework = build_framework(self.snapshot)
        self._last_index = 0
        self._log: list[tuple[str, Any, str]] = []
        self._manifests: dict[str, Mapping[str, Any]] = {}
        for node in node_list:
            self.snapshot.add_node(node)
            self._manifests[node["metadata"]["name"]] = node
        for info, node_name in pods:
            self.snapshot.add_pod(info, node_name)

    def reset_to(self, nodes: Iterable[Mapping[str, Any]], pods: Iterable[tuple[PodInfo, str]]) -> bool:
        """Undo every what-if change, then hold exactly ``nodes`` (in this order) and ``pods``,
        as a fresh ``ClusterSimulation(nodes, pods)`` would, by applying only the differences.

        cluster-autoscaler rebuilds its snapshot from the informers every loop; between two
        loops only a few pods and nodes change, so carrying the snapshot over is the same
        cluster at a fraction of the cost.  Returns False (the caller then builds a fresh
        one) when the node order would differ from the order given: node order decides where
        first-fit placements land.  Pods keep the order given on every node they were added
        to or removed from; a node whose pods did not change keeps its order, so callers give
        each node's pods in a stable order (the autoscaler: sorted by key, as the API lists
        them).
        """
        # Nodes whose pod order a what-if change or the update below may have disturbed.
        touched = {node_name for _op, _info, node_name in self._log}
        self.revert(0)
        self._last_index = 0
        snapshot = self.snapshot
        wanted_nodes = {node["metadata"]["name"]: node for node in nodes}
        for name in [n.name for n in snapshot.nodes() if n.name not in wanted_nodes]:
            snapshot.remove_node(name)
            del self._manifests[name]
        for name, manifest in wanted_nodes.items():
            known = self._manifests.get(name)
            if known is manifest:
                continue
            if known is None:
                snapshot.add_node(manifest)
            else:
                snapshot.update_node(manifest)
            self._manifests[name] = manifest
        if [n.name for n in snapshot.nodes()] != list(wanted_nodes):
            return False
        wanted_pods = {info.key: (info, node_name) for info, node_name in pods}
        current = snapshot.pods
        stale = [key for key, info in current.items()
                 if (wanted := wanted_pods.get(key)) is None or wanted[0] is not info
                 or wanted[1] != info.node_name]
        for key in stale:
            touched.add(current[key].node_name)
            snapshot.remove_pod(key)
        for key, (info, node_name) in wanted_pods.items():
            if key not in current:
                snapshot.add_pod(info, node_name)
                touched.add(node_name)
        if touched:
            per_node: dict[str, list[str]] = {name: [] for name in touched}
            for key, (_info, node_name) in wanted_pods.items():
                keys = per_node.get(node_name)
                if keys is not None:
                    keys.append(key)
            for name, keys in per_node.items():
                slot = snapshot.slot_of(name)
                if slot is not None:
                    snapshot.reorder_pods(slot, keys)
        return True

    # -- changes (undoable) ---------------------------------------------------------------
    def add_node(self, manifest: Mapping[str, Any]) -> str:
        self.snapshot.add_node(manifest)
        name = manifest["metadata"]["name"]
        self._log.append(("node+", None, name))
        self._manifests[name] = manifest
        return name

    def add_pod(self, info: PodInfo, node_name: str) -> None:
        self.snapshot.add_pod(info, node_name)
        self._log.append(("pod+", info, node_name))

    def remove_pod(self, key: str) -> PodInfo:
        info = self.snapshot.pods[key]
        node_name = info.node_name
        self.snapshot.remove_pod(key)
        self._log.append(("pod-", info, node_name))
        return info

    def checkpoint(self) -> int:
        """A fork point (``ClusterSnapshot.Fork``)."""
        return len(self._log)

    def revert(self, checkpoint: int) -> None:
        """Undo every change after ``checkpoint`` (``ClusterSnapshot.Revert``)."""
        while len(self._log) > checkpoint:
            op, info, node_name = self._log.pop()
            if op == "pod+":
                self.snapshot.remove_pod(info.key)
            elif op == "pod-":
                self.snapshot.add_pod(info, node_name)
            else:
                self.snapshot.remove_node(node_name)
                self._manifests.pop(node_name, None)

    # -- predicates -------------------------------------------------------------------------
    def has_node(self, name: str) -> bool:
        return self.snapshot.has_node(name)

    def pods_on(self, node_name: str) -> list[PodInfo]:
        slot = self.snapshot.slot_of(node_name)
        return [] if slot is None else list(self.snapshot.node(slot).pods.values())

    def check(self, pod: PodInfo, node_name: str) -> Status:
        """``CheckPredicates``: PreFilter then Filter for one node; success or the rejection."""
        slot = self.snapshot.slot_of(node_name)
        if slot is None:
            return Status.unresolvable(f"node {node_name!r} not found")
        state = CycleState()
        result, status = self.framework.run_pre_filter_plugins(state, pod, self.snapshot)
        if not status.is_success():
            return status
        if result is not None and result.node_names is not None and node_name not in result.node_names:
            return Status.unresolvable("node(s) didn't satisfy PreFilter")
        return self.framework.run_filter_plugins_on_node(state, pod, self.snapshot, slot)

    def fits_any(self, pod: PodInfo, only: Iterable[str] | None = None,
                 exclude: Iterable[str] = ()) -> str | None:
        """``FitsAnyNodeMatching``: the first node from the rotating index where ``pod`` passes
        the predicates (unschedulable nodes skipped), or None. Upstream
        ``simulator/predicatechecker/schedulerbased.go`` advances ``lastIndex`` past the hit.
        ``only`` and ``exclude`` restrict the nodes (upstream's ``nodeMatches`` predicate)."""
        order = self.snapshot.order()
        count = len(order)
        if count == 0:
            return None
        state = CycleState()
        result, status = self.framework.run_pre_filter_plugins(state, pod, self.snapshot)
        if not status.is_success():
            return None
        allowed = None if result is None else result.node_names
        start = self._last_index % count
        rotated = np.concatenate([order[start:], order[:start]])
        # Which slots may take the pod, indexed by slot, then read in the rotated order.
        usable = ~self.snapshot.unschedulable
        if only is not None:
            chosen = np.zeros_like(usable)
            chosen[[s for s in (self.snapshot.slot_of(name) for name in only) if s is not None]] = True
            usable &= chosen
        usable[[s for s in (self.snapshot.slot_of(name) for name in exclude) if s is not None]] = False
        keep = usable[rotated]
        if allowed is not None:
            for offset, slot in enumerate(rotated.tolist()):
                if keep[offset]:
                    keep[offset] = self.snapshot.node(slot).name in allowed
        offsets = np.flatnonzero(keep)
        if offsets.size == 0:
            return None
        candidates = rotated[offsets]
        passed, _ = self.framework.run_filter_plugins(state, pod, self.snapshot, candidates)
        hits = np.flatnonzero(passed)
        if hits.size == 0:
            return None
        first = int(hits[0])
        self._last_index = (start + int(offsets[first]) + 1) % count
        return self.snapshot.node(int(candidates[first])).name

    def schedule_anywhere(self, pod: PodInfo, only: Iterable[str] | None = None,
                          exclude: Iterable[str] = ()) -> str | None:
        """Place ``pod`` on the first node that fits (``SchedulePodOnAnyNodeMatching``)."""
        node_name = self.fits_any(pod, only, exclude)
        if node_name is not None:
            self.add_pod(pod, node_name)
        return node_name

    def schedule_on(self, pod: PodInfo, node_name: str) -> bool:
        """Place ``pod`` on ``node_name`` if the predicates allow it (``SchedulePod``)."""
        if not self.check(pod, node_name).is_success():
            return False
        self.add_pod(pod, node_name)
        return True
