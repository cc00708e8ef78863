"""ImageLocality (Score): prefer nodes that already hold the pod's container images.

Upstream: pkg/scheduler/framework/plugins/imagelocality/image_locality.go:
``sum = Σ_containers (init + app) int(size · nodesWithImage / allNodes)``, clamped to
[23 MiB, 1000 MiB × #containers], scaled to [0, 100]; no normalisation step.
"""

from __future__ import annotations

import numpy as np

from pytest_simkube.engine.scheduler.framework import MAX_NODE_SCORE, CycleState, ScorePlugin
from pytest_simkube.engine.scheduler.snapshot import Snapshot, normalized_image_name
from pytest_simkube.kube.pods import PodInfo

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def calculate_priority(sum_scores: np.ndarray, num_containers: int) -> np.ndarray:
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    clamped = np.clip(sum_scores, MIN_THRESHOLD, max(max_threshold, MIN_THRESHOLD))
    return MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // max(max_threshold - MIN_THRESHOLD, 1)


class ImageLocality(ScorePlugin):
    name = "ImageLocality"
    scores_in_range = True

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        if not snapshot.image_node_count:
            return np.zeros(len(slots), dtype=np.int64)   # no node reports images: 0 everywhere
        spec = pod.spec
        containers = list(spec.get("initContainers") or []) + list(spec.get("containers") or [])
        sums = np.zeros(len(slots), dtype=np.int64)
        if snapshot.image_node_count:
            total = snapshot.num_nodes
            names = [normalized_image_name(str((c or {}).get("image") or "")) for c in containers]
            wanted = [n for n in names if n in snapshot.image_node_count]
            if wanted:
                for i, slot in enumerate(slots.tolist()):
                    images = snapshot.node(slot).images
                    value = 0
                    for name in wanted:
                        size = images.get(name)
                        if size is not None:
                            spread = float(snapshot.image_node_count[name]) / float(total)
                            value += int(float(size) * spread)
                    sums[i] = value
        return calculate_priority(sums, len(containers))
