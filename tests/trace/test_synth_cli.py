"""``simkube trace synth``: output files, determinism, summaries and bad input."""

from __future__ import annotations

import json

from pytest_simkube.cli import main
from pytest_simkube.trace import read_trace

SPEC = """\
duration: 2h
seed: 4
workloads:
  - name: web-{i}
    kind: Deployment
    count: 3
    replicas: {diurnal: {min: 1, max: 5, peakHour: 1, noise: 0.3, resample: 5m}}
  - name: batch-{i}
    kind: Job
    count: 2
    arrivals: {poisson: {perHour: 4}}
    runtime: {lognormal: {median: 3m, sigma: 0.5}}
"""


def write_spec(tmp_path, text=SPEC):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_synth_writes_a_readable_trace_and_a_summary(cli, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out.sktrace"
    result = cli.invoke(main, ["trace", "synth", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    trace = read_trace(out)
    assert set(trace.index) == {"apps/v1.Deployment", "batch/v1.Job"}
    assert f"wrote {out}" in result.output and "seed 4" in result.output
    assert "3 Deployment" in result.output and "2 Job" in result.output
    assert "PriorityClasses" not in result.output


def test_summary_notes_priority_classes(cli, tmp_path):
    spec = write_spec(tmp_path, "priorityClasses: [{name: hi, value: 5}]\n" + SPEC)
    result = cli.invoke(main, ["trace", "synth", str(spec), "-o", str(tmp_path / "out.sktrace")])
    assert result.exit_code == 0, result.output
    assert "note     includes cluster-scoped PriorityClasses" in result.output


def test_same_seed_same_bytes_other_seed_other_bytes(cli, tmp_path):
    spec = write_spec(tmp_path)
    outputs = []
    for name, extra in (("a", []), ("b", []), ("c", ["--seed", "5"]), ("d", ["--seed", "4"])):
        out = tmp_path / f"{name}.sktrace"
        assert cli.invoke(main, ["trace", "synth", str(spec), "-o", str(out), *extra]).exit_code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[3]
    assert outputs[2] != outputs[0]


def test_json_stats_and_json_trace_format(cli, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out.json"
    result = cli.invoke(main, ["trace", "synth", str(spec), "-o", str(out), "--stats", "json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["seed"] == 4 and stats["workloads"] == {"Deployment": 3, "Job": 2}
    assert stats["total_pods"] == sum(stats["pods"].values()) > 0
    assert out.read_text().lstrip().startswith("{")
    assert read_trace(out).index.keys() == {"apps/v1.Deployment", "batch/v1.Job"}


def test_bad_spec_is_one_line_exit_2_and_no_output(cli, tmp_path):
    spec = write_spec(tmp_path, SPEC.replace("peakHour: 1", "peakHour: 25"))
    out = tmp_path / "out.sktrace"
    result = cli.invoke(main, ["trace", "synth", str(spec), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"simkube: error: {spec}: line 7, key 'workloads[0].replicas.diurnal.peakHour': must be <= 24, got 25"
    ]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [spec]


def test_missing_spec_file(cli, tmp_path):
    result = cli.invoke(main, ["trace", "synth", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "nope.yaml: no such file" in result.output
