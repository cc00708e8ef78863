"""What-if transforms: derive a new trace from a recorded one without breaking it.

Each transform takes a :class:`Trace` and returns a new one; the input is never modified
(edited objects are copied, untouched objects are shared). Unlike SimKube's SKEL edits,
which leave ``index`` and ``pod_lifecycles`` as they were (FORMAT.md §5), every transform
here keeps them consistent with the events it produces:

* an object whose last applied spec changes gets its index hash recomputed
  (``spec_hash``, SimKube's ``hash_option(spec)``); untouched entries keep their value;
* dropped objects leave the index, and their lifecycles go with them;
* when a pod template changes, its lifecycles are re-keyed to the new template's stable
  pod-spec hash (``pod_spec_stable_hash``), so the replay still finds them;
* time transforms move lifecycles with the events.

All arithmetic is exact (``Fraction``) and rounds half up, so the same input and options
always give byte-identical output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

from pytest_simkube.kube.labels import Selector
from pytest_simkube.kube.quantity import (
    QuantityError,
    format_bytes,
    format_cpu_millis,
    parse_quantity,
)
from pytest_simkube.trace.hashing import pod_spec_stable_hash, spec_hash
from pytest_simkube.trace.model import (
    GVK,
    KubeObject,
    OwnerKey,
    PodLifecycle,
    Trace,
    TraceEvent,
    object_key,
)
from pytest_simkube.trace.podspec import dotted, edit_pod_specs, iter_containers, pod_templates, thaw

ObjectId = tuple[str, str]
"""(GVK string, ``"ns/name"``), the identity the index and lifecycles use."""

Number = int | float | Fraction | str
ResourceField = Literal["requests", "limits"]


class TransformError(ValueError):
    """A transform that cannot be applied to this trace; ``where`` locates the cause inside it."""

    def __init__(self, where: str | None, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


# ---------------------------------------------------------------------------- selecting objects


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    """Which objects a transform touches: every given criterion must hold (empty = any).

    ``kinds`` accepts a kind in any case (``Deployment``, ``deployment``, as kubectl does)
    or the exact ``apps/v1.Deployment``; ``selector``
    is a compiled label selector (:mod:`pytest_simkube.kube.labels`) matched against
    ``metadata.labels``.
    """

    kinds: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    selector: Selector | None = None

    def matches(self, gvk: str, obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        labels = meta.get("labels")
        return self.matches_identity(gvk, meta.get("namespace"), meta.get("name"),
                                     labels if isinstance(labels, Mapping) else {})

    def matches_identity(self, gvk: str, namespace: Any, name: Any, labels: Mapping[str, str]) -> bool:
        if self.kinds and not any(k == gvk or k.lower() == _kind_of(gvk).lower() for k in self.kinds):
            return False
        if self.namespaces and namespace not in self.namespaces:
            return False
        if self.names and name not in self.names:
            return False
        return self.selector is None or self.selector.matches(labels)

    def describe(self) -> str:
        parts = [f"kind in {list(self.kinds)}"] if self.kinds else []
        parts += [f"namespace in {list(self.namespaces)}"] if self.namespaces else []
        parts += [f"name in {list(self.names)}"] if self.names else []
        parts += [f"labels match {self.selector}"] if self.selector is not None else []
        return " and ".join(parts) or "every object"


EVERY_OBJECT = ObjectFilter()


def _kind_of(gvk: str) -> str:
    return gvk.rpartition(".")[2]


def object_id(obj: Any) -> ObjectId | None:
    """(GVK, ``ns/name``) of an object, as the index and lifecycles key it; None if it has no metadata."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("metadata"), Mapping):
        return None
    return str(GVK.of(obj)), object_key(obj)


# ---------------------------------------------------------------------------- numbers


