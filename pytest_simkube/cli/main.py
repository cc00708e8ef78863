"""Entry point of the ``simkube`` command and the error policy every command shares.

Bad input never produces a traceback: any :class:`SimkubeError` becomes one line on
stderr (``simkube: error: FILE: PATH: message``) and exit status 2.
"""

from __future__ import annotations

import sys

import click

from pytest_simkube import __version__
from pytest_simkube.errors import SimkubeError


class SimkubeGroup(click.Group):
    """A click group that turns product errors into a one-line message and exit 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except SimkubeError as exc:
            click.echo(f"simkube: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("simkube: interrupted", err=True)
            sys.exit(130)


@click.group(cls=SimkubeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="simkube")
def main() -> None:
    """Simulate Kubernetes clusters from SimKube traces and gate changes on SLOs."""


def _register() -> None:
    # Imported here so each command module can import `main`'s helpers without cycles.
    from pytest_simkube.cli import run_command, scenario_commands, schedule_command, trace_commands

    main.add_command(trace_commands.trace)
    main.add_command(scenario_commands.scenario)
    main.add_command(schedule_command.schedule)
    main.add_command(run_command.run)


_register()
