"""Shared test fixtures: where the reference data lives, and a CLI runner.

Property tests (Hypothesis) draw the same examples on every run, so the suite gives the
same answer on every machine and in CI; ``HYPOTHESIS_PROFILE=explore`` draws fresh random
examples (and more of them) to look for new failures locally.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = REPO_ROOT.parent / "shared" / "reference"
SIMKUBE_TRACES = REFERENCE / "simkube" / "traces"
SCHEDULER_VECTORS = REFERENCE / "scheduler-vectors"


def require_reference(path: Path) -> Path:
    """Skip (with the reason) when the shared reference data is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (expected ../shared beside the checkout)")
    return path


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def simkube_traces() -> Path:
    return require_reference(SIMKUBE_TRACES)
