"""Template nodes and upcoming nodes: what a node group will add before it exists.

cluster-autoscaler reasons about nodes that are not there yet with *template node infos*:
a node built from the group's template plus the DaemonSet pods that would land on it
(``core/utils/utils.go`` ``GetNodeInfoFromTemplate``, ``simulator/node_info_utils.go``
``SanitizedTemplateNodeInfo``: a fresh name, the hostname label rewritten to match).

*Upcoming* nodes are the difference between a group's target size and its registered,
started nodes (``clusterstate/clusterstate.go`` ``GetUpcomingNodes``). They are added to the
simulation as template copies before any decision (``core/static_autoscaler.go``
``addUpcomingNodesToClusterSnapshot``) so that pods that will fit on them do not trigger
another scale-up. In the embedded engine a requested node exists from the moment it is
paid for and becomes Ready after the group's ``provisionDelay``; until then it is upcoming.
"""

from __future__ import annotations

import copy
from typing import Any

from pytest_simkube.engine.autoscaler.simulator import ClusterSimulation
from pytest_simkube.kube.pods import PodParseError, parse_pod

HOSTNAME_LABEL = "kubernetes.io/hostname"


def upcoming_counts(api: Any) -> dict[str, int]:
    """Upcoming nodes per group: booting members (not Ready yet) plus target - members."""
    counts: dict[str, int] = {}
    for state in api.node_groups():
        booting = 0
        for name in state.nodes:
            node = api.node(name)
            if node is not None and not node.ready and not node.removing:
                booting += 1
        counts[state.name] = booting + max(0, state.target - state.size)
    return counts


def template_manifest(spec: Any, name: str) -> dict[str, Any]:
    """The group's node manifest renamed ``name`` (a sanitized template node)."""
    manifest = copy.deepcopy(spec.node_manifest(0))
    meta = manifest.setdefault("metadata", {})
    meta["name"] = name
    labels = meta.setdefault("labels", {})
    if HOSTNAME_LABEL in labels:
        labels[HOSTNAME_LABEL] = name
    spec_part = manifest.setdefault("spec", {})
    if "providerID" in spec_part:
        spec_part["providerID"] = f"simkube://{name}"
    return manifest


def daemonset_pod_templates(api: Any) -> list[tuple[str, dict[str, Any]]]:
    """Each DaemonSet's pod template as a pod manifest, in object-key order."""
    out = []
    for ds in sorted(api.store.list("DaemonSet"), key=lambda o: (o["metadata"].get("namespace", "default"),
                                                                  o["metadata"]["name"])):
        meta = ds["metadata"]
        template = (ds.get("spec") or {}).get("template") or {}
        pod_meta = dict(template.get("metadata") or {})
        pod_meta["namespace"] = meta.get("namespace", "default")
        pod_meta["ownerReferences"] = [{"kind": "DaemonSet", "name": meta["name"], "controller": True}]
        out.append((meta["name"], {"metadata": pod_meta, "spec": copy.deepcopy(template.get("spec") or {})}))
    return out


class TemplateNodes:
    """Adds template nodes (with their DaemonSet pods) of a group to a simulation."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self._daemonsets = daemonset_pod_templates(api)
        self._serial = 0

    def add(self, sim: ClusterSimulation, spec: Any, prefix: str = "template-node-for") -> str:
        """Add one template node of ``spec`` to ``sim`` and return its name.

        DaemonSet pods that pass the predicates on the new node run there, as CA's template
        node infos carry them (``daemonset.GetDaemonSetPodsForNode``)."""
        self._serial += 1
        name = f"{prefix}-{spec.name}-{self._serial}"
        sim.add_node(template_manifest(spec, name))
        for ds_name, manifest in self._daemonsets:
            pod = copy.deepcopy(manifest)
            pod["metadata"]["name"] = f"{ds_name}-{name}"
            try:
                info = parse_pod(pod)
            except PodParseError:
                continue
            sim.schedule_on(info, name)
        return name


def add_upcoming_nodes(sim: ClusterSimulation, templates: TemplateNodes, api: Any,
                       counts: dict[str, int]) -> list[str]:
    """Add each group's upcoming nodes as template copies; returns their names."""
    names = []
    for state in api.node_groups():
        for _ in range(counts.get(state.name, 0)):
            names.append(templates.add(sim, state.spec, prefix="upcoming-node"))
    return names
