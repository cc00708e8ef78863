"""The one strict YAML reader behind scenario files and workload specs."""

from __future__ import annotations

import pytest

from pytest_simkube.errors import ScenarioError, TraceError
from pytest_simkube.scenario import load_scenario
from pytest_simkube.trace.synth import parse_spec
from pytest_simkube.yamlstrict import Reader, compose_document, parse_yaml_documents
from tests.scenario.scenario_files import SCENARIO, write_scenario_folder

SPEC = """\
duration: 2h
workloads:
  - name: web
    kind: Deployment
    replicas: 2
"""


def _error(load, text: str):
    with pytest.raises((ScenarioError, TraceError)) as caught:
        load(text)
    return caught.value


def _scenario(tmp_path):
    return lambda text: load_scenario(write_scenario_folder(tmp_path, text))


def _spec(text: str):
    return parse_spec(text, "spec.yaml")


@pytest.mark.parametrize(("scenario_edit", "spec_edit", "message"), [
    (("seed: 7", "sede: 7"), ("duration: 2h", "duraton: 2h"), "unknown key '{key}' (did you mean '{fix}'?)"),
    (("seed: 7", "seed: 7\nseed: 8"), ("duration: 2h", "duration: 2h\nduration: 3h"),
     "duplicate key '{fix}' (first given on line {line})"),
    (("seed: 7", "seed: [7]"), ("    replicas: 2", "    replicas: [2]"), "expected an integer, got a list"),
])
def test_scenarios_and_specs_report_the_same_mistake_in_the_same_words(scenario_edit, spec_edit, message,
                                                                       tmp_path):
    assert scenario_edit[0] in SCENARIO and spec_edit[0] in SPEC
    scenario_error = _error(_scenario(tmp_path), SCENARIO.replace(*scenario_edit))
    spec_error = _error(_spec, SPEC.replace(*spec_edit))
    seed_line = next(n for n, line in enumerate(SCENARIO.splitlines(), 1) if line.startswith("seed:"))
    assert scenario_error.message == message.format(key="sede", fix="seed", line=seed_line)
    assert spec_error.message == message.format(key="duraton", fix="duration", line=1)
    assert scenario_error.where.startswith("line ") and spec_error.where.startswith("line ")


def test_recursive_anchors_are_read_not_a_recursion_error():
    (value, lines), = parse_yaml_documents("a: &x [1, *x]\n", "f.yaml")
    assert value["a"][1] is value["a"] and lines == {"": 1, "a": 1, "a[0]": 1, "a[1]": 1}
    node = compose_document("a: &x {b: *x}\n", "f.yaml", TraceError)
    assert node.mapping()["a"].mapping()["b"].mapping()["b"].path == "a.b.b"


def test_nested_aliases_are_indexed_once_not_expanded():
    # Each level repeats the previous one ten times: expanding the paths would be 10**7 entries.
    levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 8)]
    (_, lines), = parse_yaml_documents("\n".join(levels) + "\n", "f.yaml")
    assert len(lines) < 100
    reader = Reader("f.yaml", lines)
    assert reader.where("l7[3][2][1]") == "line 7, key 'l7[3][2][1]'"  # where *l6's content is


def test_syntax_errors_and_empty_documents_name_the_file():
    with pytest.raises(TraceError) as caught:
        compose_document("a: [1\n", "spec.yaml", TraceError)
    assert caught.value.source == "spec.yaml" and caught.value.message.startswith("invalid YAML: ")
    assert caught.value.where.startswith("line 2, column")
    with pytest.raises(TraceError, match="the file is empty"):
        compose_document("# nothing\n", "spec.yaml", TraceError)
    with pytest.raises(ScenarioError, match="invalid YAML"):
        parse_yaml_documents("a: b: c\n", "s.yaml")


@pytest.mark.parametrize(("value", "message"), [
    ("true", "values must be strings (quote it: 'True'), got boolean true"),
    ("8", "values must be strings (quote it: '8'), got int 8"),
    ("[a]", "values must be strings, got a list"),
    ("", "values must be strings, got nothing (null)"),
])
def test_label_values_must_be_strings_in_both_readers(value, message):
    text = f"labels:\n  team: {value}\n"
    (document, lines), = parse_yaml_documents(text, "f.yaml")
    with pytest.raises(ScenarioError) as from_values:
        Reader("f.yaml", lines).string_map(document["labels"], "labels")
    with pytest.raises(TraceError) as from_nodes:
        compose_document(text, "f.yaml", TraceError).mapping()["labels"].string_map()
    assert from_values.value.message == from_nodes.value.message == message
    assert from_values.value.where == from_nodes.value.where == "line 2, key 'labels.team'"


def test_an_unknown_key_with_a_block_value_is_reported_at_the_key_line():
    text = SPEC.replace("    replicas: 2\n", "    replicas: 2\n    podd:\n      image: x\n")
    with pytest.raises(TraceError) as caught:
        parse_spec(text, "spec.yaml")
    assert caught.value.where == "line 6, key 'workloads[0].podd'"
    assert caught.value.message == "unknown key 'podd' (did you mean 'pod'?)"
