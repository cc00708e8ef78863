"""Mutated scenarios, patches and expectations load or raise an input error, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.errors import InputError
from pytest_simkube.expect import parse_expectation
from pytest_simkube.scenario import apply_patches, parse_scenario
from pytest_simkube.scenario.patches import parse_patch_text
from tests.scenario.scenario_files import REQUESTS_PATCH, SCENARIO, shop_trace, write_scenario_folder

JUNK = ["", "null", "-1", "0", "3", "1.5", "[1, 2]", "{a: 1}", "yes", "'x'", "1e400", "'8 cores'", "[]", "{}",
        "'-5m'", "!!binary aGVsbG8=", "'$patch'", "{$patch: delete}", "[{$patch: replace}]", "{1: 2}", "~",
        "'nvidia.com/gpu'", "[null]", "'1h30'", "2h", "NoExecute", "'baseline * 2'"]

LINES = SCENARIO.splitlines()
PATCH_LINES = REQUESTS_PATCH.splitlines()


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory):
    return write_scenario_folder(tmp_path_factory.mktemp("fuzz"))


def mutate(lines: list[str], data) -> str:
    lines = list(lines)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["value", "drop", "duplicate"]))
        line = lines[index]
        if action == "value" and ":" in line:
            head = line[: line.index(":") + 1]
            lines[index] = f"{head} {data.draw(st.sampled_from(JUNK))}"
        elif action == "drop":
            del lines[index]
        else:
            lines.insert(index, line)
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_scenarios_load_or_raise_input_errors(scenario_path, data):
    text = mutate(LINES, data)
    try:
        parse_scenario(text, scenario_path)
    except InputError as error:
        assert error.source and error.message


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_patches_apply_or_raise_input_errors(data):
    text = mutate(PATCH_LINES, data)
    try:
        apply_patches(shop_trace(), parse_patch_text(text, "p.yaml", None))
    except InputError as error:
        assert error.source == "p.yaml"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("pods.nde_ugcirt%smh0123456789 <>=!*+-baselin")), max_size=40))
def test_any_expectation_text_parses_or_raises_a_scenario_error(text):
    try:
        exp = parse_expectation(text, "s.yaml", 3, "expect[0]")
    except InputError as error:
        assert error.where == "line 3, key 'expect[0]'"
    else:
        assert exp.metric and exp.op
