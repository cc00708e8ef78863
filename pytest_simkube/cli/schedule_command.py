"""``simkube schedule``: run the embedded kube-scheduler model on a cluster snapshot."""

from __future__ import annotations

import click


@click.command()
def schedule() -> None:
    """Decide where pods go, as kube-scheduler would, and explain why."""
    raise click.UsageError("not available yet")
