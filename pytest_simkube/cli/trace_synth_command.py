"""``simkube trace synth``."""

from __future__ import annotations

import click


@click.command()
def synth() -> None:
    """Synthesise a realistic trace from a small workload spec."""
    raise click.UsageError("not available yet")
