"""Reading SimKube traces in every layout SimKube ever wrote (FORMAT.md §2.9).

* v2 (SimKube 2.0-2.7): a msgpack map ``version, config, events, index, pod_lifecycles``;
* v1 (SimKube <= 1.1.1): a 4-element msgpack array ``[config, events, index, lifecycles]``
  whose index and lifecycles are keyed by ``"ns/name"`` only;
* v3 (unreleased): ``tracked_objects`` (``{GVK: {"ns/name": {}}}``) instead of ``index``;
* the JSON form (:mod:`pytest_simkube.trace.jsonform`), recognised by its leading ``{``.

Everything is checked on the way in, and any problem becomes a :class:`TraceError` naming
the file, the path inside it (``events[12].applied_objs[3].metadata``) and what is wrong,
so a corrupt or hand-edited trace can never surface as a traceback or a wrong result.
Kubernetes objects are kept as the plain dicts msgpack produced, in file order: building
the model costs little next to decoding, and an unchanged v2 file writes back byte for byte.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import msgpack

from pytest_simkube.errors import TraceError
from pytest_simkube.trace.hashing import json_hash
from pytest_simkube.trace.model import (
    CURRENT_FORMAT_VERSION,
    GVK,
    KubeObject,
    OwnerKey,
    PodLifecycle,
    Trace,
    TraceEvent,
    TracerConfig,
    TrackedObjectConfig,
    object_key,
)

SUPPORTED_VERSIONS = (1, 2, 3)
_U64_MAX = (1 << 64) - 1
_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1
_TRACKED_OBJECT_KEYS = frozenset(
    ("podSpecTemplatePaths", "podSpecTemplatePath", "trackLifecycle", "skipOwned")
)
_MSGPACK_ERRORS = (ValueError, TypeError, msgpack.UnpackException, RecursionError, OverflowError)
_EMPTY_LIFECYCLE = PodLifecycle()
_new_lifecycle = PodLifecycle.__new__
_set_start = PodLifecycle.start.__set__  # type: ignore[attr-defined]
_set_end = PodLifecycle.end.__set__  # type: ignore[attr-defined]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large acyclic structure.

    Decoding allocates millions of small containers; each allocation burst triggers a
    collection that re-walks everything built so far, which costs more than the decoding
    itself. Nothing built here is cyclic, so nothing is lost by collecting later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _non_json_candidates(data: bytes, start: int = 0, end: int | None = None) -> list[int]:
    """Positions in ``data[start:end]`` where a value JSON cannot hold may be encoded.

    With non-empty binaries refused by the decoder, the only such encodings left are
    NaN/infinite float64 (0xcb, exponent all ones), NaN/infinite float32 (0xca) and the
    empty binary (0xc4 0x00). Where none of these byte patterns occur the objects are JSON
    for certain, and the deep check is skipped; a position may also be a false match
    (inside a string or an integer), which then costs only a check of that event.
    """
    end = len(data) if end is None else end
    found = []
    pos = data.find(b"\xc4\x00", start, end)
    while pos != -1:
        found.append(pos)
        pos = data.find(b"\xc4\x00", pos + 1, end)
    for marker, second_min in ((b"\xcb", 0xF0), (b"\xca", 0x80)):
        pos = data.find(marker, start, end)
        while pos != -1 and pos + 2 < end:
            if data[pos + 1] in (0x7F, 0xFF) and data[pos + 2] >= second_min:
                found.append(pos)
            pos = data.find(marker, pos + 1, end)
    return sorted(found)


# Payload sizes of msgpack int headers, for finding where an event's "ts" value ends.
_INT_PAYLOAD = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}


def _ts_end(data: bytes, event_start: int) -> int:
    """Offset just past an event's leading ``"ts": <int>`` (SimKube's field order), else its start.

    Unix timestamps are uint32 whose payload bytes often look like a float header; they are
    known integers, so candidates inside them are dismissed.
    """
    if 0x80 <= data[event_start] <= 0x8F and data[event_start + 1 : event_start + 4] == b"\xa2ts":
        return event_start + 5 + _INT_PAYLOAD.get(data[event_start + 4], 0)
    return event_start


def _suspect_events(data: bytes, start: int, end: int) -> list[int]:
    """Indices of the events (encoded as an array in ``data[start:end]``) that need the deep check."""
    first = data[start] if start < end else 0
    if not (0x90 <= first <= 0x9F or first in (0xDC, 0xDD)):
        return []  # not an array: the events check reports that
    candidates = _non_json_candidates(data, start, end)
    if not candidates:
        return []
    unpacker = msgpack.Unpacker(max_buffer_size=max(end - start, 1))
    unpacker.feed(data[start:end])
    offsets = []
    for _ in range(unpacker.read_array_header()):
        offsets.append(start + unpacker.tell())
        unpacker.skip()
    suspects: set[int] = set()
    for pos in candidates:
        index = bisect.bisect_right(offsets, pos) - 1
        if index >= 0 and pos >= _ts_end(data, offsets[index]):
            suspects.add(index)
    return sorted(suspects)


def _lifecycle(start: int, end: int | None) -> PodLifecycle:
    """A PodLifecycle without the frozen dataclass's slow ``__init__`` (one per traced pod)."""
    lifecycle = _new_lifecycle(PodLifecycle)
    _set_start(lifecycle, start)
    _set_end(lifecycle, end)
    return lifecycle


