"""Scenarios: ``*.simkube.yaml`` files loaded strictly into typed objects (DESIGN.md §3.2).

``load_scenario(path)`` returns a frozen :class:`Scenario` (cluster, proposed config,
expectations, resolved paths); ``apply_patches(trace, patches)`` applies the config's
strategic-merge patches to a trace; ``load_baseline_scenario(scenario, ref)`` gives the
same scenario with its ``config`` as it is at a git ref.
"""

from __future__ import annotations

from pytest_simkube.scenario.baseline import BaselineUnavailable, load_baseline_scenario
from pytest_simkube.scenario.loader import SCENARIO_SUFFIX, load_scenario, parse_scenario
from pytest_simkube.scenario.model import (
    DEFAULT_PROVISION_DELAY_SECONDS,
    ClusterSpec,
    NodeGroupSpec,
    ProposedConfig,
    Scenario,
)
from pytest_simkube.scenario.nodes import NODE_GROUP_LABEL, NodeTemplate, build_node
from pytest_simkube.scenario.patches import Patch, apply_patches, load_patch_file
from pytest_simkube.scenario.strategic_merge import strategic_merge

__all__ = [
    "DEFAULT_PROVISION_DELAY_SECONDS",
    "NODE_GROUP_LABEL",
    "SCENARIO_SUFFIX",
    "BaselineUnavailable",
    "ClusterSpec",
    "NodeGroupSpec",
    "NodeTemplate",
    "Patch",
    "ProposedConfig",
    "Scenario",
    "apply_patches",
    "build_node",
    "load_baseline_scenario",
    "load_patch_file",
    "load_scenario",
    "parse_scenario",
    "strategic_merge",
]
