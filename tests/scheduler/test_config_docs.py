"""The examples in docs/scheduler-config.md parse and mean what the text says."""

from __future__ import annotations

import re

from pytest_simkube.config.scheduler import NodeResourcesFitArgs, parse_scheduler_config_text
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "scheduler-config.md"


def _config_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return [b for b in blocks if "kind: KubeSchedulerConfiguration" in b]


def test_examples_parse_and_match_the_text() -> None:
    first, second = _config_blocks()
    prof = parse_scheduler_config_text(first, "doc example 1").profiles[0]
    assert [(n, prof.score_weights[n]) for n in prof.plugins["score"]] == [
        ("NodeResourcesFit", 5),
        ("TaintToleration", 3),
        ("NodeAffinity", 2),
        ("VolumeBinding", 1),
        ("PodTopologySpread", 2),
        ("InterPodAffinity", 2),
        ("ImageLocality", 1),
    ]
    assert "NodeResourcesBalancedAllocation" in prof.plugins["preScore"]
    config = parse_scheduler_config_text(second, "doc example 2")
    default, batch = config.profiles
    fit = default.args("NodeResourcesFit")
    assert isinstance(fit, NodeResourcesFitArgs) and fit.scoring_strategy.type == "RequestedToCapacityRatio"
    assert config.percentage_for(batch) == 20
    assert "PodTopologySpread" not in batch.plugins["filter"]
