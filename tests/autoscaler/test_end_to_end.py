"""A scenario file end to end: the node group's size decides between unschedulable pods
(with kube-scheduler's reasons) and a scale-up followed by a scale-down; same seed, same bytes."""

from __future__ import annotations

from pathlib import Path

from pytest_simkube.cli.main import main
from pytest_simkube.engine.run import run_scenario
from pytest_simkube.runrecord import dumps, read_run_record
from pytest_simkube.scenario.loader import load_scenario
from pytest_simkube.trace import write_trace
from tests.engine.builders import deployment, make_trace


def write_case(directory: Path, max_size: int, expander: str = "least-waste") -> Path:
    (directory / "traces").mkdir(exist_ok=True)
    trace = make_trace([
        (0, [deployment("checkout", 6, cpu="1500m", memory="1Gi")], []),
        (900, [deployment("checkout", 2, cpu="1500m", memory="1Gi")], []),
    ], end=2400)
    write_trace(trace, directory / "traces" / "burst.sktrace")
    path = directory / "burst.simkube.yaml"
    path.write_text(
        "name: burst\ntrace: traces/burst.sktrace\nseed: 11\n"
        "cluster:\n  nodeGroups:\n"
        f"    - {{name: general, min: 1, max: {max_size}, price: 0.2, provisionDelay: 45s,"
        " template: {cpu: '4', memory: 16Gi}}\n"
        f"config:\n  autoscaler: {{expander: {expander}, scaleDownUnneededTime: 5m}}\n"
        "expect:\n  - pods.unschedulable == 0\n  - nodes.scale_ups >= 1\n")
    return path


def test_too_small_group_leaves_pods_unschedulable_with_scheduler_reasons(cli, tmp_path):
    path = write_case(tmp_path, max_size=1)
    result = cli.invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    record = read_run_record(tmp_path / "out" / "burst.runrecord.jsonl")
    assert [r for r in record.records if r.kind == "ScaleUp"] == []
    reasons = {r.message for r in record.records if r.kind == "PodUnschedulable"}
    assert "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: " \
        "1 No preemption victims found for incoming pod." in reasons


def test_widened_group_scales_up_then_down(cli, tmp_path):
    path = write_case(tmp_path, max_size=4)
    result = cli.invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    record = read_run_record(tmp_path / "out" / "burst.runrecord.jsonl")
    ups = [r for r in record.records if r.kind == "ScaleUp"]
    # 6 pods of 1.5 cpu: 2 per 4-cpu node, 2 fit the first node -> 2 more nodes at the first scan.
    assert [(u.t, u.group, u.delta, len(u.pods)) for u in ups] == [(10.0, "general", 2, 4)]
    downs = [r for r in record.records if r.kind == "ScaleDown"]
    removed = [r for r in record.records if r.kind == "NodeRemoved"]
    assert len(downs) == 2 and [r.node for r in removed] == [d.node for d in downs]
    assert all(d.t > 900 + 300 for d in downs)  # after the shrink, past scaleDownUnneededTime
    assert all(r.reason == "scaled-down" for r in removed)


def test_same_seed_same_bytes(tmp_path):
    scenario = load_scenario(write_case(tmp_path, max_size=4, expander="random"))
    first, second = run_scenario(scenario), run_scenario(scenario)
    assert dumps(first, engine_stats=False) == dumps(second, engine_stats=False)
    assert any(r.kind == "ScaleDown" for r in first.records)


def test_identical_records_across_processes_with_different_hash_seeds(tmp_path):
    """Sets and dicts inside the autoscaler must not leak their order into the record."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    path = write_case(tmp_path, max_size=4, expander="random")
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"out-{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", "from pytest_simkube.cli.main import main; main()", "run",
                        str(path), "--out", str(out), "--no-progress", "--format", "json"],
                       env=env, capture_output=True, cwd=REPO_ROOT, check=True)
        lines = (out / "burst.runrecord.jsonl").read_text().splitlines()
        assert lines[-1].startswith('{"record":"EngineStats"')
        outputs.append(lines[:-1])
    assert outputs[0] == outputs[1]
    assert any('"record":"ScaleDown"' in line for line in outputs[0])
