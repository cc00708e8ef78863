"""``simkube trace ...``: the group; each subcommand lives in its own module."""

from __future__ import annotations

import click


@click.group()
def trace() -> None:
    """Inspect, validate, convert, transform and synthesise SimKube traces."""


def _register() -> None:
    from pytest_simkube.cli import (
        trace_inspect_commands,
        trace_synth_command,
        trace_transform_command,
        trace_validate_command,
    )

    trace.add_command(trace_inspect_commands.show)
    trace.add_command(trace_inspect_commands.convert)
    trace.add_command(trace_validate_command.validate)
    trace.add_command(trace_transform_command.transform)
    trace.add_command(trace_synth_command.synth)


_register()
