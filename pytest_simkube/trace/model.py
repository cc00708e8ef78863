"""The typed Trace model, shaped after SimKube's `sk-core/src/trace/mod.rs`.

Kubernetes objects stay plain ``dict``s in the order they were read: the trace is a
recording, and keeping objects untouched is what lets an unchanged v2 file be written
back byte for byte. Everything around the objects (config, events, index, lifecycles)
is typed so the rest of the product never has to poke at raw msgpack.

Layout notes (FORMAT.md §2.2-2.4):
- GVKs are strings ``"group/version.Kind"`` (core group: ``"v1.Pod"``); :class:`GVK` parses them.
- The index maps GVK -> ``"ns/name"`` -> u64 hash of the object's spec.
- Pod lifecycles are keyed by (owner GVK, ``"ns/name"``) then pod-spec hash; each value is
  the ordered list of lifecycles of the pods launched from that owner + spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

KubeObject = dict[str, Any]
OwnerKey = tuple[str, str]
"""(owner GVK string, ``"namespace/name"``) - the key of ``Trace.pod_lifecycles``."""

CURRENT_FORMAT_VERSION = 2

# Built-in pod-spec template paths (SimKube `KNOWN_GVKS_METADATA`, sk-core/src/k8s/gvk.rs).
DEFAULT_POD_SPEC_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "batch/v1.CronJob": ("/spec/jobTemplate/spec/template",),
    "apps/v1.DaemonSet": ("/spec/template",),
    "apps/v1.Deployment": ("/spec/template",),
    "batch/v1.Job": ("/spec/template",),
    "apps/v1.StatefulSet": ("/spec/template",),
    "apps/v1.ReplicaSet": ("/spec",),
    "v1.Pod": ("",),
}


class GVK(NamedTuple):
    """Group, version, kind; ``str()`` gives SimKube's ``group/version.Kind`` spelling."""

    group: str
    version: str
    kind: str

    @classmethod
    def parse(cls, text: str) -> GVK:
        """Parse like SimKube: split on '/' (at most 2 parts), then the rest on '.' (exactly 2).

        Raises ValueError with a short reason; callers wrap it with file and path.
        """
        if not isinstance(text, str):
            raise ValueError(f"GVK must be a string, got {type(text).__name__}")
        parts = text.split("/")
        if len(parts) == 1:
            group, rest = "", parts[0]
        elif len(parts) == 2:
            group, rest = parts
        else:
            raise ValueError(f"malformed GVK {text!r}: more than one '/'")
        vk = rest.split(".")
        if len(vk) != 2 or not vk[0] or not vk[1]:
            raise ValueError(f"malformed GVK {text!r}: expected 'group/version.Kind' or 'version.Kind'")
        return cls(group, vk[0], vk[1])

    @classmethod
    def of(cls, obj: KubeObject) -> GVK:
        """The GVK of a Kubernetes object from its apiVersion and kind."""
        api_version = obj.get("apiVersion", "")
        group, _, version = api_version.rpartition("/")
        return cls(group, version, obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def __str__(self) -> str:
        return f"{self.api_version}.{self.kind}"


@dataclass(slots=True)
class TrackedObjectConfig:
    """How the tracer watched one kind (SimKube `TrackedObjectConfig`)."""

    pod_spec_template_paths: tuple[str, ...] | None = None
    track_lifecycle: bool = False
    skip_owned: bool = False
    # How the source file spelled the paths, so an unchanged file writes back byte for byte:
    # "plural" = podSpecTemplatePaths (list or nil), "singular" = pre-2.2 podSpecTemplatePath,
    # "absent" = no key at all.
    paths_key: Literal["plural", "singular", "absent"] = "plural"

    def effective_paths(self, gvk: str) -> tuple[str, ...]:
        """The paths SimKube's `normalize()` would use: explicit ones, else the built-in default."""
        if self.pod_spec_template_paths:
            return self.pod_spec_template_paths
        return DEFAULT_POD_SPEC_TEMPLATE_PATHS.get(gvk, ())


@dataclass(slots=True)
class TracerConfig:
    """Which kinds the tracer watched; keys are GVK strings in file order."""

    tracked_objects: dict[str, TrackedObjectConfig] = field(default_factory=dict)


@dataclass(slots=True)
class TraceEvent:
    """Objects applied and deleted at one tracer timestamp (Unix seconds)."""

    ts: int
    applied_objs: list[KubeObject] = field(default_factory=list)
    deleted_objs: list[KubeObject] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PodLifecycle:
    """One pod's lifecycle: Empty (no start), Running(start) or Finished(start, end); seconds."""

    start: int | None = None
    end: int | None = None

    @property
    def state(self) -> Literal["Empty", "Running", "Finished"]:
        if self.start is None:
            return "Empty"
        return "Running" if self.end is None else "Finished"

    @property
    def duration(self) -> int | None:
        """Run time in seconds for a Finished pod, None otherwise (runs until deleted)."""
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


@dataclass(slots=True)
class Trace:
    """A SimKube trace. ``source_version`` records the layout it was read from (1, 2 or 3)."""

    config: TracerConfig = field(default_factory=TracerConfig)
    events: list[TraceEvent] = field(default_factory=list)
    index: dict[str, dict[str, int]] = field(default_factory=dict)
    pod_lifecycles: dict[OwnerKey, dict[int, list[PodLifecycle]]] = field(default_factory=dict)
    version: int = CURRENT_FORMAT_VERSION
    source_version: int = CURRENT_FORMAT_VERSION

    @property
    def start_ts(self) -> int | None:
        return self.events[0].ts if self.events else None

    @property
    def end_ts(self) -> int | None:
        return self.events[-1].ts if self.events else None

    @property
    def duration_seconds(self) -> int:
        if not self.events:
            return 0
        return self.events[-1].ts - self.events[0].ts

    def lifecycles_for(self, owner: OwnerKey) -> dict[int, list[PodLifecycle]]:
        return self.pod_lifecycles.get(owner, {})


def object_key(obj: KubeObject) -> str:
    """``"namespace/name"`` (or ``"name"`` for cluster-scoped objects), as the index keys it."""
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    namespace = meta.get("namespace")
    return f"{namespace}/{name}" if namespace else name
