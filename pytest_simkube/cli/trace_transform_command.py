"""``simkube trace transform``."""

from __future__ import annotations

import click


@click.command()
def transform() -> None:
    """Apply what-if edits to a trace, keeping index and lifecycles consistent."""
    raise click.UsageError("not available yet")
