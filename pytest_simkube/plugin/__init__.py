"""The pytest plugin (entry point ``pytest11: simkube``).

Nothing changes in a pytest run unless ``--simkube`` is given: the options are
registered, and scenario collection only happens with the flag.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simkube", "cluster simulation (pytest-simkube)")
    group.addoption(
        "--simkube",
        action="store_true",
        default=False,
        help="collect *.simkube.yaml scenarios as tests and replay them",
    )
    group.addoption(
        "--simkube-engine",
        choices=["embedded", "live"],
        default=None,
        help="engine that replays scenarios (default: embedded)",
    )
    group.addoption("--simkube-seed", type=int, default=None, help="override every scenario's seed")
    group.addoption("--simkube-report-dir", default=None, help="directory for JSON/Markdown reports")
    group.addoption(
        "--simkube-baseline-ref",
        default=None,
        help="git ref whose config files give the baseline for relative expectations",
    )
    parser.addini("simkube_engine", "default engine for --simkube (embedded|live)", default="embedded")
