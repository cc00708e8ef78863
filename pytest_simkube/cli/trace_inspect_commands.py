"""``simkube trace show`` and ``simkube trace convert``.

``show`` answers "what is in this trace?" before it is replayed: layout, tracked kinds,
objects, time span, pod lifecycles and the first events; tables for people, a stable JSON
document (``--format json``) for scripts. ``convert`` moves a trace between msgpack and the
JSON form and upgrades old layouts to v2, writing atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from pytest_simkube.trace import (
    DEFAULT_POD_SPEC_TEMPLATE_PATHS,
    GVK,
    KubeObject,
    Trace,
    object_key,
    read_trace,
    write_trace,
)
from pytest_simkube.trace.writer import format_for_path

LAYOUTS = {
    1: "pre-2.0 array [config, events, index, lifecycles]",
    2: "v2 map (SimKube 2.x)",
    3: "v3 map with tracked_objects (unreleased)",
}


def _iso(ts: int | None) -> str | None:
    """UTC ISO-8601 with a trailing Z; None for no timestamp or one outside datetime's range."""
    if ts is None:
        return None
    try:
        return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None


def _human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if v]
    return sign + ("".join(parts) or "0s")


def _object_ref(obj: KubeObject) -> dict[str, str]:
    return {"kind": str(GVK.of(obj)), "name": object_key(obj)}


def summarise(trace: Trace, source: str, events_limit: int) -> dict[str, Any]:
    """The document ``show --format json`` prints; the table view renders the same data.

    Kinds, objects and owners are sorted so equal traces give equal output whatever order
    SimKube's hash maps were written in.
    """
    tracked = []
    for gvk in sorted(trace.config.tracked_objects):
        cfg = trace.config.tracked_objects[gvk]
        tracked.append(
            {
                "gvk": gvk,
                "pod_spec_template_paths": list(cfg.effective_paths(gvk)),
                "paths_from_default": not cfg.pod_spec_template_paths
                and gvk in DEFAULT_POD_SPEC_TEMPLATE_PATHS,
                "track_lifecycle": cfg.track_lifecycle,
                "skip_owned": cfg.skip_owned,
            }
        )
    applied: Counter[str] = Counter()
    deleted: Counter[str] = Counter()
    for event in trace.events:
        applied.update(str(GVK.of(obj)) for obj in event.applied_objs)
        deleted.update(str(GVK.of(obj)) for obj in event.deleted_objs)
    kinds = sorted(set(trace.index) | set(applied) | set(deleted))
    objects = [
        {
            "gvk": gvk,
            "indexed": len(trace.index.get(gvk, {})),
            "applied": applied[gvk],
            "deleted": deleted[gvk],
        }
        for gvk in kinds
    ]
    owners = []
    for owner in sorted(trace.pod_lifecycles):
        by_hash = trace.pod_lifecycles[owner]
        lifecycles = [lc for lcs in by_hash.values() for lc in lcs]
        durations = [lc.duration for lc in lifecycles if lc.duration is not None]
        states = Counter(lc.state for lc in lifecycles)
        owners.append(
            {
                "owner_gvk": owner[0],
                "owner": owner[1],
                "pod_spec_hashes": len(by_hash),
                "pods": len(lifecycles),
                "finished": states["Finished"],
                "running": states["Running"],
                "empty": states["Empty"],
                "mean_run_seconds": round(statistics.fmean(durations), 3) if durations else None,
            }
        )
    first_ts = trace.start_ts
    first_events = [
        {
            "index": n,
            "ts": event.ts,
            "time": _iso(event.ts),
            "offset_seconds": event.ts - first_ts if first_ts is not None else 0,
            "applied": [_object_ref(obj) for obj in event.applied_objs],
            "deleted": [_object_ref(obj) for obj in event.deleted_objs],
        }
        for n, event in enumerate(trace.events[:events_limit])
    ]
    return {
        "file": source,
        "version": trace.version,
        "source_version": trace.source_version,
        "layout": LAYOUTS.get(trace.source_version, "unknown"),
        "tracked_kinds": tracked,
        "objects": objects,
        "events": {
            "count": len(trace.events),
            "applied_objects": sum(applied.values()),
            "deleted_objects": sum(deleted.values()),
        },
        "time_span": {
            "start_ts": trace.start_ts,
            "end_ts": trace.end_ts,
            "start": _iso(trace.start_ts),
            "end": _iso(trace.end_ts),
            "duration_seconds": trace.duration_seconds,
        },
        "owners": owners,
        "first_events": first_events,
    }


