"""``simkube trace transform``: options in order, atomic output, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pytest_simkube.cli import main
from pytest_simkube.cli.trace_transform_command import parse_drop, parse_replicas, parse_window
from pytest_simkube.trace import read_trace, write_trace
from pytest_simkube.trace import transform as tf
from pytest_simkube.trace.validate import validate_trace
from tests.conftest import SIMKUBE_TRACES, require_reference
from tests.trace.test_transform import sample


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.sktrace"
    write_trace(sample(), path)
    return path


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, ["trace", "transform", *args])


def test_transforms_run_in_command_line_order(cli: CliRunner, sample_file: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.sktrace", tmp_path / "b.sktrace"
    first = run(cli, str(sample_file), "-o", str(a), "--window", "100s:", "--time-scale", "0.5")
    second = run(cli, str(sample_file), "-o", str(b), "--time-scale", "0.5", "--window", "100s:")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    # Cut at 1100 (start state, the 1100 delete, api at 1200, end 1300), then halved around 1100.
    assert [e.ts for e in read_trace(a).events] == [1100, 1100, 1150, 1200]
    # Halved (api at 1100, end at 1150), then cut at 1100.
    assert [e.ts for e in read_trace(b).events] == [1100, 1100, 1150]
    assert first.output.splitlines()[-1] == f"wrote {a}: 4 event(s), 100s"


def test_repeated_options_interleave(cli: CliRunner, sample_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.sktrace"
    result = run(
        cli,
        str(sample_file),
        "-o",
        str(out),
        "--scale-replicas",
        "2x",
        "--time-scale",
        "2",
        "--scale-replicas",
        "=1",
        "--kind",
        "Deployment",
        "--selector",
        "tier=front",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == [
        "--scale-replicas 2x: 2 applied object(s) changed",
        "--time-scale 2: 5 event(s), 600s",
        "--scale-replicas =1: 2 applied object(s) changed",
    ]
    trace = read_trace(out)
    replicas = {
        o["metadata"]["name"]: o["spec"].get("replicas") for e in trace.events for o in e.applied_objs
    }
    assert replicas == {"web": 1, "api": 1, "batch-job": None}


def test_resource_and_drop_options_match_the_api(cli: CliRunner, sample_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.sktrace"
    result = run(
        cli,
        str(sample_file),
        "-o",
        str(out),
        "--set-request",
        "app:cpu=750m",
        "--scale-limit",
        "cpu=2",
        "--drop",
        "kind=Job,namespace=batch",
    )
    assert result.exit_code == 0, result.output
    expected = tf.drop_objects(
        tf.scale_resource(
            tf.set_resource(sample(), "requests", "cpu", "750m", container="app"), "limits", "cpu", 2
        ),
        tf.ObjectFilter(kinds=("Job",), namespaces=("batch",)),
    )
    written = read_trace(out)
    assert written.events == expected.events
    assert written.index == expected.index
    assert written.pod_lifecycles == expected.pod_lifecycles
    assert "--drop kind=Job,namespace=batch: 1 object(s) dropped" in result.output


def test_output_is_deterministic(cli: CliRunner, sample_file: Path, tmp_path: Path) -> None:
    args = ["--scale-request", "memory=1.5", "--window", "30s:4m", "--time-scale", "0.3"]
    a, b = tmp_path / "a.sktrace", tmp_path / "b.sktrace"
    assert run(cli, str(sample_file), "-o", str(a), *args).exit_code == 0
    assert run(cli, str(sample_file), "-o", str(b), *args).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_real_trace_round_trip_stays_valid(cli: CliRunner, tmp_path: Path) -> None:
    source = require_reference(SIMKUBE_TRACES / "bare-pods.sktrace")
    out = tmp_path / "bare.sktrace"
    result = run(cli, str(source), "-o", str(out), "--set-request", "cpu=200m", "--time-scale", "2")
    assert result.exit_code == 0, result.output
    findings = validate_trace(read_trace(out))
    # The edited pods get fresh index hashes (the source's 4 stale ones are gone); lifecycles re-keyed.
    assert sorted({f.code for f in findings}) == ["W0103"]
    original = read_trace(source)
    assert read_trace(source).events == original.events  # input file untouched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale-replicas", "lots"], "expected a factor like '2x'"),
        (["--scale-replicas", "=x"], "whole number of replicas"),
        (["--time-scale", "0"], "greater than 0"),
        (["--window", "10m"], "expected START:END"),
        (["--window", "5m:1m"], "the end must be after the start"),
        (["--window", "1.5s:"], "whole number of seconds"),
        (["--window", "soon:"], "start"),
        (["--shift-time", "1.5s"], "whole number of seconds"),
        (["--shift-time", "later"], "--shift-time"),
        (["--set-request", "cpu"], "[CONTAINER:]RESOURCE=VALUE"),
        (["--set-request", "cpu=much"], "quantities must match"),
        (["--scale-request", "memory=-1"], "is not a positive number"),
        (["--drop", "app in (a"], "--drop"),
        (["--scale-replicas", "2x", "--selector", "a=(b"], "--selector"),
        ([], "no transform given"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(
    cli: CliRunner, sample_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out.sktrace"
    result = run(cli, str(sample_file), "-o", str(out), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_unreadable_input_and_trace_problems_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out.sktrace"
    missing = run(cli, str(tmp_path / "nope.sktrace"), "-o", str(out), "--time-scale", "2")
    assert missing.exit_code == 2 and "no such file" in missing.output
    broken = sample()
    broken.events[0].applied_objs[0]["spec"]["replicas"] = "three"
    path = tmp_path / "broken.sktrace"
    write_trace(broken, path)
    result = run(cli, str(path), "-o", str(out), "--scale-replicas", "2x")
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"simkube: error: {path}: events[0].applied_objs[0].spec.replicas: "
        "--scale-replicas 2x: replicas must be an integer, got 'three'"
    )
    assert not out.exists()


def test_option_parsers() -> None:
    assert parse_replicas("2x") == (2, None)
    assert parse_replicas("0.5") == (0.5, None)
    assert parse_replicas("=7") == (None, 7)
    assert parse_window("10m:2h") == (600, 7200)
    assert parse_window(":90") == (0, 90)
    assert parse_window("1h30m:") == (5400, None)
    drop = parse_drop("kind=Job,kind=CronJob,namespace=batch,tier in (a,b),!canary")
    assert drop.kinds == ("Job", "CronJob") and drop.namespaces == ("batch",)
    assert str(drop.selector) == "!canary,tier in (a,b)"


def test_shift_time_option_takes_signed_durations(cli: CliRunner, sample_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.sktrace"
    result = run(cli, str(sample_file), "-o", str(out), "--shift-time", "-10m", "--shift-time", "1h")
    assert result.exit_code == 0, result.output
    assert read_trace(out).start_ts == 1000 - 600 + 3600


def test_arrival_rate_option(cli: CliRunner, sample_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.sktrace"
    result = run(cli, str(sample_file), "-o", str(out), "--arrival-rate", "4")
    assert result.exit_code == 0, result.output
    assert [e.ts for e in read_trace(out).events] == [1000, 1015, 1025, 1050, 1075]
    bad = run(cli, str(sample_file), "-o", str(out), "--arrival-rate", "0")
    assert bad.exit_code == 2 and "--arrival-rate" in bad.output


def test_a_failing_step_leaves_an_existing_output_alone(cli: CliRunner, tmp_path: Path) -> None:
    broken = sample()
    broken.events[3].applied_objs[0]["spec"]["replicas"] = None
    path, out = tmp_path / "broken.sktrace", tmp_path / "out.sktrace"
    write_trace(broken, path)
    out.write_bytes(b"previous result")
    result = run(cli, str(path), "-o", str(out), "--time-scale", "2", "--scale-replicas", "2x")
    assert result.exit_code == 2
    assert "events[3].applied_objs[0].spec.replicas" in result.output
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.sktrace", "out.sktrace"]  # no temp files
