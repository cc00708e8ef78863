"""``simkube run``: replay one or more scenarios on the embedded engine, write each
RunRecord and metrics, print them, and judge the scenarios' expectations.

Every scenario file is loaded (and checked) before the first run, so a typo in the last of
several files costs no run time and leaves no output. Scenarios run in the order given.
Outputs (in ``--out``, default ``.``), per scenario: ``<scenario>.runrecord.jsonl`` and
``<scenario>.metrics.json``, both written atomically. Exit status: 0 when every
expectation of every scenario passes (or there are none), 1 when one fails, 2 on bad input
(including two files with the same scenario name, whose outputs would collide), 130 on
Ctrl-C (after writing the running scenario's partial RunRecord, marked ``complete: false``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from pytest_simkube.fileio import atomic_write_text

PROGRESS_MIN_WALL_SECONDS = 1.0
"""Show the progress bar only once a run has taken this long (short runs stay quiet)."""


class _ProgressBar:
    """A rich progress bar on stderr: virtual time against the replay window, wall time,
    pods waiting for a node."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._started = time.perf_counter()
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, info: Any) -> None:
        if not self.enabled or time.perf_counter() - self._started < PROGRESS_MIN_WALL_SECONDS:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]virtual {task.fields[virtual]}"), BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                TextColumn("pending {task.fields[pending]}  pods {task.fields[pods]}"
                           "  nodes {task.fields[nodes]}"),
                console=Console(stderr=True), transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("run", total=max(info.window_end, 1.0), virtual="0s",
                                                 pending=0, pods=0, nodes=0)
        self._progress.update(self._task, completed=min(info.now, info.window_end),
                              virtual=_hms(info.now), pending=info.pods_pending, pods=info.pods_total,
                              nodes=info.nodes)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def _print_metrics_table(name: str, metrics: dict[str, float], complete: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from pytest_simkube.expect import format_value

    title = f"{name} (embedded engine)" + ("" if complete else " - INCOMPLETE")
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for metric, value in metrics.items():
        table.add_row(metric, format_value(metric, value))
    Console().print(table)


@click.command()
@click.argument("scenario_files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--seed", type=int, default=None, help="Override every scenario's seed.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Directory for the RunRecord and metrics files.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="How to print metrics and expectation verdicts on stdout "
                                      "(json: one object, or a list of them for several scenarios).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
def run(scenario_files: tuple[Path, ...], seed: int | None, out_dir: Path, output_format: str,
        progress: bool | None) -> None:
    """Run each SCENARIO_FILE (a *.simkube.yaml) on the embedded engine."""
    from pytest_simkube.expect import overall_status

    scenarios = _load_all(scenario_files)
    payloads: list[dict[str, Any]] = []
    failed: list[str] = []
    for scenario in scenarios:
        payload, results = _run_one(scenario, seed, out_dir, output_format, progress)
        payloads.append(payload)
        if results and overall_status(results) == "failed":
            failed.append(scenario.name)
    if output_format == "json":
        click.echo(json.dumps(payloads[0] if len(payloads) == 1 else payloads, indent=2))
    elif len(scenarios) > 1:
        verdicts = ", ".join(f"{s.name}: {'FAILED' if s.name in failed else 'ok'}" for s in scenarios)
        click.echo(f"{len(scenarios)} scenarios, {len(failed)} failed ({verdicts})")
    if failed:
        sys.exit(1)


def _load_all(paths: tuple[Path, ...]) -> list[Any]:
    """Load every scenario up front; two with one name would overwrite each other's outputs."""
    from pytest_simkube.errors import ScenarioError
    from pytest_simkube.scenario import load_scenario

    scenarios = []
    by_name: dict[str, Path] = {}
    for path in paths:
        scenario = load_scenario(path)
        if scenario.name in by_name:
            raise ScenarioError(str(path), "name",
                                f"scenario name {scenario.name!r} is also used by {by_name[scenario.name]}; "
                                f"their output files would overwrite each other")
        by_name[scenario.name] = path
        scenarios.append(scenario)
    return scenarios


def _run_one(scenario: Any, seed: int | None, out_dir: Path, output_format: str,
             progress: bool | None) -> tuple[dict[str, Any], list[Any]]:
    """Run one scenario, write its RunRecord and metrics, print its table (table format)."""
    from pytest_simkube.engine.run import RunInterrupted, run_scenario
    from pytest_simkube.expect import evaluate, render_table
    from pytest_simkube.metrics import compute_metrics
    from pytest_simkube.runrecord import write_run_record

    bar = _ProgressBar(sys.stderr.isatty() if progress is None else progress)
    record_path = out_dir / f"{scenario.name}.runrecord.jsonl"
    try:
        record = run_scenario(scenario, seed=seed, progress=bar)
    except RunInterrupted as interrupted:
        bar.close()
        write_run_record(interrupted.record, record_path)
        click.echo(f"simkube: interrupted; partial RunRecord written to {record_path}", err=True)
        sys.exit(130)
    finally:
        bar.close()
    metrics = compute_metrics(record)
    write_run_record(record, record_path)
    results = evaluate(scenario.expectations, metrics)
    payload = {
        "scenario": scenario.name, "seed": record.header.seed, "engine": "embedded",
        "complete": record.header.complete, "metrics": metrics,
        "expectations": [r.to_dict() for r in results],
    }
    atomic_write_text(out_dir / f"{scenario.name}.metrics.json", json.dumps(payload, indent=2) + "\n")
    if output_format != "json":
        _print_metrics_table(scenario.name, metrics, record.header.complete)
        if results:
            click.echo(render_table(results))
        click.echo(f"wrote {record_path} and {out_dir / (scenario.name + '.metrics.json')}", err=True)
    return payload, results
