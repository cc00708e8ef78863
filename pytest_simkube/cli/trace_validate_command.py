"""``simkube trace validate``."""

from __future__ import annotations

import click


@click.command()
def validate() -> None:
    """Check traces for structural errors and SimKube's dependency rules."""
    raise click.UsageError("not available yet")
