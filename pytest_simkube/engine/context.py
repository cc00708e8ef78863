"""The wiring every engine component shares: simulation, store, options, and each other.

Components receive one :class:`EngineContext` instead of a long argument list; the
context itself holds no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_simkube.engine.options import EngineOptions
from pytest_simkube.engine.simulation import Simulation
from pytest_simkube.engine.store import ObjectStore

if TYPE_CHECKING:
    from pytest_simkube.engine.lifecycle import Kubelet, LifecycleBook
    from pytest_simkube.engine.nodes import NodeManager
    from pytest_simkube.engine.pods import PodManager
    from pytest_simkube.engine.scheduler_loop import SchedulerLoop


@dataclass
class EngineContext:
    sim: Simulation
    store: ObjectStore = field(default_factory=ObjectStore)
    options: EngineOptions = field(default_factory=EngineOptions)
    pods: PodManager = field(init=False)
    scheduler: SchedulerLoop = field(init=False)
    kubelet: Kubelet = field(init=False)
    nodes: NodeManager = field(init=False)
    lifecycles: LifecycleBook = field(init=False)
    epoch: float = 0.0
    """Unix time of virtual time 0 (the trace's first event): what cron schedules see."""
    window_end: float = float("inf")
    """End of the replay window: time-triggered work (CronJobs) starts nothing after it."""
    controllers: dict[str, Any] = field(default_factory=dict)
    """Workload controllers by the kind they own pods for (``ReplicaSet``, ``Job`` ...)."""
