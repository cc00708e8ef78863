"""Collects what the generators produce and assembles it the way SimKube exports a trace.

Generators report "object applied at t", "object deleted at t" and "these pods of this
owner ran then"; the recorder turns that into a :class:`Trace` with the export's rules
(sk-tracer ``store.rs`` ``collect_events`` / ``export``, FORMAT.md §2.4, §2.7):

* the window is ``[start, end)``: anything at or after the end is not in the trace;
* event 0 is at the start and holds every object that exists when the window opens;
  changes in the same second are merged into one event; events ascend by ``ts``;
* deletions are identity-only skeletons (SimKube ≥ 2.4);
* the index holds the spec hash of the last applied version of every object, deleted
  ones included; lifecycles that start inside the window are kept, and a pod still
  running at the end is ``Running(start)``, as the tracer would have seen it.

An empty event is appended at the end of the window, as SimKube's own import does when
given a duration, so a replay lasts the whole window rather than stopping at the last change.

Objects share read-only sub-structures: the versions of a Deployment share its pod
template, the Jobs of one stream share their spec. Copying them would triple the run time
of a 50,000-pod day; a trace read back from a file shares nothing. Copy an object before
editing it in place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pytest_simkube.trace.hashing import pod_spec_stable_hash, spec_hash
from pytest_simkube.trace.model import (
    DEFAULT_POD_SPEC_TEMPLATE_PATHS,
    PodLifecycle,
    Trace,
    TraceEvent,
    TracerConfig,
    TrackedObjectConfig,
)


@dataclass(slots=True)
class SynthStats:
    """What a synthesised trace contains, for the CLI summary, tests and benchmarks."""

    workloads: Counter[str] = field(default_factory=Counter)
    objects: Counter[str] = field(default_factory=Counter)
    applied: int = 0
    deleted: int = 0
    events: int = 0
    pods: Counter[str] = field(default_factory=Counter)
    lifecycles: int = 0

    @property
    def total_pods(self) -> int:
        return sum(self.pods.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "workloads": dict(sorted(self.workloads.items())),
            "objects": dict(sorted(self.objects.items())),
            "applied": self.applied,
            "deleted": self.deleted,
            "events": self.events,
            "pods": dict(sorted(self.pods.items())),
            "total_pods": self.total_pods,
            "lifecycles": self.lifecycles,
        }


class TraceRecorder:
    """Accumulates applied/deleted objects and lifecycles, then builds the Trace."""

    def __init__(self, start_ts: int, end_ts: int) -> None:
        self.start_ts = start_ts
        self.end_ts = end_ts
        self.stats = SynthStats()
        self._entries: list[tuple[int, int, bool, dict[str, Any]]] = []
        self._last_applied: dict[str, dict[str, dict[str, Any]]] = {}  # gvk -> key -> last applied object
        self._lifecycles: dict[tuple[str, str], dict[int, list[PodLifecycle]]] = {}
        self._tracked: dict[str, TrackedObjectConfig] = {}
        self._spec_hashes: dict[int, int] = {}
        self._pod_hashes: dict[int, int] = {}
        self._keep_alive: list[Any] = []  # objects whose id() keys the hash caches

    # -- configuration ----------------------------------------------------------------------

    def track(self, gvk: str, *, lifecycle: bool = False, skip_owned: bool = False) -> None:
        """Declare a tracked kind; built-in kinds get their default template paths written out."""
        if gvk in self._tracked:
            return
        paths = DEFAULT_POD_SPEC_TEMPLATE_PATHS.get(gvk)
        self._tracked[gvk] = TrackedObjectConfig(
            pod_spec_template_paths=paths, track_lifecycle=lifecycle, skip_owned=skip_owned)

    # -- hashes (cached: many objects share one spec or one pod template) --------------------

    def spec_hash_of(self, spec: Any) -> int:
        """Index hash of a spec dict, computed once per distinct dict object."""
        if spec is None:
            return spec_hash(None)
        key = id(spec)
        cached = self._spec_hashes.get(key)
        if cached is None:
            cached = self._spec_hashes[key] = spec_hash(spec)
            self._keep_alive.append(spec)
        return cached

    def pod_hash_of(self, pod_spec: dict[str, Any]) -> int:
        """SimKube's stable pod-spec hash, computed once per distinct pod spec dict."""
        key = id(pod_spec)
        cached = self._pod_hashes.get(key)
        if cached is None:
            cached = self._pod_hashes[key] = pod_spec_stable_hash(pod_spec)
            self._keep_alive.append(pod_spec)
        return cached

    # -- recording ---------------------------------------------------------------------------

    def apply(self, ts: int, gvk: str, key: str, obj: dict[str, Any]) -> None:
        """Record ``obj`` applied at ``ts`` (dropped when outside the window).

        Calls must come in time order per object: the index keeps the last one.
        """
        if ts >= self.end_ts:
            return
        ts = max(ts, self.start_ts)
        self._entries.append((ts, len(self._entries), False, obj))
        bucket = self._last_applied.setdefault(gvk, {})
        if key not in bucket:
            self.stats.objects[obj["kind"]] += 1
        bucket[key] = obj
        self.stats.applied += 1

    def delete(self, ts: int, skeleton: dict[str, Any]) -> None:
        if ts >= self.end_ts:
            return
        self._entries.append((max(ts, self.start_ts), len(self._entries), True, skeleton))
        self.stats.deleted += 1

    def pods(self, owner: tuple[str, str], pod_hash: int, starts: np.ndarray, ends: np.ndarray | None,
             kind: str) -> None:
        """Lifecycles of an owner's pods, already in launch order; ``ends`` None = never finish.

        Pods starting at or after the end of the window were never seen and are dropped;
        pods still running at the end are recorded as Running.
        """
        inside = starts < self.end_ts
        if not inside.any():
            return
        starts = starts[inside]
        start_list = starts.tolist()
        if ends is None:
            entries = [PodLifecycle(start) for start in start_list]
        else:
            end_list = ends[inside].tolist()
            end_ts = self.end_ts
            entries = [PodLifecycle(s, e) if e < end_ts else PodLifecycle(s)
                       for s, e in zip(start_list, end_list, strict=True)]
        self._lifecycles.setdefault(owner, {}).setdefault(pod_hash, []).extend(entries)
        self.stats.lifecycles += len(entries)
        self.stats.pods[kind] += len(entries)

    # -- assembly ----------------------------------------------------------------------------

    def build(self) -> Trace:
        self._entries.sort(key=lambda entry: (entry[0], entry[1]))
        events: list[TraceEvent] = [TraceEvent(self.start_ts)]
        for ts, _, deleted, obj in self._entries:
            event = events[-1]
            if event.ts != ts:
                event = TraceEvent(ts)
                events.append(event)
            (event.deleted_objs if deleted else event.applied_objs).append(obj)
        if events[-1].ts < self.end_ts:
            events.append(TraceEvent(self.end_ts))
        self.stats.events = len(events)
        # Only the last applied version of each object is hashed: the index needs no more,
        # and hashing every replica change of every Deployment would dominate the run time.
        index = {
            gvk: {key: self.spec_hash_of(obj.get("spec")) for key, obj in objects.items()}
            for gvk, objects in self._last_applied.items()
        }
        return Trace(
            config=TracerConfig(dict(self._tracked)),
            events=events,
            index=index,
            pod_lifecycles=self._lifecycles,
        )
