"""RunRecord JSON lines: round trip, byte stability, and errors that name the line."""

from __future__ import annotations

import pytest

from pytest_simkube.runrecord import (
    EngineStats,
    NodeAdded,
    PodCreated,
    PodDeleted,
    PodScheduled,
    PodUnschedulable,
    RunHeader,
    RunRecord,
    RunRecordError,
    ScaleUp,
    dumps,
    loads,
    read_run_record,
    write_run_record,
)


def sample() -> RunRecord:
    run = RunRecord(RunHeader(scenario="s", seed=3, duration=60.0, prices={"g": 0.5}))
    run.records += [
        NodeAdded(0.0, "n1", "g", 8000, 2**35),
        PodCreated(1.25, "default/p", "ReplicaSet/default/rs", 10, 500, 2**28),
        PodUnschedulable(1.25, "default/p", 1, {"NodeResourcesFit": 1},
                         "0/1 nodes are available: 1 Insufficient cpu."),
        ScaleUp(2.0, "g", 1, ("default/p",)),
        PodScheduled(40.5, "default/p", "n1", 2),
        PodDeleted(59.0, "default/p", "scaled-down"),
    ]
    run.stats = EngineStats(wall_seconds=0.25, peak_memory_bytes=1024)
    return run


def test_round_trip_preserves_every_record_and_the_header():
    run = sample()
    back = loads(dumps(run))
    assert back.header == run.header
    assert back.records == run.records
    assert back.stats == run.stats
    assert dumps(back) == dumps(run)


def test_engine_stats_are_the_only_last_line_and_can_be_left_out():
    text = dumps(sample())
    lines = text.splitlines()
    assert lines[0].startswith('{"record":"Header","format":1,')
    assert lines[-1].startswith('{"record":"EngineStats"')
    without = dumps(sample(), engine_stats=False)
    assert without == "\n".join(lines[:-1]) + "\n"


def test_write_and_read_file(tmp_path):
    path = tmp_path / "out" / "s.runrecord.jsonl"
    write_run_record(sample(), path)
    assert read_run_record(path).records == sample().records
    assert [p.name for p in path.parent.iterdir()] == ["s.runrecord.jsonl"]


H = '{"record":"Header","format":1,"scenario":"s","seed":1}\n'


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("", None, "empty RunRecord"),
        ('{"record":"PodCreated","t":0,"pod":"a"}\n', "line 1", "first line must be the Header"),
        (H.replace('"format":1', '"format":9'), "line 1", "unsupported RunRecord format 9"),
        (H + 'not json\n', "line 2", "not JSON"),
        (H + '{"record":"Nope","t":1}\n', "line 2",
         "unknown record kind 'Nope'"),
        (H + '{"record":"PodCreated","t":1,"pod":"a","x":1}\n',
         "line 2", "unknown field(s) x"),
        (H + '{"record":"PodCreated","pod":"a"}\n', "line 2",
         "missing or non-numeric time"),
    ],
)
def test_bad_input_names_the_line(text, where, message):
    with pytest.raises(RunRecordError) as info:
        loads(text, "run.jsonl")
    assert info.value.source == "run.jsonl"
    assert info.value.where == where
    assert message in info.value.message


def test_unreadable_file_is_an_input_error(tmp_path):
    with pytest.raises(RunRecordError, match="cannot read"):
        read_run_record(tmp_path / "missing.jsonl")
