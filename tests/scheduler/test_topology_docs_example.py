"""The worked example of docs/scheduler-topology.md gives the results the page shows."""

from __future__ import annotations

import json

from pytest_simkube.cli import main
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "topology-spread.yaml"


def _schedule(cli, pod: str) -> dict:
    result = cli.invoke(main, ["schedule", str(EXAMPLE), "--pod", pod, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_hard_spread_and_anti_affinity_leave_one_node(cli):
    out = _schedule(cli, "shop/web-3")
    verdicts = {n["name"]: n.get("filter") for n in out["nodes"]}
    spread = {"code": "Unschedulable", "plugin": "PodTopologySpread",
              "reasons": ["node(s) didn't match pod topology spread constraints"]}
    assert verdicts["node-a1"] == spread and verdicts["node-a2"] == spread
    assert verdicts["node-b1"] == {"code": "Unschedulable", "plugin": "InterPodAffinity",
                                   "reasons": ["node(s) didn't match pod anti-affinity rules"]}
    assert out["feasibleNodes"] == ["node-b2"]


def test_soft_spread_and_preferred_affinity_scores(cli):
    out = _schedule(cli, "shop/web-4")
    scores = {n["name"]: n["scores"] for n in out["nodes"]}
    spread = {name: (s["PodTopologySpread"]["raw"], s["PodTopologySpread"]["normalized"])
              for name, s in scores.items()}
    affinity = {name: (s["InterPodAffinity"]["raw"], s["InterPodAffinity"]["normalized"])
                for name, s in scores.items()}
    assert spread == {"node-a1": (2, 0), "node-a2": (2, 0), "node-b1": (0, 100), "node-b2": (0, 100)}
    assert affinity == {"node-a1": (50, 100), "node-a2": (50, 100), "node-b1": (0, 0), "node-b2": (0, 0)}
    assert out["maxNodes"] == ["node-b2"]
