"""PriorityClass resolution at pod creation, like the ``Priority`` admission plugin.

Upstream: kubernetes/kubernetes plugin/pkg/admission/priority/admission.go. A pod naming a
class gets that class's ``value`` and ``preemptionPolicy``; a pod naming none gets the
``globalDefault`` class (the highest-valued one if several claim it, as
``getDefaultPriorityClass`` does), else priority 0. The two built-in system classes always
exist. Deviation: a pod naming an unknown class is rejected by the API server; here it gets
priority 0, so a trace with a missing class still replays.
"""

from __future__ import annotations

from pytest_simkube.engine.objects import KubeObject
from pytest_simkube.engine.store import ObjectStore

SYSTEM_CLASSES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority"


def resolve_priority(store: ObjectStore, spec: KubeObject) -> tuple[int, str, str]:
    """(priority, preemptionPolicy, class name) for a pod spec about to be created."""
    classes = store.objects["PriorityClass"]
    name = spec.get("priorityClassName") or ""
    if name:
        if name in SYSTEM_CLASSES:
            return SYSTEM_CLASSES[name], DEFAULT_PREEMPTION_POLICY, name
        pc = classes.get(name)
        if pc is None:
            return 0, DEFAULT_PREEMPTION_POLICY, name
        return int(pc.get("value", 0)), pc.get("preemptionPolicy") or DEFAULT_PREEMPTION_POLICY, name
    default: KubeObject | None = None
    for pc in classes.values():
        better = default is None or int(pc.get("value", 0)) > int(default.get("value", 0))
        if pc.get("globalDefault") and better:
            default = pc
    if default is None:
        return 0, DEFAULT_PREEMPTION_POLICY, ""
    return (int(default.get("value", 0)), default.get("preemptionPolicy") or DEFAULT_PREEMPTION_POLICY,
            default["metadata"]["name"])
