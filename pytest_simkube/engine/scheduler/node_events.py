"""Which node changes wake which parked pods (``pkg/scheduler/eventhandlers.go``, v1.30).

With QueueingHints off (the v1.30 default), a node event moves a parked pod only when the
pod passes ``preCheckForNode``: it would be admitted on that node by the basic checks
(``AdmissionCheck``: resources, host ports, nodeName, required node affinity) and the node has
no ``NoSchedule`` taint the pod does not tolerate.  A node update raises one event per kind of
change (``nodeSchedulingPropertiesChange``); a node that merely became unschedulable raises
nothing.  A deleted node raises no event at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.plugins.node_affinity import required_node_affinity
from pytest_simkube.engine.scheduler.plugins.node_ports import port_conflicts
from pytest_simkube.engine.scheduler.queue import (
    NODE,
    UPDATE_NODE_ALLOCATABLE,
    UPDATE_NODE_ANNOTATION,
    UPDATE_NODE_CONDITION,
    UPDATE_NODE_LABEL,
    UPDATE_NODE_TAINT,
    ClusterEvent,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo
from pytest_simkube.kube.requests import PODS

NODE_SPEC_UNSCHEDULABLE_CHANGE = ClusterEvent(NODE, UPDATE_NODE_TAINT, "NodeSpecUnschedulableChange")
NODE_ALLOCATABLE_CHANGE = ClusterEvent(NODE, UPDATE_NODE_ALLOCATABLE, "NodeAllocatableChange")
NODE_LABEL_CHANGE = ClusterEvent(NODE, UPDATE_NODE_LABEL, "NodeLabelChange")
NODE_TAINT_CHANGE = ClusterEvent(NODE, UPDATE_NODE_TAINT, "NodeTaintChange")
NODE_CONDITION_CHANGE = ClusterEvent(NODE, UPDATE_NODE_CONDITION, "NodeConditionChange")
NODE_ANNOTATION_CHANGE = ClusterEvent(NODE, UPDATE_NODE_ANNOTATION, "NodeAnnotationChange")


def admitted_on_node(pod: PodInfo, snapshot: Snapshot, slot: int) -> bool:
    """``preCheckForNode``: basic admission plus untolerated ``NoSchedule`` taints."""
    if snapshot.pod_count[slot] >= snapshot.allowed_pods[slot]:
        return False
    for name, amount in pod.requests.items():
        if name == PODS or amount <= 0:
            continue
        col = snapshot.resource_column(name)
        free = 0 if col is None else int(snapshot.allocatable[slot, col] - snapshot.requested[slot, col])
        if free < amount:
            return False
    node = snapshot.node(slot)
    if pod.node_name and pod.node_name != node.name:
        return False
    if pod.host_ports and port_conflicts(node, pod.host_ports):
        return False
    if not bool(required_node_affinity(pod).mask(snapshot, np.array([slot], dtype=np.int64))[0]):
        return False
    for taint in node.taints:
        if taint.effect == "NoSchedule" and not any(t.tolerates(taint) for t in pod.tolerations):
            return False
    return True


def _conditions(node: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(c.get("type")): c.get("status")
        for c in ((node.get("status") or {}).get("conditions") or [])
        if isinstance(c, Mapping)
    }


def node_property_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ClusterEvent]:
    """``nodeSchedulingPropertiesChange``: the events a node update raises, in upstream order."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    events: list[ClusterEvent] = []
    if bool(old_spec.get("unschedulable")) != bool(new_spec.get("unschedulable")) and not new_spec.get(
        "unschedulable"
    ):
        events.append(NODE_SPEC_UNSCHEDULABLE_CHANGE)
    if (old.get("status") or {}).get("allocatable") != (new.get("status") or {}).get("allocatable"):
        events.append(NODE_ALLOCATABLE_CHANGE)
    if (old_meta.get("labels") or {}) != (new_meta.get("labels") or {}):
        events.append(NODE_LABEL_CHANGE)
    if (old_spec.get("taints") or []) != (new_spec.get("taints") or []):
        events.append(NODE_TAINT_CHANGE)
    if _conditions(old) != _conditions(new):
        events.append(NODE_CONDITION_CHANGE)
    if (old_meta.get("annotations") or {}) != (new_meta.get("annotations") or {}):
        events.append(NODE_ANNOTATION_CHANGE)
    return events
