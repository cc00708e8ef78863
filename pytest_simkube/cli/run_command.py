"""``simkube run``: replay a scenario on the embedded engine and print its metrics."""

from __future__ import annotations

import click


@click.command()
def run() -> None:
    """Run a scenario on the embedded engine."""
    raise click.UsageError("not available yet")
