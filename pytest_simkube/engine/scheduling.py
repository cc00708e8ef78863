"""What the engine needs from a scheduler: the narrow port between the two.

The engine reports cluster changes (nodes and pods appearing, changing and disappearing)
and asks for one decision at a time in virtual time; it never looks inside the scheduler.
The one scheduler model is kube-scheduler's framework in ``engine/scheduler/``, behind this
port in ``engine/framework_port.py``. Keeping the port narrow lets a test or a what-if
simulation (the autoscaler's) drive the engine without knowing the framework's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pytest_simkube.engine.objects import KubeObject


@dataclass(slots=True)
class Decision:
    """The outcome of one scheduling cycle.

    ``node`` is None when the pod did not fit; then ``reasons`` counts rejecting nodes per
    plugin and ``message`` is kube-scheduler's aggregated FitError text. ``victims`` are pod
    keys to delete so a preemptor can fit (it is then retried, not bound).
    """

    pod: str
    node: str | None
    attempt: int
    reasons: dict[str, int] = field(default_factory=dict)
    message: str = ""
    victims: tuple[str, ...] = ()
    nominated_node: str | None = None


class SchedulerPort(Protocol):
    """The engine's view of a scheduler. Pods are v1.Pod dicts with ``spec.priority`` set."""

    def add_node(self, node: KubeObject, now: float = 0.0) -> None: ...

    def update_node(self, node: KubeObject, now: float = 0.0) -> None:
        """A Ready node's manifest changed (taints, ``spec.unschedulable``, labels)."""

    def remove_node(self, name: str, now: float = 0.0) -> None: ...

    def add_pod(self, pod: KubeObject, now: float) -> None:
        """A new pod: queued if unbound, accounted on its node if ``spec.nodeName`` is set."""

    def remove_pod(self, pod: KubeObject, now: float) -> None:
        """A pod was deleted or finished: free its resources / drop it from the queue."""

    def schedule_one(self, now: float) -> Decision | None:
        """Run one cycle for the next ready pod; None when no pod is ready at ``now``."""

    def next_wakeup(self, now: float) -> float | None:
        """When a waiting pod becomes ready to retry, or None."""
