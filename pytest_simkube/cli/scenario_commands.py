"""``simkube scenario ...``: load and validate ``*.simkube.yaml`` scenarios."""

from __future__ import annotations

import click


@click.group()
def scenario() -> None:
    """Validate and inspect scenarios."""
