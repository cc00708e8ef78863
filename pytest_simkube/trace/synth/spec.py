"""The workload spec as typed, validated values (built by :mod:`.loader`).

A spec describes a day (or any window) of cluster activity in a few dozen lines: when
the trace starts and how long it lasts, a seed, and workload groups, each expanded into
``count`` workloads from one template. Everything here has been checked already, so the
generators never fail on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.trace.synth.cron import CronSchedule
from pytest_simkube.trace.synth.distributions import Arrivals, IntChoice, RunTime
from pytest_simkube.trace.synth.values import Pattern

KINDS = ("Deployment", "Job", "CronJob", "Pod")
ONE = IntChoice((1,))
DEFAULT_START = "2025-01-06T00:00:00Z"
DEFAULT_IMAGE = "registry.k8s.io/pause:3.9"
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2_000_000_000, "system-node-critical": 2_000_001_000}

# Longest workload name per kind. CronJob: 52 (controller appends an 11-character suffix);
# Job: 63 (its name becomes the job-name label) minus room for "-<arrival number>".
MAX_NAME_LENGTH = {"Deployment": 253, "CronJob": 52, "Job": 56, "Pod": 240}


@dataclass(frozen=True, slots=True)
class FixedReplicas:
    replicas: int


@dataclass(frozen=True, slots=True)
class DiurnalReplicas:
    """Replicas following a daily cosine between ``minimum`` and ``maximum``, peaking at ``peak_hour`` UTC.

    ``noise`` is a relative standard deviation applied at each ``resample`` step;
    ``peak_jitter`` shifts each workload's peak by a uniform draw in ±jitter.
    """

    minimum: int
    maximum: int
    peak_hour: float
    noise: float = 0.0
    resample: int = 900
    peak_jitter: int = 0


@dataclass(frozen=True, slots=True)
class SteppedReplicas:
    """Replicas set at given offsets: ``((offset_seconds, replicas), ...)``, offsets ascending."""

    steps: tuple[tuple[int, int], ...]


ReplicaSchedule = FixedReplicas | DiurnalReplicas | SteppedReplicas


@dataclass(frozen=True, slots=True)
class ResourceShape:
    """Container requests and limits (quantities as written), with a sampling weight."""

    requests: dict[str, str]
    limits: dict[str, str]
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """What every pod of a workload looks like; strings may hold ``{name}``-style placeholders."""

    image: str = DEFAULT_IMAGE
    container_name: str = "main"
    command: tuple[str, ...] | None = None
    shapes: tuple[ResourceShape, ...] = (ResourceShape({}, {}),)
    priority_class_name: str | None = None
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    affinity: dict[str, Any] | None = None
    topology_spread_constraints: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class WorkloadGroup:
    """``count`` workloads of one kind expanded from one template."""

    index: int
    name: Pattern
    kind: str
    namespaces: tuple[str, ...]
    count: int
    labels: dict[str, str]
    pod: PodTemplate
    where: str
    created_at: int = 0
    deleted_at: int | None = None
    replicas: ReplicaSchedule | None = None
    arrivals: Arrivals | None = None
    arrival_window: tuple[int, int | None] = (0, None)
    rollouts: Arrivals | None = None
    rollout_window: tuple[int, int | None] = (0, None)
    schedule: CronSchedule | None = None
    concurrency_policy: str = "Allow"
    parallelism: IntChoice = ONE
    completions: IntChoice = ONE
    runtime: RunTime | None = None
    ttl_after_finished: int | None = None

    def workload_name(self, i: int) -> str:
        return self.name.render(i=i, namespace=self.namespace(i))

    def namespace(self, i: int) -> str:
        return self.namespaces[i % len(self.namespaces)]


@dataclass(frozen=True, slots=True)
class PriorityClassSpec:
    name: str
    value: int
    preemption_policy: str = "PreemptLowerPriority"
    global_default: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class SynthSpec:
    """A loaded, validated workload spec."""

    source: str
    start_ts: int
    duration: int
    seed: int
    pod_start_delay: int
    namespaces: tuple[str, ...]
    priority_classes: tuple[PriorityClassSpec, ...]
    emit_priority_classes: bool
    workloads: tuple[WorkloadGroup, ...]

    @property
    def end_ts(self) -> int:
        return self.start_ts + self.duration