def read_trace(path: str | os.PathLike[str], *, lenient: bool = False) -> Trace:
    """Read a trace file: msgpack in any supported layout, or the JSON form.

    The content decides (a JSON document starts with ``{``, a trace in msgpack with a map
    or array header); a ``.json`` suffix sends anything else to the JSON parser too, so a
    broken JSON file gets a JSON error message rather than a msgpack one.

    ``lenient=True`` is for the validator only: the structure is still decoded and type
    checked, but events out of time order, malformed GVK strings and objects without
    apiVersion, kind or name are let through, so that ``validate_trace`` can report every
    one of them (E0101-E0103) instead of the reader stopping at the first. Nothing else
    may consume such a trace.
    """
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise TraceError(source, None, "no such file") from None
    except IsADirectoryError:
        raise TraceError(source, None, "is a directory, not a trace file") from None
    except OSError as exc:
        raise TraceError(source, None, f"cannot read: {exc.strerror or exc}") from None
    if source.endswith(".json") and data and not _starts_like_msgpack_trace(data):
        from pytest_simkube.trace.jsonform import trace_from_json_bytes

        return trace_from_json_bytes(data, source, lenient=lenient)
    return loads_trace(data, source, lenient=lenient)


def loads_trace(data: bytes, source: str = "<bytes>", *, lenient: bool = False) -> Trace:
    """Decode a trace from bytes (msgpack, or the JSON form when it starts with ``{``); see read_trace."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"loads_trace expects bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise TraceError(source, None, "empty file: expected a msgpack trace")
    # '{', a UTF-8 BOM and JSON whitespace are all single-byte ints in msgpack, never a trace start.
    if data.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n")[:1] == b"{":
        from pytest_simkube.trace.jsonform import trace_from_json_bytes

        return trace_from_json_bytes(data, source, lenient=lenient)
    with gc_paused():
        return _TraceDecoder(source, lenient=lenient).decode_msgpack(data)


_UTF8_BOM = b"\xef\xbb\xbf"


def _starts_like_msgpack_trace(data: bytes) -> bool:
    first = data[0]
    return 0x80 <= first <= 0x9F or first in (0xDC, 0xDD, 0xDE, 0xDF)


def _type_name(value: Any) -> str:
    names = {
        dict: "map",
        list: "array",
        tuple: "array",
        str: "string",
        bytes: "binary",
        bool: "boolean",
        int: "integer",
        float: "float",
        type(None): "nil",
    }
    return names.get(type(value), type(value).__name__)


def _size_limits(length: int) -> dict[str, int]:
    """msgpack size limits for ``length`` input bytes: no declared length can exceed the input,
    so a corrupt header claiming 4 billion entries fails at once instead of allocating.
    Binaries are never valid in a trace (objects are JSON), so none is accepted."""
    length = max(length, 1)
    return {
        "max_str_len": length,
        "max_array_len": length,
        "max_map_len": length // 2 or 1,
        "max_bin_len": 0,
        "max_ext_len": length,  # extensions are refused by _reject_ext, with a clearer message
    }


def _reject_ext(code: int, data: bytes) -> NoReturn:
    raise ValueError(f"msgpack extension type {code} is not allowed in a trace")


class _TraceDecoder:
    """Turns the decoded top-level value into a :class:`Trace`, validating as it goes."""

    def __init__(self, source: str, *, lenient: bool = False) -> None:
        self.source = source
        # Leave order, GVK syntax and object identity to the validator (see read_trace).
        self.lenient = lenient
        self._gvk_cache: dict[str, None] = {}
        self._data = b""
        # Which events may hold values JSON cannot (see _non_json_candidates); JSON input never does.
        # None = all of them (pre-2.0 layout, where event offsets are not tracked).
        self._suspect_events: list[int] | None = []

    def fail(self, where: str | None, message: str) -> NoReturn:
        raise TraceError(self.source, where, message)

    # ----------------------------------------------------------------- msgpack container
    def decode_msgpack(self, data: bytes) -> Trace:
        self._data = data
        first = data[0]
        if 0x80 <= first <= 0x8F or first in (0xDE, 0xDF):
            fields = self._unpack_top_map(data)
            return self.from_fields(fields, lifecycles_are_json=False)
        if 0x90 <= first <= 0x9F or first in (0xDC, 0xDD):
            self._suspect_events = None if _non_json_candidates(data) else []
            items = self._unpack_whole(data, use_list=True, what="trace")
            return self._from_v1(items)
        self.fail(
            None,
            f"not a SimKube trace: starts with byte 0x{first:02x}, expected a msgpack map (v2/v3) "
            "or a 4-element array (pre-2.0)",
        )

    def _unpack_whole(self, data: bytes, *, use_list: bool, what: str) -> Any:
        try:
            return msgpack.unpackb(
                data,
                raw=False,
                strict_map_key=False,
                use_list=use_list,
                ext_hook=_reject_ext,
                **_size_limits(len(data)),
            )
        except msgpack.ExtraData:
            self.fail(None, "trailing bytes after the trace value")
        except _MSGPACK_ERRORS as exc:
            self._fail_msgpack(what, exc)

    def _fail_msgpack(self, where: str | None, exc: BaseException) -> NoReturn:
        if isinstance(exc, TypeError) and "unhashable" not in str(exc):
            raise exc  # a bug here, not bad input: the only TypeError input causes is a map key
        if isinstance(exc, UnicodeDecodeError):
            self.fail(where, "invalid msgpack: a string is not valid UTF-8")
        if isinstance(exc, msgpack.OutOfData):
            self.fail(where, "truncated msgpack: the file ends in the middle of a value")
        if isinstance(exc, RecursionError):
            self.fail(where, "invalid msgpack: nesting too deep")
        if "max_bin_len" in str(exc):
            self._fail_binary(where)
        detail = str(exc) or type(exc).__name__
        self.fail(where, f"invalid msgpack: {detail}")

    def _unpack_top_map(self, data: bytes) -> dict[str, Any]:
        """Decode the top-level map field by field.

        Objects are decoded with lists (callers edit them); ``pod_lifecycles`` has array
        keys, which Python can only hash as tuples, so it is sliced out and decoded apart.
        """
        unpacker = msgpack.Unpacker(
            raw=False,
            strict_map_key=True,
            use_list=True,
            ext_hook=_reject_ext,
            max_buffer_size=max(len(data), 1),
            **_size_limits(len(data)),
        )
        unpacker.feed(data)
        fields: dict[str, Any] = {}
        where: str | None = None
        try:
            count = unpacker.read_map_header()
            for _ in range(count):
                where = None
                key = unpacker.unpack()
                if not isinstance(key, str):
                    self.fail(None, f"top-level key {key!r} is not a string")
                where = key
                if key == "pod_lifecycles":
                    start = unpacker.tell()
                    unpacker.skip()
                    fields[key] = _LazyLifecycles(data[start : unpacker.tell()])
                elif key == "events":
                    start = unpacker.tell()
                    fields[key] = unpacker.unpack()
                    self._suspect_events = _suspect_events(data, start, unpacker.tell())
                else:
                    fields[key] = unpacker.unpack()
            where = None
            if unpacker.tell() != len(data):
                self.fail(None, f"trailing bytes after the trace value ({len(data) - unpacker.tell()} bytes)")
        except TraceError:
            raise
        except _MSGPACK_ERRORS as exc:
            self._fail_msgpack(where, exc)
        lifecycles = fields.get("pod_lifecycles")
        if isinstance(lifecycles, _LazyLifecycles):
            fields["pod_lifecycles"] = self._unpack_whole(
                lifecycles.data, use_list=False, what="pod_lifecycles"
            )
        return fields

    def _fail_binary(self, where: str | None) -> NoReturn:
        """Name the path of the first binary value (only on failure: decodes the file again)."""
        try:
            whole = msgpack.unpackb(self._data, raw=False, strict_map_key=False, use_list=False)
        except _MSGPACK_ERRORS:
            whole = None
        if where is not None and isinstance(whole, dict) and where in whole:
            found = _find_non_json(whole[where], where)
        else:
            found = _find_non_json(whole, "") if whole is not None else None
        if found is not None:
            self.fail(found[0] or None, found[1])
        self.fail(where, "binary values are not allowed in a trace")

    # ----------------------------------------------------------------- layouts
    def from_fields(self, fields: dict[str, Any], *, lifecycles_are_json: bool) -> Trace:
        """Build a Trace from a decoded top-level map (v2 or v3 layout)."""
        if "version" not in fields:
            self.fail(
                None,
                "missing 'version' (a v2 trace is a map with version, config, events, index, pod_lifecycles)",
            )
        version = fields["version"]
        if type(version) is not int:
            self.fail("version", f"expected an integer, got {_type_name(version)}")
        if version not in (2, 3):
            hint = " (pre-2.0 traces are a 4-element array, not a map)" if version == 1 else ""
            self.fail("version", f"unsupported trace version {version}; supported: 1, 2, 3{hint}")
        for name in ("config", "events", "index" if version == 2 else "tracked_objects", "pod_lifecycles"):
            if name not in fields:
                self.fail(None, f"missing '{name}' (required in a version {version} trace)")
        config = self.config(fields["config"], "config")
        events = self.events(fields["events"], "events")
        if version == 2:
            index = self.index(fields["index"], "index")
        else:
            index = self.index_from_tracked_objects(fields["tracked_objects"], events, "tracked_objects")
        if lifecycles_are_json:
            from pytest_simkube.trace.jsonform import lifecycles_from_json

            lifecycles = lifecycles_from_json(fields["pod_lifecycles"], self, "pod_lifecycles")
        else:
            lifecycles = self.lifecycles(fields["pod_lifecycles"], "pod_lifecycles")
        return Trace(
            config=config,
            events=events,
            index=index,
            pod_lifecycles=lifecycles,
            version=CURRENT_FORMAT_VERSION,
            source_version=version,
        )

    def _from_v1(self, items: Any) -> Trace:
        if len(items) != 4:
            self.fail(
                None,
                f"a pre-2.0 trace is an array [config, events, index, lifecycles]; got {len(items)} elements",
            )
        raw_config, raw_events, raw_index, raw_lifecycles = items
        config = self.config(raw_config, "[0]")
        events = self.events(raw_events, "[1]")
        kind_of = _KindInference(events, config)
        index: dict[str, dict[str, int]] = {}
        for key, value in self.str_map(raw_index, "[2]").items():
            where = f"[2][{key!r}]"
            index.setdefault(kind_of(key, self, where), {})[key] = self.u64(value, where)
        lifecycles: dict[OwnerKey, dict[int, list[PodLifecycle]]] = {}
        for key, by_hash in self.str_map(raw_lifecycles, "[3]").items():
            where = f"[3][{key!r}]"
            lifecycles[(kind_of(key, self, where), key)] = self.lifecycles_by_hash(by_hash, where)
        return Trace(
            config=config,
            events=events,
            index=index,
            pod_lifecycles=lifecycles,
            version=CURRENT_FORMAT_VERSION,
            source_version=1,
        )

    # ----------------------------------------------------------------- pieces
    def gvk(self, text: Any, where: str) -> str:
        if text in self._gvk_cache:
            return text
        if self.lenient and type(text) is str:
            return text
        try:
            GVK.parse(text)
        except ValueError as exc:
            self.fail(where, str(exc))
        self._gvk_cache[text] = None
        return text

    def str_map(self, value: Any, where: str) -> dict[str, Any]:
        if type(value) is not dict:
            self.fail(where, f"expected a map, got {_type_name(value)}")
        for key in value:
            if type(key) is not str:
                self.fail(where, f"key {key!r} is not a string")
        return value

    def u64(self, value: Any, where: str) -> int:
        if type(value) is not int or not 0 <= value <= _U64_MAX:
            self.fail(where, f"expected an unsigned 64-bit integer hash, got {value!r}")
        return value

    def i64(self, value: Any, where: str) -> int:
        if type(value) is not int or not _I64_MIN <= value <= _I64_MAX:
            self.fail(where, f"expected a 64-bit integer (Unix seconds), got {value!r}")
        return value

    def config(self, value: Any, where: str) -> TracerConfig:
        raw = self.str_map(value, where)
        unknown = [k for k in raw if k != "trackedObjects"]
        if unknown:
            self.fail(where, f"unknown key {unknown[0]!r} (the tracer config only has 'trackedObjects')")
        if "trackedObjects" not in raw:
            self.fail(where, "missing 'trackedObjects'")
        tracked: dict[str, TrackedObjectConfig] = {}
        where_tracked = f"{where}.trackedObjects"
        for gvk, obj_config in self.str_map(raw["trackedObjects"], where_tracked).items():
            self.gvk(gvk, f"{where_tracked}[{gvk!r}]")
            tracked[gvk] = self.tracked_object(obj_config, f"{where_tracked}[{gvk!r}]")
        return TracerConfig(tracked_objects=tracked)

    def tracked_object(self, value: Any, where: str) -> TrackedObjectConfig:
        raw = self.str_map(value, where)
        for key in raw:
            if key not in _TRACKED_OBJECT_KEYS:
                self.fail(
                    where, f"unknown key {key!r} (allowed: podSpecTemplatePaths, trackLifecycle, skipOwned)"
                )
        if "podSpecTemplatePaths" in raw and "podSpecTemplatePath" in raw:
            self.fail(where, "both 'podSpecTemplatePaths' and the old 'podSpecTemplatePath' are set")
        paths: tuple[str, ...] | None = None
        paths_key = "absent"
        if "podSpecTemplatePaths" in raw:
            paths_key = "plural"
            plural = raw["podSpecTemplatePaths"]
            if plural is not None:
                if type(plural) is not list:
                    self.fail(
                        f"{where}.podSpecTemplatePaths",
                        f"expected an array of strings, got {_type_name(plural)}",
                    )
                for i, path in enumerate(plural):
                    if type(path) is not str:
                        self.fail(
                            f"{where}.podSpecTemplatePaths[{i}]", f"expected a string, got {_type_name(path)}"
                        )
                paths = tuple(plural)
        elif "podSpecTemplatePath" in raw:
            paths_key = "singular"
            singular = raw["podSpecTemplatePath"]
            if singular is not None:
                if type(singular) is not str:
                    self.fail(
                        f"{where}.podSpecTemplatePath", f"expected a string, got {_type_name(singular)}"
                    )
                paths = (singular,)
        flags = {}
        for key in ("trackLifecycle", "skipOwned"):
            flag = raw.get(key, False)
            if type(flag) is not bool:
                self.fail(f"{where}.{key}", f"expected true or false, got {_type_name(flag)}")
            flags[key] = flag
        return TrackedObjectConfig(
            pod_spec_template_paths=paths,
            track_lifecycle=flags["trackLifecycle"],
            skip_owned=flags["skipOwned"],
            paths_key=paths_key,
        )  # type: ignore[arg-type]

    def events(self, value: Any, where: str) -> list[TraceEvent]:
        if type(value) is not list:
            self.fail(where, f"expected an array of events, got {_type_name(value)}")
        events: list[TraceEvent] = []
        previous_ts: int | None = None
        check_object = self.kube_object
        for i, raw in enumerate(value):
            if type(raw) is not dict:
                self.fail(f"{where}[{i}]", f"expected an event map, got {_type_name(raw)}")
            try:
                ts = raw["ts"]
                applied = raw["applied_objs"]
                deleted = raw["deleted_objs"]
            except KeyError as exc:
                self.fail(f"{where}[{i}]", f"missing {exc.args[0]!r}")
            if type(ts) is not int or not _I64_MIN <= ts <= _I64_MAX:
                self.i64(ts, f"{where}[{i}].ts")
            if previous_ts is not None and ts < previous_ts and not self.lenient:
                self.fail(
                    f"{where}[{i}].ts",
                    f"{ts} is earlier than the previous event's {previous_ts} "
                    "(events must be in ascending time order)",
                )
            previous_ts = ts
            for name, objs in (("applied_objs", applied), ("deleted_objs", deleted)):
                if type(objs) is not list:
                    self.fail(f"{where}[{i}].{name}", f"expected an array of objects, got {_type_name(objs)}")
                for j, obj in enumerate(objs):
                    check_object(obj, where, i, name, j)
            events.append(TraceEvent(ts, applied, deleted))
        if self._suspect_events is None:
            self._check_json_values(value, where)
        else:
            for i in self._suspect_events:
                self._check_json_values(value[i], f"{where}[{i}]")
        return events

    def kube_object(self, obj: Any, where: str, i: int, name: str, j: int) -> None:
        if _identifiable(obj):
            return
        path = f"{where}[{i}].{name}[{j}]"
        if type(obj) is not dict:
            self.fail(path, f"expected a Kubernetes object (map), got {_type_name(obj)}")
        if self.lenient:
            return
        for field in ("apiVersion", "kind"):
            if field not in obj:
                self.fail(path, f"missing {field!r}")
            if type(obj[field]) is not str or not obj[field]:
                self.fail(f"{path}.{field}", f"expected a non-empty string, got {obj[field]!r}")
        meta = obj.get("metadata")
        if meta is None:
            self.fail(path, "missing 'metadata'")
        if type(meta) is not dict:
            self.fail(f"{path}.metadata", f"expected a map, got {_type_name(meta)}")
        if "name" not in meta:
            self.fail(f"{path}.metadata", "missing 'name'")
        if type(meta["name"]) is not str or not meta["name"]:
            self.fail(f"{path}.metadata.name", f"expected a non-empty string, got {meta['name']!r}")
        self.fail(f"{path}.metadata.namespace", f"expected a string, got {_type_name(meta['namespace'])}")

    def _check_json_values(self, value: Any, where: str) -> None:
        """Objects must be JSON values (SimKube holds them as serde_json::Value).

        The C JSON encoder checks everything at once; only on failure does a slow walk
        look for the offending path.
        """
        try:
            json.dumps(value, allow_nan=False, check_circular=False)
            return
        except (TypeError, ValueError, RecursionError):
            pass
        bad = _find_non_json(value, where)
        if bad is None:
            self.fail(where, "nesting too deep")
        self.fail(*bad)

    def index(self, value: Any, where: str) -> dict[str, dict[str, int]]:
        index = self.str_map(value, where)
        for gvk, objects in index.items():
            gvk_where = f"{where}[{gvk!r}]"
            self.gvk(gvk, gvk_where)
            for key, hash_value in self.str_map(objects, gvk_where).items():
                if type(hash_value) is not int or not 0 <= hash_value <= _U64_MAX:
                    self.u64(hash_value, f"{gvk_where}[{key!r}]")
        return index

    def index_from_tracked_objects(
        self, value: Any, events: list[TraceEvent], where: str
    ) -> dict[str, dict[str, int]]:
        """v3 drops the hashes; rebuild them the way the tracer would have (spec of the last apply)."""
        latest: dict[tuple[str, str], KubeObject] = {}
        for event in events:
            for obj in event.applied_objs:
                if _identifiable(obj):  # always, unless lenient
                    latest[(str(GVK.of(obj)), object_key(obj))] = obj
        index: dict[str, dict[str, int]] = {}
        for gvk, objects in self.str_map(value, where).items():
            gvk_where = f"{where}[{gvk!r}]"
            self.gvk(gvk, gvk_where)
            entries: dict[str, int] = {}
            for key, metadata in self.str_map(objects, gvk_where).items():
                if type(metadata) is not dict:
                    self.fail(f"{gvk_where}[{key!r}]", f"expected a map, got {_type_name(metadata)}")
                obj = latest.get((gvk, key))
                entries[key] = json_hash(obj.get("spec") if obj is not None else None)
            index[gvk] = entries
        return index

    def lifecycles(self, value: Any, where: str) -> dict[OwnerKey, dict[int, list[PodLifecycle]]]:
        if type(value) is not dict:
            self.fail(where, f"expected a map, got {_type_name(value)}")
        result: dict[OwnerKey, dict[int, list[PodLifecycle]]] = {}
        for owner, by_hash in value.items():
            owner_where = f"{where}[{owner!r}]"
            if (
                type(owner) is not tuple
                or len(owner) != 2
                or type(owner[0]) is not str
                or type(owner[1]) is not str
            ):
                self.fail(owner_where, 'key must be an [owner GVK, "namespace/name"] pair')
            self.gvk(owner[0], owner_where)
            result[owner] = self.lifecycles_by_hash(by_hash, owner_where)
        return result

    def lifecycles_by_hash(self, value: Any, where: str) -> dict[int, list[PodLifecycle]]:
        if type(value) is not dict:
            self.fail(where, f"expected a map of pod-spec hash to lifecycles, got {_type_name(value)}")
        result: dict[int, list[PodLifecycle]] = {}
        new, set_start, set_end = _new_lifecycle, _set_start, _set_end  # locals: one per traced pod
        for spec_hash_value, items in value.items():
            if type(spec_hash_value) is not int or not 0 <= spec_hash_value <= _U64_MAX:
                self.u64(spec_hash_value, f"{where}[{spec_hash_value!r}]")
            if type(items) not in (list, tuple):
                self.fail(
                    f"{where}[{spec_hash_value!r}]",
                    f"expected an array of lifecycles, got {_type_name(items)}",
                )
            lifecycles: list[PodLifecycle] = []
            append = lifecycles.append
            for item in items:
                # Fast path for the two shapes SimKube stores; anything else gets the full check.
                if type(item) is dict and len(item) == 1:
                    finished = item.get("Finished")
                    # msgpack ints are >= -2**63, so only the upper i64 bound needs checking.
                    if (
                        type(finished) is tuple
                        and len(finished) == 2
                        and type(finished[0]) is int
                        and type(finished[1]) is int
                        and finished[0] <= _I64_MAX
                        and finished[1] <= _I64_MAX
                    ):
                        lifecycle = new(PodLifecycle)
                        set_start(lifecycle, finished[0])
                        set_end(lifecycle, finished[1])
                        append(lifecycle)
                        continue
                    running = item.get("Running")
                    if type(running) is int and running <= _I64_MAX:
                        lifecycle = new(PodLifecycle)
                        set_start(lifecycle, running)
                        set_end(lifecycle, None)
                        append(lifecycle)
                        continue
                append(self.lifecycle(item, f"{where}[{spec_hash_value!r}]", len(lifecycles)))
            result[spec_hash_value] = lifecycles
        return result

    def lifecycle(self, item: Any, where: str, k: int) -> PodLifecycle:
        """``"Empty"`` | ``{"Running": start}`` | ``{"Finished": [start, end]}`` (rmp-serde enum forms)."""
        if item == "Empty":
            return _EMPTY_LIFECYCLE
        if type(item) is dict and len(item) == 1:
            ((variant, payload),) = item.items()
            if variant == "Running":
                return _lifecycle(self.i64(payload, f"{where}[{k}].Running"), None)
            if variant == "Finished":
                if type(payload) in (list, tuple) and len(payload) == 2:
                    start = self.i64(payload[0], f"{where}[{k}].Finished[0]")
                    end = self.i64(payload[1], f"{where}[{k}].Finished[1]")
                    return _lifecycle(start, end)
                self.fail(f"{where}[{k}].Finished", "expected [start, end]")
        self.fail(
            f"{where}[{k}]",
            f'expected "Empty", {{"Running": start}} or {{"Finished": [start, end]}}, got {item!r:.80}',
        )


class _LazyLifecycles:
    """The raw bytes of ``pod_lifecycles``, decoded separately (array keys need tuples)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class _KindInference:
    """Which GVK a pre-2.0 ``"ns/name"`` key belongs to: the last applied object with that key.

    Pre-2.0 traces keyed index and lifecycles by ``ns/name`` alone; the objects in the
    events still say their kind. A key no event mentions falls back to the only tracked
    kind, if there is exactly one.
    """

    def __init__(self, events: list[TraceEvent], config: TracerConfig) -> None:
        self._by_key: dict[str, str] = {}
        for event in events:
            for obj in (*event.deleted_objs, *event.applied_objs):
                if _identifiable(obj):  # always, unless lenient
                    self._by_key.setdefault(object_key(obj), str(GVK.of(obj)))
            for obj in event.applied_objs:
                if _identifiable(obj):
                    self._by_key[object_key(obj)] = str(GVK.of(obj))
        tracked = list(config.tracked_objects)
        self._only_kind = tracked[0] if len(tracked) == 1 else None

    def __call__(self, key: str, decoder: _TraceDecoder, where: str) -> str:
        gvk = self._by_key.get(key) or self._only_kind
        if gvk is None:
            decoder.fail(
                where,
                f"cannot tell the kind of {key!r}: no event holds an object with that "
                "namespace/name and the config tracks more than one kind",
            )
        return gvk


