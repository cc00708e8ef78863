"""JSON-lines reader and writer for RunRecords.

Line 1 is the header (``{"record": "Header", ...}``), then one line per timeline record
(``{"record": "PodScheduled", "t": 12.5, ...}``) in time order, then optionally one
``EngineStats`` line. Keys are written in a fixed order and floats with ``repr`` so the
output is byte-stable; unknown record kinds or fields are errors naming the line.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from pytest_simkube.errors import InputError
from pytest_simkube.fileio import atomic_write_text
from pytest_simkube.runrecord.records import RECORD_TYPES, Record
from pytest_simkube.runrecord.run_record import FORMAT_VERSION, EngineStats, RunHeader, RunRecord


class RunRecordError(InputError):
    """A RunRecord file that cannot be read."""


def _line(kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"record": kind, **payload}, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_to_dict(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def dumps(run: RunRecord, *, engine_stats: bool = True) -> str:
    """Serialise ``run``; with ``engine_stats=False`` the result is fully deterministic."""
    header = {"format": FORMAT_VERSION, **dataclasses.asdict(run.header)}
    lines = [_line("Header", header)]
    lines.extend(_line(r.kind, record_to_dict(r)) for r in run.records)
    if engine_stats and run.stats is not None:
        lines.append(_line("EngineStats", dataclasses.asdict(run.stats)))
    return "\n".join(lines) + "\n"


def write_run_record(run: RunRecord, path: str | os.PathLike[str]) -> None:
    """Write atomically: a reader never sees a half-written record."""
    atomic_write_text(path, dumps(run))


def _build(cls: type, payload: dict[str, Any], source: str, where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(payload) - names)
    if unknown:
        raise RunRecordError(source, where, f"unknown field(s) {', '.join(unknown)} for {cls.__name__}")
    try:
        obj = cls(**payload)
    except TypeError as exc:
        raise RunRecordError(source, where, f"bad {cls.__name__}: {exc}") from None
    return obj


def loads(text: str, source: str = "<string>") -> RunRecord:
    header: RunHeader | None = None
    run: RunRecord | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"line {number}"
        if not raw.strip():
            continue
        try:
            payload = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RunRecordError(source, where, f"not JSON: {exc.msg}") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("record"), str):
            raise RunRecordError(source, where, "expected an object with a 'record' field")
        kind = payload.pop("record")
        if header is None:
            if kind != "Header":
                raise RunRecordError(source, where, f"first line must be the Header, got {kind!r}")
            version = payload.pop("format", None)
            if version != FORMAT_VERSION:
                raise RunRecordError(source, where, f"unsupported RunRecord format {version!r}")
            header = _build(RunHeader, payload, source, where)
            run = RunRecord(header)
            continue
        assert run is not None
        if run.stats is not None:
            raise RunRecordError(source, where, "nothing may follow the EngineStats line")
        if kind == "EngineStats":
            run.stats = _build(EngineStats, payload, source, where)
            continue
        cls = RECORD_TYPES.get(kind)
        if cls is None:
            raise RunRecordError(source, where, f"unknown record kind {kind!r}")
        if "pods" in payload and isinstance(payload["pods"], list):
            payload["pods"] = tuple(payload["pods"])
        if not isinstance(payload.get("t"), (int, float)):
            raise RunRecordError(source, where, "missing or non-numeric time 't'")
        run.records.append(_build(cls, payload, source, where))
    if run is None:
        raise RunRecordError(source, None, "empty RunRecord (no Header line)")
    return run


def read_run_record(path: str | os.PathLike[str]) -> RunRecord:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunRecordError(str(p), None, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RunRecordError(str(p), None, "not UTF-8 text") from None
    return loads(text, str(p))
