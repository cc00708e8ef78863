"""Comparison of the embedded scheduler's explanation with one reference score vector."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pytest_simkube.config.scheduler import default_scheduler_config, parse_scheduler_config_text
from pytest_simkube.engine.scheduler.explain import explain
from pytest_simkube.engine.scheduler.profiles import build_framework
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.conftest import load_vector

FIELDS = ("plugins", "numFeasibleNodesToFind", "preFilter", "skippedFilterPlugins", "skippedScorePlugins",
          "node.feasible", "node.filter", "node.total", "node.scores", "maxNodes", "maxTotal",
          "singleFeasibleNodeScoringSkipped", "fitError")


def explain_vector(vector: dict[str, Any]) -> dict[str, Any]:
    data = vector["input"]
    snapshot = Snapshot.from_objects(data["nodes"], data["pods"])
    config = (parse_scheduler_config_text(data["config"], f"{vector['id']}.input.config")
              if data.get("config") else default_scheduler_config())
    framework = build_framework(snapshot, config=config)
    return explain(parse_pod(data["pod"]), framework, snapshot, seed=vector.get("seed", 0))


def _normalized(scores: dict[str, Any]) -> dict[str, int]:
    return {name: s["normalized"] for name, s in scores.items()}


@functools.cache
def compare(path: Path) -> dict[str, tuple[int, int, list[str]]]:
    """Per field: (agreeing items, items, first disagreements)."""
    vector = load_vector(path)
    want = vector["output"]
    got = explain_vector(vector)
    out: dict[str, tuple[int, int, list[str]]] = {}

    def record(field: str, pairs: list[tuple[str, Any, Any]]) -> None:
        bad = [f"{where}: got {g!r}, want {w!r}" for where, g, w in pairs if g != w]
        out[field] = (len(pairs) - len(bad), len(pairs), bad[:3])

    record("plugins", [(point, got["plugins"].get(point), names) for point, names in want["plugins"].items()])
    for key in ("numFeasibleNodesToFind", "preFilter", "skippedFilterPlugins", "maxNodes", "maxTotal",
                "singleFeasibleNodeScoringSkipped", "fitError"):
        record(key, [(key, got.get(key), want.get(key))])
    if "skippedScorePlugins" in want:
        record("skippedScorePlugins", [("skippedScorePlugins", got.get("skippedScorePlugins"),
                                        want["skippedScorePlugins"])])
    else:
        record("skippedScorePlugins", [])
    got_nodes = {n["name"]: n for n in got["nodes"]}
    feasible, filters, totals, scores = [], [], [], []
    for node in want["nodes"]:
        mine = got_nodes.get(node["name"], {})
        name = node["name"]
        feasible.append((name, mine.get("feasible"), node["feasible"]))
        if not node["feasible"]:
            filters.append((name, mine.get("filter"), node.get("filter")))
        else:
            totals.append((name, mine.get("total"), node.get("total")))
            scores.append((name, _normalized(mine.get("scores", {})), _normalized(node.get("scores", {}))))
    record("node.feasible", feasible)
    record("node.filter", filters)
    record("node.total", totals)
    record("node.scores", scores)
    return out
