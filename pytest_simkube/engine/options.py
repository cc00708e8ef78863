"""Engine timing knobs, with defaults taken from what a small real cluster shows.

* ``controller_delay`` 0.5 s: informer event -> workqueue -> sync in kube-controller-manager
  (DESIGN: "reacts within ~1 s").
* ``pod_create_delay`` / ``pod_ready_delay`` with jitter: the fake kubelet's two KWOK stages
  (SimKube's ``pod-create`` and ``pod-ready`` stages, ``kwok/pod-*.yml``): each waits a delay
  drawn uniformly from ``[delay, jitter]`` (KWOK's ``jitterDuration`` is the latest time).
  Defaults 0.5-1 s (create: image "pull") and 1-2 s (ready).
* ``quiet_seconds`` / ``drain_limit``: the end-of-replay rule (see engine/simulation.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineOptions:
    controller_delay: float = 0.5
    pod_create_delay: float = 0.5
    pod_create_jitter: float = 1.0
    pod_ready_delay: float = 1.0
    pod_ready_jitter: float = 2.0
    quiet_seconds: float = 900.0
    drain_limit: float = 3600.0
