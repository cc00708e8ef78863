"""The ``simkube`` entry point: help, version and the error policy."""

from __future__ import annotations

from pytest_simkube import __version__
from pytest_simkube.cli import main


def test_help_lists_command_families(cli):
    result = cli.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("trace", "scenario", "schedule", "run"):
        assert command in result.output


def test_version(cli):
    result = cli.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output
