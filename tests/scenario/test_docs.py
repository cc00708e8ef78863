"""docs/scenarios.md stays true: its example loads and its option table lists every option."""

from __future__ import annotations

import re

from pytest_simkube.config.autoscaler import OPTION_SPECS
from pytest_simkube.scenario import apply_patches, load_patch_file, load_scenario
from tests.conftest import REPO_ROOT
from tests.scenario.scenario_files import shop_trace, write_scenario_folder

DOC = REPO_ROOT / "docs" / "scenarios.md"


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_documented_example_loads(tmp_path):
    example = code_blocks(DOC.read_text(), "yaml")[0]
    scenario = load_scenario(write_scenario_folder(tmp_path, example))
    assert scenario.name == "checkout-burst"
    assert len(scenario.cluster.node_groups) == 2
    assert len(scenario.load_trace().events) == 3


def test_the_documented_patch_applies(tmp_path):
    blocks = code_blocks(DOC.read_text(), "yaml")
    (patch,) = [block for block in blocks if block.startswith("apiVersion: apps/v1")]
    (tmp_path / "p.yaml").write_text(patch)
    patched = apply_patches(shop_trace(), load_patch_file(tmp_path / "p.yaml"))
    app = patched.events[0].applied_objs[0]["spec"]["template"]["spec"]["containers"][0]
    assert app["resources"]["requests"]["cpu"] == "1200m"


def test_every_autoscaler_option_is_documented_with_its_default():
    text = DOC.read_text()
    for spec in OPTION_SPECS.values():
        assert f"| `{spec.flag}` | `{spec.camel}` |" in text, spec.flag
