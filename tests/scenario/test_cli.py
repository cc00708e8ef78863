"""``simkube scenario validate`` and ``simkube scenario show``."""

from __future__ import annotations

import json

import yaml

from pytest_simkube.cli import main
from tests.scenario.scenario_files import SCENARIO, write_scenario_folder


def test_validate_ok(cli, tmp_path):
    path = write_scenario_folder(tmp_path)
    result = cli.invoke(main, ["scenario", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"ok: {path}: checkout-burst: 1 static node, 2 node groups, scheduler config, "
        "1 patch, 4 expectations, trace 3 events\n"
    )


def test_validate_reports_each_bad_file_on_one_line_and_exits_2(cli, tmp_path):
    good = write_scenario_folder(tmp_path)
    bad = write_scenario_folder(
        tmp_path, SCENARIO.replace("      min: 3", "      mni: 3"), "bad.simkube.yaml"
    )
    result = cli.invoke(
        main, ["scenario", "validate", str(good), str(bad), str(tmp_path / "gone.simkube.yaml")]
    )
    assert result.exit_code == 2
    assert (
        result.stdout == f"ok: {good}: checkout-burst: 1 static node, 2 node groups, scheduler config, "
        "1 patch, 4 expectations, trace 3 events\n"
    )
    errors = result.stderr.splitlines()
    assert errors == [
        f"simkube: error: {bad}: line 15, key 'cluster.nodeGroups[0].mni': "
        "unknown key 'mni' (did you mean 'min'?)",
        f"simkube: error: {tmp_path / 'gone.simkube.yaml'}: scenario file not found",
    ]
    assert "Traceback" not in result.output


def test_validate_loads_the_trace_and_applies_patches(cli, tmp_path):
    path = write_scenario_folder(tmp_path)
    (tmp_path / "patches" / "requests.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nothere}\n"
    )
    result = cli.invoke(main, ["scenario", "validate", str(path)])
    assert result.exit_code == 2
    assert "which the trace never applies" in result.stderr
    skipped = cli.invoke(main, ["scenario", "validate", "--skip-trace", str(path)])
    assert skipped.exit_code == 0
    (tmp_path / "traces" / "shop.sktrace").write_bytes(b"\xc1 not msgpack")
    corrupt = cli.invoke(main, ["scenario", "validate", str(path)])
    assert corrupt.exit_code == 2
    assert corrupt.stderr.startswith("simkube: error: ") and "shop.sktrace" in corrupt.stderr


def test_validate_json(cli, tmp_path):
    good = write_scenario_folder(tmp_path)
    bad = write_scenario_folder(tmp_path, SCENARIO.replace("seed: 7", "seed: -1"), "bad.simkube.yaml")
    result = cli.invoke(main, ["scenario", "validate", "--format", "json", str(good), str(bad)])
    assert result.exit_code == 2
    reports = json.loads(result.stdout)
    assert [(r["file"], r["ok"], r["name"]) for r in reports] == [
        (str(good), True, "checkout-burst"),
        (str(bad), False, None),
    ]
    assert reports[1]["error"] == f"{bad}: line 5, key 'seed': must be >= 0, got -1"


def test_show_prints_resolved_settings_with_defaults(cli, tmp_path):
    path = write_scenario_folder(tmp_path)
    result = cli.invoke(main, ["scenario", "show", str(path)])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.stdout)
    assert shown["name"] == "checkout-burst"
    assert shown["duration"] == "2h0m0s"
    assert shown["cluster"]["initialNodes"] == 4
    assert shown["cluster"]["nodeGroups"][1]["provisionDelay"] == "1m0s"  # the default
    assert shown["cluster"]["nodeGroups"][1]["template"]["pods"] == 110
    (profile,) = shown["config"]["schedulerProfiles"]
    assert profile["schedulerName"] == "default-scheduler"
    assert profile["nodeResourcesFitScoring"] == "MostAllocated (cpu: 1, memory: 1)"
    assert profile["score"]["TaintToleration"] == 3 and "NodeResourcesFit" in profile["filter"]
    autoscaler = shown["config"]["autoscaler"]
    assert autoscaler["scaleDownUnneededTime"] == "5m0s"
    assert autoscaler["scanInterval"] == "10s" and autoscaler["expander"] == "least-waste"
    assert shown["config"]["autoscalerFlags"] == [
        "--expander=least-waste",
        "--scale-down-unneeded-time=5m0s",
        "--scale-down-utilization-threshold=0.5",
    ]
    assert shown["expect"][3] == "cost.node_hours <= baseline * 1.05"
    as_json = cli.invoke(main, ["scenario", "show", "--format", "json", str(path)])
    assert json.loads(as_json.stdout) == shown


def test_show_bad_file_is_one_line(cli, tmp_path):
    result = cli.invoke(main, ["scenario", "show", str(tmp_path / "none.simkube.yaml")])
    assert result.exit_code == 2
    assert result.stderr == f"simkube: error: {tmp_path / 'none.simkube.yaml'}: scenario file not found\n"