def _render_tables(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    # No markup: file names and object names are printed as they are, brackets included.
    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False, markup=False)
    span = summary["time_span"]
    console.print(summary["file"], style="bold")
    console.print(f"layout: {summary['layout']} (read as version {summary['source_version']})")
    counts = summary["events"]
    console.print(
        f"events: {counts['count']} "
        f"({counts['applied_objects']} applied, {counts['deleted_objects']} deleted objects)"
    )
    console.print(
        f"time span: {span['start'] or span['start_ts']} -> {span['end'] or span['end_ts']} "
        f"({_human_duration(span['duration_seconds'])}, {span['duration_seconds']} s)"
    )

    kinds = Table(title="Tracked kinds", title_justify="left")
    for column in ("kind", "pod spec template paths", "track lifecycle", "skip owned"):
        kinds.add_column(column, overflow="fold")
    for kind in summary["tracked_kinds"]:
        paths = ", ".join(repr(p) for p in kind["pod_spec_template_paths"]) or "-"
        kinds.add_row(
            kind["gvk"],
            paths + (" (default)" if kind["paths_from_default"] else ""),
            "yes" if kind["track_lifecycle"] else "no",
            "yes" if kind["skip_owned"] else "no",
        )
    console.print(kinds)

    objects = Table(title="Objects", title_justify="left")
    for column in ("kind", "in index", "applied", "deleted"):
        objects.add_column(column, justify="left" if column == "kind" else "right", overflow="fold")
    for row in summary["objects"]:
        objects.add_row(row["gvk"], str(row["indexed"]), str(row["applied"]), str(row["deleted"]))
    console.print(objects)

    owners = Table(title="Pod lifecycles by owner", title_justify="left")
    for column in ("owner", "spec hashes", "pods", "finished", "running", "mean run time"):
        owners.add_column(column, justify="left" if column == "owner" else "right", overflow="fold")
    for row in summary["owners"]:
        owners.add_row(
            f"{row['owner_gvk']} {row['owner']}",
            str(row["pod_spec_hashes"]),
            str(row["pods"]),
            str(row["finished"]),
            str(row["running"]),
            _human_duration(row["mean_run_seconds"]),
        )
    if not summary["owners"]:
        owners.add_row("(none)", "", "", "", "", "")
    console.print(owners)

    events = Table(title=f"First {len(summary['first_events'])} events", title_justify="left")
    for column in ("#", "time (UTC)", "+offset", "applied", "deleted"):
        events.add_column(column, overflow="fold")
    for event in summary["first_events"]:
        events.add_row(
            str(event["index"]),
            event["time"] or str(event["ts"]),
            _human_duration(event["offset_seconds"]),
            "\n".join(f"{ref['kind']} {ref['name']}" for ref in event["applied"]) or "-",
            "\n".join(f"{ref['kind']} {ref['name']}" for ref in event["deleted"]) or "-",
        )
    console.print(events)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--events",
    "events_limit",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many of the first events to list.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Tables for people, or a stable JSON document for scripts.",
)
def show(file: Path, events_limit: int, output_format: str) -> None:
    """Summarise a trace: version, kinds, objects, events, time span, lifecycles."""
    summary = summarise(read_trace(file), str(file), events_limit)
    if output_format == "json":
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        _render_tables(summary)


@click.command()
@click.argument("input_file", metavar="IN", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the converted trace (written atomically).",
)
@click.option(
    "--to",
    "target",
    type=click.Choice(["msgpack", "json"]),
    default=None,
    help="Output format; default: json for *.json outputs, msgpack otherwise.",
)
def convert(input_file: Path, output_file: Path, target: str | None) -> None:
    """Convert between msgpack and JSON, and old layouts to v2."""
    trace = read_trace(input_file)
    chosen = target or format_for_path(output_file)
    write_trace(trace, output_file, format=chosen)  # type: ignore[arg-type]
    click.echo(
        f"wrote {output_file} ({'JSON form' if chosen == 'json' else 'SimKube v2 msgpack'}, "
        f"from a version {trace.source_version} trace, {len(trace.events)} events)"
    )
