"""``simkube scenario ...``: load and validate ``*.simkube.yaml`` scenarios.

``validate`` is the pre-flight check a CI job runs before spending minutes on a
simulation: each scenario, its scheduler configuration, its patches and (unless told
not to) its trace are loaded, and the patches are applied to the trace so a patch that
addresses nothing is caught. ``show`` prints the scenario as a run will see it, with
every default filled in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from pytest_simkube.errors import SimkubeError
from pytest_simkube.scenario import BaselineUnavailable, Scenario, load_baseline_scenario, load_scenario


@click.group()
def scenario() -> None:
    """Validate and inspect scenarios."""


@scenario.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format on stdout.")
@click.option("--skip-trace", is_flag=True, help="Do not read the traces (only check that they exist).")
@click.option("--baseline-ref", metavar="REF",
              help="Also check the baseline: each scenario's config as it is at this git ref.")
def validate(files: tuple[Path, ...], output_format: str, skip_trace: bool, baseline_ref: str | None) -> None:
    """Check scenario FILES: keys, values, referenced files, scheduler config, patches, trace.

    Exits 0 when every file is valid, 2 when any is not (one error line per bad file).
    """
    reports = [_validate_one(path, skip_trace, baseline_ref) for path in files]
    if output_format == "json":
        click.echo(json.dumps(reports, indent=2))
    for report in reports:
        if report["ok"] and output_format == "text":
            click.echo(f"ok: {report['file']}: {report['summary']}")
        elif not report["ok"]:
            click.echo(f"simkube: error: {report['error']}", err=True)
    if not all(report["ok"] for report in reports):
        sys.exit(2)


def _validate_one(path: Path, skip_trace: bool, baseline_ref: str | None) -> dict[str, Any]:
    report: dict[str, Any] = {"file": str(path), "ok": False, "name": None, "summary": None, "error": None}
    try:
        loaded = load_scenario(path)
        events = None if skip_trace else len(loaded.load_trace().events)
        summary = _summary(loaded, events)
        if baseline_ref:
            summary += "; " + _check_baseline(loaded, baseline_ref, skip_trace)
    except SimkubeError as exc:
        report["error"] = str(exc)
        return report
    report.update(ok=True, name=loaded.name, summary=summary)
    return report


def _check_baseline(loaded: Scenario, ref: str, skip_trace: bool) -> str:
    try:
        baseline = load_baseline_scenario(loaded, ref)
    except BaselineUnavailable:
        return f"no baseline at {ref} (new scenario)"
    if not skip_trace:
        baseline.load_trace()
    return f"baseline at {ref}: " + _count(len(baseline.config.patches), "patch", "patches")


def _summary(loaded: Scenario, events: int | None) -> str:
    cluster, config = loaded.cluster, loaded.config
    parts = [
        _count(len(cluster.nodes), "static node"),
        _count(len(cluster.node_groups), "node group"),
        "scheduler " + ("config" if config.scheduler is not None else "defaults"),
        _count(len(config.patches), "patch", "patches"),
        _count(len(loaded.expectations), "expectation"),
    ]
    if events is not None:
        parts.append(f"trace {_count(events, 'event')}")
    return f"{loaded.name}: " + ", ".join(parts)


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


@scenario.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True, help="Output format.")
def show(file: Path, output_format: str) -> None:
    """Print FILE's resolved settings, defaults included, and the autoscaler flags a live run passes."""
    loaded = load_scenario(file)
    resolved = loaded.to_dict()
    resolved["config"]["autoscalerFlags"] = loaded.config.autoscaler.to_flags()
    resolved["cluster"]["initialNodes"] = len(loaded.cluster.initial_nodes())
    if output_format == "json":
        click.echo(json.dumps(resolved, indent=2))
    else:
        click.echo(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), nl=False)
