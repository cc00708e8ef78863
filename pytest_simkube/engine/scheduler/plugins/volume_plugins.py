"""The volume plugins of the default profile, as far as the simulator models volumes.

Upstream (pkg/scheduler/framework/plugins/): volumerestrictions, nodevolumelimits (CSILimits
and the in-tree EBSLimits/GCEPDLimits/AzureDiskLimits still listed in v1.30), volumebinding,
volumezone.  For a pod without the volumes a plugin looks at, upstream's PreFilter returns
Skip, so the plugin's Filter never runs; that is reproduced exactly.

Volumes themselves (PersistentVolumes, StorageClasses, CSINodes, attach limits, DRA claims)
are not simulated.  For a pod that *has* such volumes the plugins pass every node and record
a note under the cycle-state key ``NOT_MODELLED_KEY``; explanations and ``simkube schedule``
print it, so the answer is never silently presented as the full truth.
``VolumeBinding``'s Score only runs with the alpha VolumeCapacityPriority gate, so its
PreScore always returns Skip, as upstream's does by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pytest_simkube.engine.scheduler.framework import (
    SUCCESS,
    CycleState,
    FilterPlugin,
    FilterVerdicts,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    ReservePlugin,
    ScorePlugin,
    Status,
)
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import PodInfo

NOT_MODELLED_KEY = "NotModelled"


def _volumes(pod: PodInfo) -> list[Mapping[str, Any]]:
    cached = pod.extra.get("_volumes")
    if cached is None:
        cached = pod.extra["_volumes"] = [v for v in pod.spec.get("volumes") or [] if isinstance(v, Mapping)]
    return cached


def note_not_modelled(state: CycleState, plugin: str, what: str) -> None:
    notes: dict[str, str] = state.get(NOT_MODELLED_KEY) or {}
    notes[plugin] = what
    state.write(NOT_MODELLED_KEY, notes)


class _VolumePlugin(PreFilterPlugin, FilterPlugin):
    """Skip when the pod has none of the volumes this plugin checks; otherwise note and pass."""

    volume_kinds: tuple[str, ...] = ("persistentVolumeClaim", "ephemeral")
    what = "PersistentVolumeClaims and ephemeral volumes are assumed bindable on every node"

    def relevant(self, pod: PodInfo) -> bool:
        volumes = _volumes(pod)
        return bool(volumes) and any(kind in v for v in volumes for kind in self.volume_kinds)

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                   ) -> tuple[PreFilterResult | None, Status]:
        if not self.relevant(pod):
            return None, Status.skip()
        note_not_modelled(state, self.name, self.what)
        return None, SUCCESS

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        return FilterVerdicts.all_pass(len(slots))


class VolumeRestrictions(_VolumePlugin):
    name = "VolumeRestrictions"
    volume_kinds = ("gcePersistentDisk", "awsElasticBlockStore", "rbd", "iscsi", "persistentVolumeClaim")
    what = "volume conflicts and ReadWriteOncePod access are not checked"


class NodeVolumeLimits(_VolumePlugin):
    name = "NodeVolumeLimits"
    what = "CSI attach limits are not checked"


class EBSLimits(_VolumePlugin):
    name = "EBSLimits"
    volume_kinds = ("persistentVolumeClaim", "ephemeral", "awsElasticBlockStore")
    what = "EBS attach limits are not checked"


class GCEPDLimits(_VolumePlugin):
    name = "GCEPDLimits"
    volume_kinds = ("persistentVolumeClaim", "ephemeral", "gcePersistentDisk")
    what = "GCE PD attach limits are not checked"


class AzureDiskLimits(_VolumePlugin):
    name = "AzureDiskLimits"
    volume_kinds = ("persistentVolumeClaim", "ephemeral", "azureDisk")
    what = "Azure disk attach limits are not checked"


class VolumeZone(_VolumePlugin):
    name = "VolumeZone"
    volume_kinds = ("persistentVolumeClaim",)
    what = "PersistentVolume zone/region labels are not checked"


class VolumeBinding(_VolumePlugin, PreScorePlugin, ScorePlugin, ReservePlugin):
    """Also Reserve/PreBind upstream (assume and bind claims); with no claims modelled they succeed."""

    name = "VolumeBinding"

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        return Status.skip()

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        return np.zeros(len(slots), dtype=np.int64)


DRA_NOT_MODELLED = "DRA ResourceClaims are not allocated; the pod is placed as if it had none"
"""The note explanations add for pods with ``spec.resourceClaims`` (no DRA in the model)."""


NODE_INDEPENDENT_VOLUME_PLUGINS = frozenset(
    cls.name for cls in (VolumeRestrictions, NodeVolumeLimits, EBSLimits, GCEPDLimits, AzureDiskLimits,
                         VolumeZone, VolumeBinding))
"""Volume plugins as modelled here: when they run at all, they pass every node."""
