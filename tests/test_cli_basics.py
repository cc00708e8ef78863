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


def test_an_input_error_is_one_line_whatever_the_input_holds(cli, tmp_path):
    """A key from the input holding a character ``splitlines`` breaks at (here U+001E, as a
    fuzzed pod's resource name) is escaped, so the error stays one line in a CI log."""
    import json

    case = {"nodes": [{"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "1", "memory": "1Gi"}}}],
            "pods": [],
            "pod": {"metadata": {"name": "p", "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "i",
                                             "resources": {"limits": {"\x1e": ""}}}]}}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    result = cli.invoke(main, ["schedule", str(path), "--format", "json"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "\\x1e" in lines[0]
