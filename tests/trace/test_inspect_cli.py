"""``simkube trace show`` and ``simkube trace convert`` on the real traces, and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest
from click.testing import CliRunner

from pytest_simkube.cli.main import main
from pytest_simkube.trace import dumps_trace, read_trace
from tests.conftest import SIMKUBE_TRACES, require_reference

SKTRACES = [
    "bare-pods.sktrace",
    "cronjob.sktrace",
    "cronjob-v2.1-singular-path.sktrace",
    "mixed-kinds.sktrace",
]


def _show_json(cli: CliRunner, path: Path, *extra: str) -> dict:
    result = cli.invoke(main, ["trace", "show", str(path), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_show_json_cronjob(cli: CliRunner) -> None:
    path = require_reference(SIMKUBE_TRACES / "cronjob.sktrace")
    summary = _show_json(cli, path)
    assert summary["version"] == 2 and summary["source_version"] == 2
    assert [k["gvk"] for k in summary["tracked_kinds"]] == [
        "apps/v1.Deployment",
        "apps/v1.StatefulSet",
        "batch/v1.CronJob",
    ]
    cronjob = summary["tracked_kinds"][2]
    assert cronjob["track_lifecycle"] and cronjob["paths_from_default"]
    assert cronjob["pod_spec_template_paths"] == ["/spec/jobTemplate/spec/template"]
    assert summary["objects"] == [{"gvk": "batch/v1.CronJob", "indexed": 1, "applied": 1, "deleted": 1}]
    assert summary["events"] == {"count": 3, "applied_objects": 1, "deleted_objects": 1}
    assert summary["time_span"] == {
        "start_ts": 1743286823,
        "end_ts": 1743287028,
        "start": "2025-03-29T22:20:23Z",
        "end": "2025-03-29T22:23:48Z",
        "duration_seconds": 205,
    }
    assert summary["owners"] == [
        {
            "owner_gvk": "batch/v1.CronJob",
            "owner": "default/hello-simkube",
            "pod_spec_hashes": 1,
            "pods": 3,
            "finished": 3,
            "running": 0,
            "empty": 0,
            "mean_run_seconds": 30.0,
        }
    ]
    assert summary["first_events"][2] == {
        "index": 2,
        "ts": 1743287028,
        "time": "2025-03-29T22:23:48Z",
        "offset_seconds": 205,
        "applied": [],
        "deleted": [{"kind": "batch/v1.CronJob", "name": "default/hello-simkube"}],
    }


def test_show_json_bare_pods_and_event_limit(cli: CliRunner) -> None:
    summary = _show_json(cli, require_reference(SIMKUBE_TRACES / "bare-pods.sktrace"), "--events", "1")
    assert len(summary["first_events"]) == 1
    assert summary["objects"][0] == {"gvk": "v1.Pod", "indexed": 16, "applied": 4, "deleted": 0}
    assert sum(o["running"] for o in summary["owners"]) == 1
    assert sum(o["finished"] for o in summary["owners"]) == 3
    assert all(o["owner_gvk"] == "v1.Pod" for o in summary["owners"])
    # mean of the three Finished runs: 12 s, 30 s and 30 s.
    finished = sorted(o["mean_run_seconds"] for o in summary["owners"] if o["finished"])
    assert finished == [12.0, 30.0, 30.0]


@pytest.mark.parametrize("name", SKTRACES)
def test_show_json_is_stable(cli: CliRunner, name: str) -> None:
    path = require_reference(SIMKUBE_TRACES / name)
    first = cli.invoke(main, ["trace", "show", str(path), "--format", "json"]).output
    assert first == cli.invoke(main, ["trace", "show", str(path), "--format", "json"]).output
    assert json.loads(first)["file"] == str(path)


def test_show_table(cli: CliRunner) -> None:
    path = require_reference(SIMKUBE_TRACES / "mixed-kinds.sktrace")
    result = cli.invoke(main, ["trace", "show", str(path)])
    assert result.exit_code == 0, result.output
    for text in (
        "v2 map (SimKube 2.x)",
        "Tracked kinds",
        "apps/v1.StatefulSet",
        "default/medium-service",
        "2026-05-22T",
        "(none)",
    ):
        assert text in result.output


def test_convert_round_trip_msgpack_json_msgpack(cli: CliRunner, tmp_path: Path) -> None:
    source = require_reference(SIMKUBE_TRACES / "cronjob.sktrace")
    as_json = tmp_path / "cronjob.json"
    back = tmp_path / "back.sktrace"
    result = cli.invoke(main, ["trace", "convert", str(source), "-o", str(as_json)])
    assert result.exit_code == 0, result.output
    assert "JSON form" in result.output
    document = json.loads(as_json.read_text())
    assert document["pod_lifecycles"][0]["hash"] == "10855072724872030168"
    result = cli.invoke(main, ["trace", "convert", str(as_json), "-o", str(back)])
    assert result.exit_code == 0, result.output
    assert back.read_bytes() == source.read_bytes()


def test_convert_to_overrides_suffix_and_upgrades_old_layouts(cli: CliRunner, tmp_path: Path) -> None:
    old = tmp_path / "old.sktrace"
    trace = read_trace(require_reference(SIMKUBE_TRACES / "mixed-kinds.sktrace"))
    decoded = msgpack.unpackb(dumps_trace(trace), raw=False, strict_map_key=False, use_list=False)
    index = {key: value for entries in decoded["index"].values() for key, value in entries.items()}
    old.write_bytes(msgpack.packb([decoded["config"], decoded["events"], index, {}]))
    out = tmp_path / "new.out"
    result = cli.invoke(main, ["trace", "convert", str(old), "-o", str(out), "--to", "msgpack"])
    assert result.exit_code == 0, result.output
    assert "from a version 1 trace" in result.output
    assert out.read_bytes() == dumps_trace(trace)


@pytest.mark.parametrize("command", ["show", "convert"])
def test_bad_input_is_one_line_and_exit_2(cli: CliRunner, tmp_path: Path, command: str) -> None:
    good = require_reference(SIMKUBE_TRACES / "cronjob.sktrace").read_bytes()
    broken = tmp_path / "broken.sktrace"
    broken.write_bytes(good[:700])
    out = tmp_path / "out.json"
    args = ["trace", command, str(broken)] + (["-o", str(out)] if command == "convert" else [])
    result = cli.invoke(main, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"simkube: error: {broken}: ")
    assert "truncated msgpack" in lines[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.sktrace"]


def test_missing_file_and_bad_path_inside(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["trace", "show", str(tmp_path / "nope.sktrace")])
    assert result.exit_code == 2 and "nope.sktrace: no such file" in result.output
    decoded = msgpack.unpackb(
        require_reference(SIMKUBE_TRACES / "cronjob.sktrace").read_bytes(),
        raw=False,
        strict_map_key=False,
        use_list=False,
    )
    events = [dict(e) for e in decoded["events"]]
    events[1]["applied_objs"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {}}]
    bad = tmp_path / "bad.sktrace"
    bad.write_bytes(msgpack.packb({**decoded, "events": events}))
    result = cli.invoke(main, ["trace", "convert", str(bad), "-o", str(tmp_path / "o.sktrace")])
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"simkube: error: {bad}: events[1].applied_objs[0].metadata: missing 'name'"
    )
    assert not (tmp_path / "o.sktrace").exists()


def test_show_names_the_layout_read(cli: CliRunner, tmp_path: Path) -> None:
    from tests.trace.test_reader_layouts import v1_bytes_from_v2, v3_bytes_from_v2

    source = require_reference(SIMKUBE_TRACES / "cronjob.sktrace")
    raw = msgpack.unpackb(source.read_bytes(), raw=False, strict_map_key=False, use_list=False)
    files = {"old.sktrace": v1_bytes_from_v2(raw), "new.sktrace": v3_bytes_from_v2(raw)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    cli.invoke(main, ["trace", "convert", str(source), "-o", str(tmp_path / "form.json")])
    expected = {
        "old.sktrace": (1, "pre-2.0 array"),
        "new.sktrace": (3, "v3 map with tracked_objects"),
        "form.json": (2, "v2 map"),
    }
    for name, (version, layout) in expected.items():
        summary = _show_json(cli, tmp_path / name)
        assert summary["source_version"] == version and summary["layout"].startswith(layout)
        assert summary["owners"][0]["pods"] == 3


def test_show_table_prints_bracketed_names_verbatim(cli: CliRunner, tmp_path: Path) -> None:
    odd = tmp_path / "we[bold]ird[x].sktrace"
    odd.write_bytes(require_reference(SIMKUBE_TRACES / "cronjob.sktrace").read_bytes())
    result = cli.invoke(main, ["trace", "show", str(odd), "--events", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == str(odd)
