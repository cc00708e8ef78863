"""Same scenario + seed => byte-identical RunRecord; the seed really matters."""

from __future__ import annotations

from pytest_simkube.engine.run import run_scenario
from pytest_simkube.runrecord import dumps
from tests.conftest import SIMKUBE_TRACES, require_reference
from tests.engine.builders import group, scenario


def _run(seed: int) -> str:
    trace_path = require_reference(SIMKUBE_TRACES / "mixed-kinds.sktrace")
    sc = scenario(groups=[group("general", min_size=2, cpu=8000)], seed=seed)
    from pytest_simkube.trace import read_trace

    record = run_scenario(sc, trace=read_trace(trace_path))
    return dumps(record, engine_stats=False)


def test_same_seed_gives_identical_bytes():
    first, second = _run(7), _run(7)
    assert first == second
    assert first.count("\n") > 50


def test_different_seed_changes_jittered_times():
    assert _run(7) != _run(8)


def test_the_seed_defaults_to_the_scenario_seed():
    from pytest_simkube.trace import read_trace

    trace = read_trace(require_reference(SIMKUBE_TRACES / "cronjob.sktrace"))
    sc = scenario(groups=[group()], seed=5)
    record = run_scenario(sc, trace=trace)
    assert record.header.seed == 5
    assert record.header.complete
    assert record.stats is not None and record.stats.wall_seconds > 0


def test_identical_files_across_processes_with_different_hash_seeds(tmp_path):
    """Set and dict ordering must not leak into the record: run the CLI in two processes
    with different PYTHONHASHSEED values and compare the files (minus EngineStats)."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-c", "from pytest_simkube.cli.main import main; main()", "run",
             str(REPO_ROOT / "scenarios" / "mixed-kinds.simkube.yaml"), "--out", str(out), "--no-progress",
             "--format", "json"],
            check=True, env=env, capture_output=True, cwd=REPO_ROOT,
        )
        lines = (out / "mixed-kinds.runrecord.jsonl").read_text().splitlines()
        assert lines[-1].startswith('{"record":"EngineStats"')
        outputs.append(lines[:-1])
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 50
