"""``simkube trace ...``: show, validate, convert, transform and synthesise traces."""

from __future__ import annotations

import click


@click.group()
def trace() -> None:
    """Inspect, validate, convert, transform and synthesise SimKube traces."""
