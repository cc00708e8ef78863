"""The baseline scenario: the same scenario with its proposed config as it is at a git ref.

``pytest --simkube-baseline-ref=origin/main`` compares a change with what it changes.
The baseline keeps the current trace, duration, seed, cluster and expectations, so both
runs replay the same workload on the same nodes; only the ``config`` section is taken
from the scenario file at the ref, and the scheduler configuration and patch files it
names are read at the ref too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pytest_simkube.errors import ScenarioError
from pytest_simkube.scenario.config_files import GitRevisionFiles, git
from pytest_simkube.scenario.loader import resolve_config
from pytest_simkube.scenario.model import Scenario
from pytest_simkube.yamlstrict import Reader, parse_yaml_documents


class BaselineUnavailable(ScenarioError):
    """The scenario did not exist at the ref: there is nothing to compare with."""


def load_baseline_scenario(current: Scenario, ref: str) -> Scenario:
    """``current`` with ``config`` (scheduler, autoscaler, patches) as of git ``ref``."""
    scenario_file = current.path.absolute()
    source = str(current.path)
    top = git(scenario_file.parent, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ScenarioError(source, None, f"cannot read the baseline at {ref!r}: "
                                          "the scenario is not in a git repository")
    repo_root = Path(top.stdout.strip()).resolve()
    files = GitRevisionFiles(repo_root, scenario_file.resolve().parent, ref)
    if git(repo_root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise ScenarioError(source, None, f"unknown git ref {ref!r}")
    relative = files.repo_path(scenario_file.resolve())
    if relative is None or git(repo_root, "cat-file", "-e", f"{ref}:{relative}").returncode != 0:
        message = f"the scenario does not exist at {ref}, so it has no baseline"
        raise BaselineUnavailable(source, None, message)
    label = files.label(current.path)
    documents = parse_yaml_documents(files.read_text(scenario_file.resolve()), label, ScenarioError)
    if len(documents) != 1 or not isinstance(documents[0][0], dict):
        raise ScenarioError(label, None, "expected one YAML document holding the scenario")
    data, lines = documents[0]
    config = resolve_config(Reader(label, lines, ScenarioError), data.get("config"), files)
    return dataclasses.replace(current, config=config)
