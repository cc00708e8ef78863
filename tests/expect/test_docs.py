"""docs/expectations.md stays true: its examples parse and its output samples are real."""

from __future__ import annotations

import re

from pytest_simkube.expect import METRICS, evaluate, parse_expectation, render_table
from tests.conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "expectations.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


def test_documented_expectations_parse():
    lines = blocks("text")[0].strip().splitlines()
    assert len(lines) == 9
    for line in lines:
        parse_expectation(line)


def test_documented_table_is_what_render_table_prints():
    exps = [parse_expectation("cost.node_hours <= baseline * 1.05"), parse_expectation("nodes.peak <= 40")]
    results = evaluate(exps, {"cost.node_hours": 110.0, "nodes.peak": 38}, {"cost.node_hours": 100.0})
    assert render_table(results) in DOC
    assert results[0].message in DOC


def test_catalogue_table_lists_every_metric():
    for name, info in METRICS.items():
        assert f"| `{name}` | {info.unit} |" in DOC
