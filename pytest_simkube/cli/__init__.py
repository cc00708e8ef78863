"""The ``simkube`` command line. Each command family lives in its own module."""

from pytest_simkube.cli.main import main

__all__ = ["main"]
