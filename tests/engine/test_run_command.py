"""``simkube run``: outputs, verdicts, exit codes, bad input and Ctrl-C."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_simkube.cli.main import main
from pytest_simkube.engine.simulation import Simulation
from pytest_simkube.runrecord import read_run_record
from tests.conftest import REPO_ROOT

SCENARIO = REPO_ROOT / "scenarios" / "cronjob.simkube.yaml"


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    (tmp_path / "traces").mkdir()
    shutil.copy(REPO_ROOT / "scenarios" / "traces" / "cronjob.sktrace", tmp_path / "traces")
    return tmp_path


def write_scenario(directory: Path, expect: list[str], extra: str = "") -> Path:
    path = directory / "cj.simkube.yaml"
    lines = "\n".join(f"  - {e}" for e in expect)
    path.write_text(
        "name: cj\ntrace: traces/cronjob.sktrace\nseed: 3\n"
        "cluster:\n  nodeGroups:\n    - {name: g, min: 1, max: 3, price: 0.1,"
        " template: {cpu: '2', memory: 8Gi}}\n" + extra + f"expect:\n{lines}\n")
    return path


def test_run_writes_record_and_metrics_and_passes(cli, tmp_path):
    result = cli.invoke(main, ["run", str(SCENARIO), "--out", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["metrics"]["pods.created"] == 3
    assert [e["status"] for e in payload["expectations"]] == ["passed"] * 3
    record = read_run_record(tmp_path / "cronjob.runrecord.jsonl")
    assert record.header.scenario == "cronjob" and record.header.complete
    on_disk = json.loads((tmp_path / "cronjob.metrics.json").read_text())
    assert on_disk["metrics"] == payload["metrics"]


def test_seed_option_and_table_output(cli, tmp_path):
    result = cli.invoke(main, ["run", str(SCENARIO), "--out", str(tmp_path), "--seed", "99"])
    assert result.exit_code == 0, result.output
    assert "pods.startup_seconds.p99" in result.stdout
    assert "PASSED" in result.stdout
    assert read_run_record(tmp_path / "cronjob.runrecord.jsonl").header.seed == 99


def test_failing_expectation_exits_1(cli, scenario_dir):
    path = write_scenario(scenario_dir, ["pods.created == 99"])
    result = cli.invoke(main, ["run", str(path), "--out", str(scenario_dir / "out")])
    assert result.exit_code == 1
    assert "FAILED" in result.stdout


def test_bad_scenario_is_one_line_and_exit_2(cli, scenario_dir):
    path = write_scenario(scenario_dir, ["pods.created == 3"], extra="bogus: 1\n")
    result = cli.invoke(main, ["run", str(path), "--out", str(scenario_dir / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith("simkube: error: ") and "bogus" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (scenario_dir / "out").exists()


def test_missing_and_corrupt_trace(cli, scenario_dir):
    path = write_scenario(scenario_dir, ["pods.created == 3"])
    (scenario_dir / "traces" / "cronjob.sktrace").write_bytes(b"\x93not a trace")
    result = cli.invoke(main, ["run", str(path), "--out", str(scenario_dir / "out")])
    assert result.exit_code == 2
    assert "cronjob.sktrace" in result.stderr
    result = cli.invoke(main, ["run", str(scenario_dir / "nope.simkube.yaml")])
    assert result.exit_code == 2


def test_ctrl_c_writes_a_partial_record_marked_incomplete(cli, tmp_path, monkeypatch):
    original = Simulation.emit
    seen = {"n": 0}

    def emit(self, record):
        seen["n"] += 1
        if seen["n"] == 8:
            raise KeyboardInterrupt
        original(self, record)

    monkeypatch.setattr(Simulation, "emit", emit)
    result = cli.invoke(main, ["run", str(SCENARIO), "--out", str(tmp_path)])
    assert result.exit_code == 130
    record = read_run_record(tmp_path / "cronjob.runrecord.jsonl")
    assert not record.header.complete
    assert len(record.records) == 7
    assert not (tmp_path / "cronjob.metrics.json").exists()


def test_several_scenarios_run_in_order_and_one_failure_exits_1(cli, scenario_dir):
    failing = write_scenario(scenario_dir, ["pods.created == 99"])
    out = scenario_dir / "out"
    result = cli.invoke(main, ["run", str(SCENARIO), str(failing), "--out", str(out), "--format", "json"])
    assert result.exit_code == 1, result.output
    payloads = json.loads(result.stdout)
    assert [p["scenario"] for p in payloads] == ["cronjob", "cj"]
    assert [[e["status"] for e in p["expectations"]] for p in payloads] == [["passed"] * 3, ["failed"]]
    for name in ("cronjob", "cj"):
        assert read_run_record(out / f"{name}.runrecord.jsonl").header.complete
        assert (out / f"{name}.metrics.json").exists()


def test_several_passing_scenarios_exit_0_with_a_summary(cli, scenario_dir):
    passing = write_scenario(scenario_dir, ["pods.created == 3"])
    result = cli.invoke(main, ["run", str(SCENARIO), str(passing), "--out", str(scenario_dir / "out")])
    assert result.exit_code == 0, result.output
    assert "2 scenarios, 0 failed (cronjob: ok, cj: ok)" in result.stdout


def test_a_bad_file_among_several_is_exit_2_before_any_run(cli, scenario_dir):
    bad = write_scenario(scenario_dir, ["pods.created == 3"], extra="bogus: 1\n")
    out = scenario_dir / "out"
    result = cli.invoke(main, ["run", str(SCENARIO), str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("simkube: error: ") and "bogus" in result.stderr
    assert not out.exists()  # the good scenario did not run either


def test_two_files_with_one_scenario_name_are_exit_2(cli, scenario_dir):
    first = write_scenario(scenario_dir, ["pods.created == 3"])
    second = scenario_dir / "copy.simkube.yaml"
    second.write_text(first.read_text())
    result = cli.invoke(main, ["run", str(first), str(second), "--out", str(scenario_dir / "out")])
    assert result.exit_code == 2
    assert "copy.simkube.yaml" in result.stderr and "'cj' is also used by" in result.stderr
    assert not (scenario_dir / "out").exists()

