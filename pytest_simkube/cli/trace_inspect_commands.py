"""``simkube trace show``."""

from __future__ import annotations

import click


@click.command()
def show() -> None:
    """Summarise a trace: version, kinds, objects, events, time span, lifecycles."""
    raise click.UsageError("not available yet")


@click.command()
def convert() -> None:
    """Convert between msgpack and JSON, and old layouts to v2."""
    raise click.UsageError("not available yet")
