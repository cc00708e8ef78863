"""``simkube trace synth``: turn a workload spec into a SimKube trace.

The spec is validated before anything is generated and the output is written atomically,
so a bad spec yields one ``file: line N, key '...': problem`` line, exit 2, and no file.
"""

from __future__ import annotations

import json
import os

import click

from pytest_simkube.trace import write_trace
from pytest_simkube.trace.synth import SynthResult, synthesize_file


def summary_lines(result: SynthResult, output: str) -> list[str]:
    """A short human summary: what the trace holds and how big the file is."""
    stats = result.stats
    trace = result.trace
    hours = trace.duration_seconds / 3600
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(stats.workloads.items()))
    pods = ", ".join(f"{kind} {count}" for kind, count in sorted(stats.pods.items()))
    notes = []
    if stats.objects.get("PriorityClass"):
        notes.append("  note     includes cluster-scoped PriorityClasses: the embedded engine replays them, "
                     "SimKube's own driver cannot (set emitPriorityClasses: false for SimKube)")
    return [
        f"wrote {output} ({os.path.getsize(output):,} bytes, seed {result.seed})",
        f"  window   {hours:g} h, {stats.events:,} events "
        f"({stats.applied:,} applied, {stats.deleted:,} deleted)",
        f"  workloads {kinds}",
        f"  pods     {stats.total_pods:,} launched ({pods}); {stats.lifecycles:,} lifecycles recorded",
        *notes,
    ]


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Trace file to write (.sktrace/.msgpack: SimKube msgpack; .json: the JSON form).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Override the spec's seed; the same spec and seed give a byte-identical file.")
@click.option("--format", "trace_format", type=click.Choice(["msgpack", "json"]), default=None,
              help="Output format; by default chosen from the output file's suffix.")
@click.option("--stats", "stats_format", type=click.Choice(["text", "json", "none"]), default="text",
              show_default=True, help="Summary printed after writing.")
def synth(spec: str, output: str, seed: int | None, trace_format: str | None, stats_format: str) -> None:
    """Synthesise a realistic trace from a small workload spec (see docs/trace-synth.md)."""
    result = synthesize_file(spec, seed=seed)
    write_trace(result.trace, output, format=trace_format)  # type: ignore[arg-type]
    if stats_format == "text":
        click.echo("\n".join(summary_lines(result, output)))
    elif stats_format == "json":
        click.echo(json.dumps({"output": output, "seed": result.seed, **result.stats.as_dict()}, indent=2))
