"""Check one plugin against a score vector, plugin by plugin (independent of the full cycle).

For every node the vector says a plugin rejected, the plugin must reject it with the same code
and reasons; for every node the vector found feasible, the plugin must accept it.  Over the
vector's feasible nodes, PreScore must skip exactly when the real scheduler skipped, and the raw
and normalised scores must be equal.  Nodes rejected earlier by another plugin say nothing
about this one and are not compared.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pytest_simkube.config.scheduler import default_scheduler_config, parse_scheduler_config_text
from pytest_simkube.engine.scheduler.framework import CycleState, Handle
from pytest_simkube.engine.scheduler.profiles import args_to_dict
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.conftest import load_vector as _load_vector


@functools.cache
def load_vector(path: Path) -> dict[str, Any]:
    """A vector read once per test process (several modules look at the same files).

    Callers must not modify the result.
    """
    return _load_vector(path)


@dataclass
class PluginAgreement:
    """Comparisons made and disagreements found for one plugin on one vector."""

    compared: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def check(self, kind: str, ok: bool, message: str) -> None:
        self.compared[kind] += 1
        if not ok:
            self.problems.append(message)


def _enabled(out: dict[str, Any], point: str, name: str) -> bool:
    return any(p["name"] == name for p in (out.get("plugins") or {}).get(point) or [])


def plugin_is_involved(vector: dict[str, Any], name: str) -> bool:
    """The plugin filtered (not skipped) or scored (not skipped) in this vector."""
    out = vector["output"]
    if not _enabled(out, "preFilter", name) and not _enabled(out, "score", name):
        return False
    filtered = name not in (out.get("skippedFilterPlugins") or [])
    scored = any(name in (n.get("scores") or {}) for n in out["nodes"])
    return filtered or scored


def check_plugin_on_vector(path: Path, plugin_class: type, vector: dict[str, Any] | None = None,
                           snapshot: Snapshot | None = None) -> PluginAgreement:
    """Compare ``plugin_class`` with the vector; pass ``vector``/``snapshot`` to reuse them."""
    vector = vector or load_vector(path)
    inp, out = vector["input"], vector["output"]
    name = plugin_class.name
    result = PluginAgreement()
    snapshot = snapshot or Snapshot.from_objects(inp["nodes"], inp["pods"])
    config = (parse_scheduler_config_text(inp["config"], path.name) if inp.get("config")
              else default_scheduler_config())
    plugin = plugin_class(args_to_dict(config.profiles[0].args(name)) or {}, Handle(snapshot))
    pod = parse_pod(inp["pod"])
    slots = snapshot.order()
    expected = {n["name"]: n for n in out["nodes"]}

    state = CycleState()
    _, status = plugin.pre_filter(state, pod, snapshot)
    if not _enabled(out, "preFilter", name):
        pass
    elif (out.get("preFilter") or {}).get("code", "Success") == "Success":
        want_skip = name in (out.get("skippedFilterPlugins") or [])
        result.check("preFilterSkip", status.is_skip() == want_skip,
                     f"PreFilter skip={status.is_skip()}, expected {want_skip}")
    if status.is_success() and _enabled(out, "filter", name):
        verdicts = plugin.filter_many(state, pod, snapshot, slots)
        for i, node_name in enumerate(snapshot.node_names(slots)):
            want, got = expected[node_name], verdicts.status(i)
            if want["feasible"]:
                result.check("filter", got.is_success(),
                             f"{node_name}: rejected {got.reasons}, expected feasible")
            elif want["filter"]["plugin"] == name:
                same = (not got.is_success() and got.code.value == want["filter"]["code"]
                        and list(got.reasons) == want["filter"]["reasons"])
                result.check("filter", same, f"{node_name}: {got.code.value} {list(got.reasons)}, "
                                             f"expected {want['filter']}")

    feasible = [n["name"] for n in out["nodes"] if n["feasible"]]
    if len(feasible) < 2 or not _enabled(out, "preScore", name):
        return result  # the real scheduler skips scoring for a single feasible node
    feasible_slots = np.array([snapshot.slot_of(n) for n in feasible], dtype=np.int64)
    state = CycleState()
    status = plugin.pre_score(state, pod, snapshot, feasible_slots)
    want_skip = name in (out.get("skippedScorePlugins") or [])
    result.check("preScoreSkip", status.is_skip() == want_skip,
                 f"PreScore skip={status.is_skip()}, expected {want_skip}")
    if not status.is_success():
        return result
    raw = plugin.score_many(state, pod, snapshot, feasible_slots)
    normalized = plugin.normalize_scores(state, pod, snapshot, feasible_slots, raw.copy())
    for i, node_name in enumerate(feasible):
        want = (expected[node_name].get("scores") or {}).get(name)
        if want is None:
            continue
        result.check("raw", int(raw[i]) == want["raw"], f"{node_name}: raw {raw[i]}, expected {want['raw']}")
        result.check("normalized", int(normalized[i]) == want["normalized"],
                     f"{node_name}: normalized {normalized[i]}, expected {want['normalized']}")
    return result
