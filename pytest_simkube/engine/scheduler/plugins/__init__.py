"""The in-tree plugin registry: plugin name -> factory(args, handle).

Mirrors ``pkg/scheduler/framework/plugins/registry.go`` (``NewInTreeRegistry``).  A factory
is any callable ``factory(args: dict, handle: Handle) -> Plugin``; a plugin class whose
``__init__`` takes ``(args, handle)`` is its own factory.  ``args`` is the plugin's
``pluginConfig`` args as a dict with upstream camelCase keys (``{}`` when not configured).

Register a plugin by adding a line to ``_IN_TREE`` (``"Name": "module:Class"``); modules are
imported on first use so that importing the registry stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pytest_simkube.engine.scheduler.framework import Handle, Plugin

Factory = Callable[[Mapping[str, Any], Handle], Plugin]

_IN_TREE: dict[str, str] = {
    "SchedulingGates": "scheduling_gates:SchedulingGates",
    "PrioritySort": "priority_sort:PrioritySort",
    "NodeUnschedulable": "node_unschedulable:NodeUnschedulable",
    "NodeName": "node_name:NodeName",
    "TaintToleration": "taint_toleration:TaintToleration",
    "NodeAffinity": "node_affinity:NodeAffinity",
    "NodePorts": "node_ports:NodePorts",
    "NodeResourcesFit": "node_resources_fit:NodeResourcesFit",
    "NodeResourcesBalancedAllocation": "balanced_allocation:BalancedAllocation",
    "ImageLocality": "image_locality:ImageLocality",
    "VolumeRestrictions": "volume_plugins:VolumeRestrictions",
    "EBSLimits": "volume_plugins:EBSLimits",
    "GCEPDLimits": "volume_plugins:GCEPDLimits",
    "NodeVolumeLimits": "volume_plugins:NodeVolumeLimits",
    "AzureDiskLimits": "volume_plugins:AzureDiskLimits",
    "VolumeBinding": "volume_plugins:VolumeBinding",
    "VolumeZone": "volume_plugins:VolumeZone",
    "DefaultBinder": "default_binder:DefaultBinder",
    "PodTopologySpread": "pod_topology_spread:PodTopologySpread",
    "InterPodAffinity": "inter_pod_affinity:InterPodAffinity",
    "DefaultPreemption": "pytest_simkube.engine.scheduler.preemption:DefaultPreemption",
}

_extra: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Add (or replace) a plugin factory, e.g. an out-of-tree plugin in a test."""
    _extra[name] = factory


def _load(spec: str) -> Factory:
    module_name, _, attr = spec.partition(":")
    if "." not in module_name:
        module_name = f"{__name__}.{module_name}"
    return getattr(importlib.import_module(module_name), attr)


class Registry(Mapping[str, Factory]):
    """Read-only mapping view; a name whose module is not importable is reported as missing."""

    def __getitem__(self, name: str) -> Factory:
        if name in _extra:
            return _extra[name]
        spec = _IN_TREE.get(name)
        if spec is None:
            raise KeyError(name)
        try:
            return _load(spec)
        except (ImportError, AttributeError) as exc:
            raise KeyError(name) from exc

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*_IN_TREE, *_extra}))

    def __len__(self) -> int:
        return len({*_IN_TREE, *_extra})

    def available(self, name: str) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True


REGISTRY = Registry()
"""The default registry; ``Framework(profile, REGISTRY, handle)``."""
