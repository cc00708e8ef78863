"""The pytest plugin is registered by the package and inert without ``--simkube``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def test_options_are_registered_through_the_entry_point(tmp_path):
    result = _pytest(tmp_path, "--help")
    assert result.returncode == 0
    for option in ("--simkube", "--simkube-engine", "--simkube-seed", "--simkube-report-dir",
                   "--simkube-baseline-ref"):
        assert option in result.stdout


def test_without_the_flag_scenarios_are_not_collected(tmp_path):
    shutil.copy(REPO / "scenarios" / "cronjob.simkube.yaml", tmp_path / "cronjob.simkube.yaml")
    (tmp_path / "test_plain.py").write_text("def test_ok():\n    assert True\n")
    result = _pytest(tmp_path, "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "simkube" not in result.stdout.lower()
