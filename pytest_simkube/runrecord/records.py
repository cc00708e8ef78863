"""The RunRecord record types (DESIGN.md §3.3).

A RunRecord is what every engine writes and everything after it reads, so these types
carry only facts an observer of a real cluster could also see (times, names, reasons,
requested resources) and nothing about how an engine works inside. Times are seconds:
virtual seconds since replay start for the embedded engine, wall seconds since the
driver started for the live engine.

Pods are named ``"namespace/name"``, nodes by their name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Record:
    """Base of every timeline entry; ``kind`` is the JSON ``record`` discriminator."""

    kind: ClassVar[str] = ""
    t: float


@dataclass(frozen=True, slots=True)
class PodCreated(Record):
    """A pod object appeared; ``cpu`` in millicores and ``memory`` in bytes are its requests."""

    kind: ClassVar[str] = "PodCreated"
    pod: str
    owner: str = ""
    """``"Kind/namespace/name"`` of the controlling owner, empty for bare pods."""
    priority: int = 0
    cpu: int = 0
    memory: int = 0


@dataclass(frozen=True, slots=True)
class PodScheduled(Record):
    """The scheduler bound the pod; ``attempt`` counts scheduling cycles for this pod (1 = first try)."""

    kind: ClassVar[str] = "PodScheduled"
    pod: str
    node: str
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class PodUnschedulable(Record):
    """A scheduling cycle found no node; ``reasons`` maps plugin -> count of nodes it rejected."""

    kind: ClassVar[str] = "PodUnschedulable"
    pod: str
    attempt: int = 1
    reasons: dict[str, int] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True, slots=True)
class PodRunning(Record):
    kind: ClassVar[str] = "PodRunning"
    pod: str
    node: str = ""


@dataclass(frozen=True, slots=True)
class PodFinished(Record):
    """All containers terminated; ``phase`` is ``Succeeded`` or ``Failed``."""

    kind: ClassVar[str] = "PodFinished"
    pod: str
    phase: str = "Succeeded"


POD_DELETE_REASONS = ("completed", "evicted", "preempted", "scaled-down", "trace")


@dataclass(frozen=True, slots=True)
class PodDeleted(Record):
    """The pod object is gone; ``reason`` is one of :data:`POD_DELETE_REASONS`."""

    kind: ClassVar[str] = "PodDeleted"
    pod: str
    reason: str = "trace"


@dataclass(frozen=True, slots=True)
class NodeAdded(Record):
    """A node object appeared (not yet Ready); ``group`` is empty for static nodes."""

    kind: ClassVar[str] = "NodeAdded"
    node: str
    group: str = ""
    cpu: int = 0
    memory: int = 0


@dataclass(frozen=True, slots=True)
class NodeReady(Record):
    kind: ClassVar[str] = "NodeReady"
    node: str


@dataclass(frozen=True, slots=True)
class NodeRemoved(Record):
    kind: ClassVar[str] = "NodeRemoved"
    node: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ScaleUp(Record):
    """The autoscaler raised a group's target by ``delta`` for the listed pending pods."""

    kind: ClassVar[str] = "ScaleUp"
    group: str
    delta: int
    pods: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScaleDown(Record):
    kind: ClassVar[str] = "ScaleDown"
    node: str
    reason: str = ""


RECORD_TYPES: dict[str, type[Record]] = {
    cls.kind: cls
    for cls in (
        PodCreated, PodScheduled, PodUnschedulable, PodRunning, PodFinished, PodDeleted,
        NodeAdded, NodeReady, NodeRemoved, ScaleUp, ScaleDown,
    )
}
