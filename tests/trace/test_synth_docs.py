"""The examples in docs/trace-synth.md load and generate as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pytest_simkube.trace.synth import parse_spec, synthesize

DOC = Path(__file__).resolve().parents[2] / "docs" / "trace-synth.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)

WRAPPER = """\
duration: 1h
priorityClasses: [{name: web-critical, value: 10000}]
workloads:
  - name: web-{i}
    kind: Deployment
    count: 2
    replicas: 2
"""


def as_spec(block: str) -> str:
    if "workloads:" in block:
        return block
    body = textwrap.dedent(block)
    if not body.startswith("pod:"):
        body = "pod:\n" + textwrap.indent(body, "  ")
    return WRAPPER + textwrap.indent(body, "    ")


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_documented_yaml_is_a_working_spec(block):
    result = synthesize(parse_spec(as_spec(block), str(DOC)))
    assert result.trace.events and sum(result.stats.workloads.values()) >= 1


def test_the_doc_has_examples():
    assert len(BLOCKS) >= 3