def as_fraction(value: Number, what: str) -> Fraction:
    """An exact factor: ``"0.5"``, ``0.5`` (read as its decimal text), ``Fraction(1, 2)``."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError
            value = repr(value)
        result = Fraction(value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise TransformError(None, f"{what} must be a number, got {value!r}") from None
    return result


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _time_scaler(t0: int, factor: Fraction) -> Callable[[int], int]:
    """``ts -> t0 + round_half_up((ts - t0) * factor)`` in integer arithmetic (hot: every lifecycle)."""
    p, q = factor.numerator, factor.denominator
    return lambda ts: t0 + (2 * (ts - t0) * p + q) // (2 * q)


# ---------------------------------------------------------------------------- the common rewrite


ObjectEditor = Callable[[str, KubeObject, str], KubeObject | None]
"""(gvk, object, where) -> edited copy, or None to keep the object as it is."""


Edit = tuple[ObjectId, int, KubeObject, KubeObject]
"""(object id, event ts, object before, object after) for one edited applied object."""


def _rewrite_applied(trace: Trace, editor: ObjectEditor) -> tuple[list[TraceEvent], list[Edit]]:
    """New events with ``editor`` applied to every applied object, and the list of edits made.

    Each edit is (object id, event ts, old object, new object). Events and lists are new;
    unchanged objects are shared with the input.
    """
    events: list[TraceEvent] = []
    edits: list[Edit] = []
    for e, event in enumerate(trace.events):
        applied = []
        for i, obj in enumerate(event.applied_objs):
            oid = object_id(obj)
            new = editor(oid[0], obj, f"events[{e}].applied_objs[{i}]") if oid else None
            if new is not None and oid is not None:
                edits.append((oid, event.ts, obj, new))
                applied.append(new)
            else:
                applied.append(obj)
        events.append(TraceEvent(event.ts, applied, list(event.deleted_objs)))
    return events, edits


def _last_applied(events: Iterable[TraceEvent]) -> dict[ObjectId, KubeObject]:
    last: dict[ObjectId, KubeObject] = {}
    for event in events:
        for obj in event.applied_objs:
            oid = object_id(obj)
            if oid is not None:
                last[oid] = obj
    return last


def _reindex(old: Trace, events: Sequence[TraceEvent],
             removed: frozenset[ObjectId] = frozenset()) -> dict[str, dict[str, int]]:
    """The input index without ``removed`` objects, with hashes recomputed where the last spec changed.

    An entry keeps its (possibly stale) value when the object's last applied version is the
    one it was before (transforms share untouched objects, so identity tells), so a
    transform never "fixes" what it did not touch.
    """
    last_old = _last_applied(old.events)
    last_new = _last_applied(events)
    index: dict[str, dict[str, int]] = {}
    for gvk, entries in old.index.items():
        new_entries: dict[str, int] = {}
        for key, value in entries.items():
            oid = (gvk, key)
            if oid in removed:
                continue
            new_obj = last_new.get(oid)
            old_obj = last_old.get(oid)
            if new_obj is not None and new_obj is not old_obj and (
                    old_obj is None or new_obj.get("spec") is not old_obj.get("spec")):
                value = spec_hash(new_obj.get("spec"))
            new_entries[key] = value
        if new_entries or not entries:
            index[gvk] = new_entries
    return index


def _with(trace: Trace, events: list[TraceEvent], index: dict[str, dict[str, int]],
          lifecycles: dict[OwnerKey, dict[int, list[PodLifecycle]]]) -> Trace:
    return replace(trace, events=events, index=index, pod_lifecycles=lifecycles)


def _copy_lifecycles(trace: Trace) -> dict[OwnerKey, dict[int, list[PodLifecycle]]]:
    return {owner: {h: list(lcs) for h, lcs in by_hash.items()}
            for owner, by_hash in trace.pod_lifecycles.items()}


# ---------------------------------------------------------------------------- scale replicas


REPLICAS_DEFAULT_TO_ONE = frozenset(("apps/v1.Deployment", "apps/v1.ReplicaSet", "apps/v1.StatefulSet"))


def scale_replicas(trace: Trace, *, factor: Number | None = None, value: int | None = None,
                   where: ObjectFilter = EVERY_OBJECT) -> Trace:
    """Multiply (``factor``, rounded half up) or set (``value``) ``spec.replicas`` of matching objects.

    Objects with an integer ``spec.replicas`` change (custom kinds too); Deployments,
    ReplicaSets and StatefulSets without the field count as 1, the API server's default
    (``SetDefaults_Deployment`` and friends, pkg/apis/apps/v1/defaults.go). Pod templates are
    untouched, so lifecycles keep their keys and only the index hashes of scaled objects are
    recomputed.
    """
    if (factor is None) == (value is None):
        raise TransformError(None, "scale replicas needs exactly one of a factor or a value")
    frac = as_fraction(factor, "replica factor") if factor is not None else None
    if frac is not None and frac < 0:
        raise TransformError(None, f"replica factor must not be negative, got {factor}")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise TransformError(None, f"replica count must be a non-negative integer, got {value!r}")

    def edit(gvk: str, obj: KubeObject, at: str) -> KubeObject | None:
        spec = obj.get("spec")
        if not where.matches(gvk, obj) or not isinstance(spec, Mapping):
            return None
        if "replicas" not in spec and gvk not in REPLICAS_DEFAULT_TO_ONE:
            return None
        replicas = spec.get("replicas", 1)
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise TransformError(f"{at}.spec.replicas", f"replicas must be an integer, got {replicas!r}")
        new = value if value is not None else round_half_up(replicas * frac)  # type: ignore[operator]
        if new == replicas:
            return None
        copy = thaw(obj)
        _put_sorted(copy["spec"], "replicas", new)
        return copy

    events, _ = _rewrite_applied(trace, edit)
    return _with(trace, events, _reindex(trace, events), _copy_lifecycles(trace))


# ---------------------------------------------------------------------------- time scale


def scale_time(trace: Trace, factor: Number) -> Trace:
    """Compress (< 1) or stretch (> 1) time around the first event.

    Every event timestamp and every lifecycle start/end becomes ``t0 + round((t - t0) * factor)``
    (seconds, half up), so run times scale with the gaps between events. Objects are
    unchanged; fields that hold durations inside objects (CronJob schedules, Job deadlines)
    are not rewritten.
    """
    frac = as_fraction(factor, "time factor")
    if frac <= 0:
        raise TransformError(None, f"time factor must be positive, got {factor}")
    t0 = trace.start_ts or 0  # a trace without events only has lifecycles to move
    return _retime(trace, _time_scaler(t0, frac))


def scale_arrival_rate(trace: Trace, rate: Number) -> Trace:
    """Make things arrive ``rate`` times as often, while each pod still runs as long as recorded.

    Event times become ``t0 + round((t - t0) / rate)`` like :func:`scale_time` with factor
    ``1 / rate``, and each lifecycle's start moves the same way, but its end keeps the
    recorded run time (``end - start``): twice the Jobs per hour, each as long as before.
    """
    frac = as_fraction(rate, "arrival rate")
    if frac <= 0:
        raise TransformError(None, f"arrival rate must be positive, got {rate}")
    return _retime(trace, _time_scaler(trace.start_ts or 0, 1 / frac), keep_run_times=True)


def shift_time(trace: Trace, seconds: int) -> Trace:
    """Move the whole trace ``seconds`` later (negative: earlier): events and lifecycles alike.

    Replay is relative to the first event, so a shift changes nothing in a simulation; it
    lines traces up (e.g. to merge or compare two recordings) and keeps them readable.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TransformError(None, f"time shift must be a whole number of seconds, got {seconds!r}")
    if trace.events and min(ev.ts for ev in trace.events) + seconds < 0:
        raise TransformError(None, f"shifting by {seconds}s would move events before the Unix epoch")
    return _retime(trace, lambda ts: ts + seconds)