def _identifiable(obj: Any) -> bool:
    """apiVersion, kind and name are non-empty strings and namespace a string or absent."""
    if type(obj) is not dict:
        return False
    meta = obj.get("metadata")
    return (
        type(obj.get("apiVersion")) is str
        and bool(obj["apiVersion"])
        and type(obj.get("kind")) is str
        and bool(obj["kind"])
        and type(meta) is dict
        and type(meta.get("name")) is str
        and bool(meta["name"])
        and type(meta.get("namespace")) in (str, type(None))
    )


def _find_non_json(value: Any, where: str) -> tuple[str, str] | None:
    """The first place in ``value`` that is not a JSON value, as (path, message)."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > 500:
            return path, "nesting too deep"
        kind = type(item)
        if kind is dict:
            for key, child in reversed(list(item.items())):
                if type(key) is not str:
                    return path, f"map key {key!r} is not a string"
                stack.append((child, f"{path}.{key}", depth + 1))
        elif kind is list or kind is tuple:
            for n in range(len(item) - 1, -1, -1):
                stack.append((item[n], f"{path}[{n}]", depth + 1))
        elif kind is float:
            if item != item or item in (float("inf"), float("-inf")):
                return path, f"{item} is not a JSON number"
        elif kind not in (str, int, bool, type(None)):
            return path, f"{_type_name(item)} value is not allowed in a Kubernetes object"
    return None
