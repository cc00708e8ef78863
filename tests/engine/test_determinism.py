"""Same scenario + seed => byte-identical RunRecord; the seed really matters."""

from __future__ import annotations

from pytest_simkube.engine.options import EngineOptions
from pytest_simkube.engine.run import run_scenario
from pytest_simkube.runrecord import dumps
from tests.conftest import SIMKUBE_TRACES, require_reference
from tests.engine.builders import group, scenario


def _run(seed: int) -> str:
    trace_path = require_reference(SIMKUBE_TRACES / "mixed-kinds.sktrace")
    sc = scenario(groups=[group("general", min_size=2, cpu=8000)], seed=seed)
    from pytest_simkube.trace import read_trace

    record = run_scenario(sc, trace=read_trace(trace_path), options=EngineOptions(scheduler="simple"))
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
    record = run_scenario(sc, trace=trace, options=EngineOptions(scheduler="simple"))
    assert record.header.seed == 5
    assert record.header.complete
    assert record.stats is not None and record.stats.wall_seconds > 0