def _retime(trace: Trace, move: Callable[[int], int], *, keep_run_times: bool = False) -> Trace:
    """The trace with ``move`` applied to every event time and lifecycle start (and end, unless
    ``keep_run_times``: then each Finished lifecycle keeps its recorded duration)."""

    def moved(lc: PodLifecycle) -> PodLifecycle:
        if lc.start is None:
            return lc
        start = move(lc.start)
        if lc.end is None:
            return PodLifecycle(start)
        return PodLifecycle(start, start + lc.end - lc.start if keep_run_times else move(lc.end))

    events = [TraceEvent(move(ev.ts), list(ev.applied_objs), list(ev.deleted_objs)) for ev in trace.events]
    lifecycles = {owner: {h: [moved(lc) for lc in lcs] for h, lcs in by_hash.items()}
                  for owner, by_hash in trace.pod_lifecycles.items()}
    return _with(trace, events, {g: dict(e) for g, e in trace.index.items()}, lifecycles)


# ---------------------------------------------------------------------------- window


def cut_window(trace: Trace, start: int, end: int | None = None) -> Trace:
    """Keep ``[t0 + start, t0 + end)`` (seconds after the first event; ``end=None``: to the end).

    Reproduces SimKube's export (acrlabs/simkube ``sk-store`` ``TraceStore::collect_events``
    and ``PodOwnersMap::filter``): the first event, at the window start, re-applies every
    object applied before the start and not deleted by then (bare pods whose lifecycle
    finished before the start excepted); then every non-empty event inside the window; then,
    like SimKube's ``Trace::import`` with a duration, an empty event at the window end (or
    at the input's last timestamp for an open end) so the replay lasts the whole window.
    The index keeps every object applied before the window end, deleted or not; lifecycles
    are kept when they overlap the window, their start clamped to the window start.

    Deliberate deviations: objects are identified by GVK *and* ``ns/name`` (upstream
    keys the flattened state by ``ns/name`` only, so two kinds with one name collide),
    flattened objects come in the order they were last applied (upstream: hash-map order),
    and a pod running through the whole window is kept (upstream's overlap test misses it).
    """
    for name, value in (("window start", start), ("window end", end)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise TransformError(None, f"{name} must be a non-negative number of seconds, got {value!r}")
    if end is not None and end <= start:
        raise TransformError(None, f"window end ({end}s) must be after its start ({start}s)")
    t0 = trace.start_ts
    if t0 is None:
        return _with(trace, [], {g: dict(e) for g, e in trace.index.items()}, _copy_lifecycles(trace))
    start_ts = t0 + start
    end_ts = t0 + end if end is not None else max(ev.ts for ev in trace.events) + 1

    flattened: dict[ObjectId, KubeObject] = {}
    first_applied: dict[ObjectId, int] = {}
    window_events: list[TraceEvent] = []
    for event in trace.events:
        if event.ts >= end_ts:
            continue
        for obj in event.applied_objs:
            oid = object_id(obj)
            if oid is None:
                continue
            first_applied.setdefault(oid, event.ts)
            if event.ts < start_ts and not _finished_bare_pod(trace, oid, start_ts):
                flattened.pop(oid, None)
                flattened[oid] = obj
        if event.ts < start_ts:
            for obj in event.deleted_objs:
                oid = object_id(obj)
                if oid is not None:
                    flattened.pop(oid, None)
        elif event.applied_objs or event.deleted_objs:
            window_events.append(TraceEvent(event.ts, list(event.applied_objs), list(event.deleted_objs)))
    events = [TraceEvent(start_ts, list(flattened.values()), []), *window_events]
    # Keep the window's length: an empty closing event at the end, as SimKube's import with a
    # duration appends one (``Trace::import``), or at the input's last timestamp for an open end.
    closing_ts = end_ts if end is not None else max(ev.ts for ev in trace.events)
    if closing_ts > events[-1].ts:
        events.append(TraceEvent(closing_ts))

    later = frozenset(oid for oid in _last_applied(trace.events) if oid not in first_applied)
    # Hashes follow the last spec applied before the window end, as SimKube's export computes them.
    index = _reindex(trace, [ev for ev in trace.events if ev.ts < end_ts], removed=later)

    lifecycles: dict[OwnerKey, dict[int, list[PodLifecycle]]] = {}
    for owner, by_hash in trace.pod_lifecycles.items():
        if owner[1] not in index.get(owner[0], {}):
            continue
        kept = {}
        for pod_hash, lcs in by_hash.items():
            inside = [PodLifecycle(max(lc.start, start_ts), lc.end)  # type: ignore[arg-type]
                      for lc in lcs if _overlaps(lc, start_ts, end_ts)]
            if inside:
                kept[pod_hash] = inside
        if kept:
            lifecycles[owner] = kept
    return _with(trace, events, index, lifecycles)


def _overlaps(lc: PodLifecycle, start_ts: int, end_ts: int) -> bool:
    # Upstream sk-core PodLifecycleData::overlaps keeps Running(s) when s < end and Finished(s, e)
    # when s or e falls in [start, end); a pod running through the whole window is kept here too.
    if lc.start is None:
        return False
    if lc.end is None:
        return lc.start < end_ts
    return lc.start < end_ts and lc.end >= start_ts


def _finished_bare_pod(trace: Trace, oid: ObjectId, start_ts: int) -> bool:
    """A bare pod (its own lifecycle owner) whose recorded lifecycles all ended before ``start_ts``."""
    if oid[0] != "v1.Pod":
        return False
    lcs = [lc for group in trace.pod_lifecycles.get(oid, {}).values() for lc in group]
    return bool(lcs) and all(lc.end is not None and lc.end < start_ts for lc in lcs)


# ---------------------------------------------------------------------------- requests / limits


def set_resource(trace: Trace, field_name: ResourceField, resource: str, quantity: str, *,
                 container: str | None = None, where: ObjectFilter = EVERY_OBJECT) -> Trace:
    """Set ``resources.<field>.<resource>`` of containers in matching pod templates.

    Without ``container`` every app container (``containers``) is set; with it, the
    container of that name in ``containers`` or ``initContainers``. Lifecycles of changed
    templates are re-keyed to the new stable pod-spec hash.
    """
    _check_resource_args(field_name, resource)
    try:
        parse_quantity(quantity)
    except QuantityError as exc:
        raise TransformError(None, f"{field_name}.{resource}: {exc}") from None

    def change(_current: Any, _at: str) -> Any:
        return quantity

    return _edit_resources(trace, field_name, resource, container, where, change, create=True)


def scale_resource(trace: Trace, field_name: ResourceField, resource: str, factor: Number, *,
                   container: str | None = None, where: ObjectFilter = EVERY_OBJECT) -> Trace:
    """Multiply an existing ``resources.<field>.<resource>`` by ``factor``; containers without it are skipped.

    Results are rounded up like Kubernetes' ``Quantity`` accessors: CPU to whole
    millicores (``"750m"``), memory and storage to whole bytes in the largest exact binary
    unit (``"384Mi"``), anything else to a whole number.
    """
    _check_resource_args(field_name, resource)
    frac = as_fraction(factor, f"{field_name}.{resource} factor")
    if frac <= 0:
        raise TransformError(None, f"{field_name}.{resource} factor must be positive, got {factor}")

    def change(current: Any, at: str) -> Any:
        try:
            amount = parse_quantity(current) * frac
        except QuantityError as exc:
            raise TransformError(at, str(exc)) from None
        return format_resource(resource, amount)

    return _edit_resources(trace, field_name, resource, container, where, change, create=False)


def format_resource(resource: str, amount: Fraction) -> str:
    """Canonical quantity text for ``amount`` of ``resource``, rounded up."""
    if resource == "cpu":
        return format_cpu_millis(math.ceil(amount * 1000))
    if resource in ("memory", "ephemeral-storage", "storage") or resource.startswith("hugepages-"):
        return format_bytes(math.ceil(amount))
    return str(math.ceil(amount))


def _check_resource_args(field_name: str, resource: str) -> None:
    if field_name not in ("requests", "limits"):
        raise TransformError(None, f"resource field must be 'requests' or 'limits', got {field_name!r}")
    if not isinstance(resource, str) or not resource:
        raise TransformError(None, "resource name must be a non-empty string such as 'cpu' or 'memory'")


def _edit_resources(trace: Trace, field_name: str, resource: str, container: str | None,
                    where: ObjectFilter, change: Callable[[Any, str], Any], *, create: bool) -> Trace:
    def edit(gvk: str, obj: KubeObject, at: str) -> KubeObject | None:
        if not where.matches(gvk, obj):
            return None

        def edit_spec(spec: dict[str, Any], spec_path: tuple[str | int, ...]) -> bool:
            changed = False
            base = f"{at}.{dotted(spec_path)}" if spec_path else at
            for list_name, i, c in iter_containers(spec, init=container is not None):
                if not isinstance(c, dict) or (container is not None and c.get("name") != container):
                    continue
                resources = c.get("resources")
                section = resources.get(field_name) if isinstance(resources, dict) else None
                if not isinstance(section, dict) or resource not in section:
                    if not create:
                        continue
                    if not isinstance(resources, dict):
                        resources = _put_sorted(c, "resources", {})
                    if not isinstance(section, dict):
                        section = _put_sorted(resources, field_name, {})
                    current = None
                else:
                    current = section[resource]
                new = change(current, f"{base}.{list_name}[{i}].resources.{field_name}.{resource}")
                if new != current:
                    _put_sorted(section, resource, new)
                    changed = True
            return changed

        return edit_pod_specs(obj, gvk, trace.config, edit_spec)

    events, edits = _rewrite_applied(trace, edit)
    lifecycles = _rekey_lifecycles(trace, events, edits)
    return _with(trace, events, _reindex(trace, events), lifecycles)


def _put_sorted(mapping: dict[str, Any], key: str, value: Any) -> Any:
    """Set ``mapping[key]`` keeping keys sorted, as SimKube writes nested JSON maps (BTreeMap order)."""
    if key in mapping:
        mapping[key] = value
        return value
    mapping[key] = value
    items = sorted(mapping.items())
    mapping.clear()
    mapping.update(items)
    return value


# ---------------------------------------------------------------------------- lifecycle re-keying


@dataclass(slots=True)
class _OwnerHistory:
    """The template versions of one owner in apply order: (old hash, new hash) per template."""

    times: list[int] = field(default_factory=list)
    hashes: list[list[tuple[int, int]]] = field(default_factory=list)
    # Recently hashed specs: re-applies that only change replicas repeat the same template.
    seen: list[tuple[Mapping[str, Any], int]] = field(default_factory=list)

    def hash_specs(self, specs: Sequence[Mapping[str, Any]]) -> list[int]:
        hashes = []
        for spec in specs:
            known = next((h for s, h in self.seen if s is spec or s == spec), None)
            if known is None:
                known = pod_spec_stable_hash(spec)
                self.seen = [*self.seen[-3:], (spec, known)]
            hashes.append(known)
        return hashes


def _rekey_lifecycles(trace: Trace, events: Sequence[TraceEvent],
                      edits: Sequence[Edit]) -> dict[OwnerKey, dict[int, list[PodLifecycle]]]:
    """Lifecycles with the buckets of edited owners moved to their new templates' hashes.

    A bucket whose hash is the stable hash of an old template version (always true for
    bare pods) moves to the hash of the edited version. Otherwise (live pods get
    admission defaults, so templated owners' hashes are not reproducible) the bucket
    belongs to the version that was current when its first pod started, and moves if that
    version has a single template. Buckets that land on one hash are merged in start order.
    """
    lifecycles = _copy_lifecycles(trace)
    histories = {oid: _OwnerHistory() for oid, _, _, _ in edits if lifecycles.get(oid)}
    if not histories:
        return lifecycles
    for old_event, new_event in zip(trace.events, events, strict=True):
        for old_obj, new_obj in zip(old_event.applied_objs, new_event.applied_objs, strict=True):
            oid = object_id(old_obj)
            history = histories.get(oid)  # type: ignore[arg-type]
            if history is None or oid is None:
                continue
            olds = history.hash_specs(_template_specs(trace, oid[0], old_obj))
            news = olds if new_obj is old_obj else history.hash_specs(_template_specs(trace, oid[0], new_obj))
            history.times.append(old_event.ts)
            history.hashes.append(list(zip(olds, news, strict=True)))

    for owner, history in histories.items():
        exact: dict[int, int] = {}
        for pairs in history.hashes:
            for old_hash, new_hash in pairs:
                exact.setdefault(old_hash, new_hash)
        moved: dict[int, list[PodLifecycle]] = {}
        for pod_hash, lcs in lifecycles[owner].items():
            target = exact.get(pod_hash)
            if target is None:
                target = _hash_by_time(history, lcs, pod_hash)
            moved[target] = _merge_in_start_order(moved.get(target, []), lcs)
        lifecycles[owner] = moved
    return lifecycles


def _template_specs(trace: Trace, gvk: str, obj: KubeObject) -> list[Mapping[str, Any]]:
    return [ref.pod_spec for ref in pod_templates(obj, gvk, trace.config) if ref.pod_spec is not None]


def _hash_by_time(history: _OwnerHistory, lcs: Sequence[PodLifecycle], pod_hash: int) -> int:
    starts = [lc.start for lc in lcs if lc.start is not None]
    if not starts or not history.times:
        return pod_hash
    first_start = min(starts)
    version = 0
    for i, ts in enumerate(history.times):
        if ts <= first_start:
            version = i
    pairs = history.hashes[version]
    if len(pairs) != 1:
        return pod_hash  # several templates: no way to tell which one these pods came from
    old_hash, new_hash = pairs[0]
    return pod_hash if old_hash == new_hash else new_hash  # an unedited version keeps its pods' hash


def _merge_in_start_order(first: list[PodLifecycle], second: Sequence[PodLifecycle]) -> list[PodLifecycle]:
    """Two launch-ordered lifecycle lists as one, ordered by start (stable: ties keep list order)."""
    if not first:
        return list(second)
    merged = [*first, *second]
    merged.sort(key=lambda lc: (lc.start is None, lc.start or 0))
    return merged


# ---------------------------------------------------------------------------- drop


def drop_objects(trace: Trace, where: ObjectFilter) -> Trace:
    """Remove every object matching ``where`` from the events, the index and the lifecycles.

    An object is dropped as a whole: if any applied version matches, all its applies and
    deletes go, so the result never deletes an object it never created. Objects the events
    never apply (deleted before the trace began, or only indexed) are matched on what is
    known of them: kind, namespace, name and, for full deleted objects, labels.
    Events left empty by the drop disappear; the first event always stays, so the trace
    keeps its start time.
    """
    applied_ids = {oid for event in trace.events for oid in map(object_id, event.applied_objs) if oid}
    dropped = {oid for event in trace.events for obj in event.applied_objs
               if (oid := object_id(obj)) is not None and where.matches(oid[0], obj)}
    # Objects the events never apply (deleted skeletons of objects from before the trace, or
    # index-only entries) are judged on what is known of them: identity, and labels if any.
    for event in trace.events:
        for obj in event.deleted_objs:
            oid = object_id(obj)
            if oid is not None and oid not in applied_ids and where.matches(oid[0], obj):
                dropped.add(oid)
    for gvk, entries in trace.index.items():
        for key in entries:
            namespace, _, name = key.rpartition("/")
            if (gvk, key) not in applied_ids and where.matches_identity(gvk, namespace or None, name, {}):
                dropped.add((gvk, key))

    events: list[TraceEvent] = []
    for e, event in enumerate(trace.events):
        applied = [o for o in event.applied_objs if object_id(o) not in dropped]
        deleted = [o for o in event.deleted_objs if object_id(o) not in dropped]
        emptied = not applied and not deleted and (event.applied_objs or event.deleted_objs)
        if e == 0 or not emptied:
            events.append(TraceEvent(event.ts, applied, deleted))
    removed = frozenset(dropped)
    lifecycles = {owner: by_hash for owner, by_hash in _copy_lifecycles(trace).items()
                  if owner not in removed}
    return _with(trace, events, _reindex(trace, events, removed=removed), lifecycles)
