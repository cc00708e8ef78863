"""``simkube trace validate``: exit status, text and JSON output, unreadable files."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest
from click.testing import CliRunner

from pytest_simkube.cli import main
from pytest_simkube.errors import TraceError
from pytest_simkube.trace import read_trace, write_trace
from pytest_simkube.trace.validate import validate_trace
from tests.conftest import SIMKUBE_TRACES, require_reference
from tests.trace.test_validate import deployment, make_trace


def _write_bad(tmp_path: Path) -> Path:
    app = deployment(containers=[{"name": "app", "envFrom": [{"secretRef": {"name": "db"}}]}])
    path = tmp_path / "bad.sktrace"
    write_trace(make_trace((100, [app], [])), path)
    return path


def test_reference_traces_pass_with_warnings(cli: CliRunner) -> None:
    traces = require_reference(SIMKUBE_TRACES)
    paths = [str(traces / n) for n in ("bare-pods.sktrace", "cronjob.sktrace", "mixed-kinds.sktrace")]
    result = cli.invoke(main, ["trace", "validate", *paths])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{paths[0]}: 0 errors, 16 warnings" in lines
    assert f"{paths[1]}: ok" in lines
    assert f"{paths[2]}: 0 errors, 7 warnings" in lines
    assert (
        f"{paths[2]}: events[1].applied_objs[0].status: warning W0000 status_field_populated: "
        "apps/v1.StatefulSet default/database carries a status field"
    ) in lines


def test_errors_exit_1_with_the_location(cli: CliRunner, tmp_path: Path) -> None:
    path = _write_bad(tmp_path)
    result = cli.invoke(main, ["trace", "validate", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: events[0].applied_objs[0].spec.template.spec.containers[0].envFrom[0].secretRef.name: "
        "error E0002 envvar_secret_missing: apps/v1.Deployment default/web needs Secret default/db, "
        "which the trace has not applied (or has deleted) by this event; its pods cannot start",
        f"{path}: 1 error, 0 warnings",
    ]


def test_json_output_is_stable_and_complete(cli: CliRunner, tmp_path: Path) -> None:
    bad = _write_bad(tmp_path)
    good = tmp_path / "good.sktrace"
    write_trace(make_trace((100, [deployment()], [])), good)
    first = cli.invoke(main, ["trace", "validate", "--format", "json", str(good), str(bad)])
    second = cli.invoke(main, ["trace", "validate", "--format", "json", str(good), str(bad)])
    assert first.exit_code == 1
    assert first.output == second.output
    document = json.loads(first.output)
    assert document["errors"] == 1 and document["warnings"] == 0
    assert [f["file"] for f in document["files"]] == [str(good), str(bad)]
    assert document["files"][0]["findings"] == []
    finding = document["files"][1]["findings"][0]
    assert list(finding) == ["code", "name", "severity", "where", "message"]
    assert finding["code"] == "E0002" and finding["severity"] == "error"


def test_unreadable_file_exits_2_with_one_line(cli: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sktrace"
    junk.write_bytes(b"\xc1not msgpack")
    result = cli.invoke(main, ["trace", "validate", str(junk)])
    assert result.exit_code == 2
    assert result.output.startswith(f"simkube: error: {junk}")
    assert "Traceback" not in result.output
    missing = cli.invoke(main, ["trace", "validate", str(tmp_path / "nope.sktrace")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_files_are_required(cli: CliRunner) -> None:
    result = cli.invoke(main, ["trace", "validate"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_structural_problem_in_a_real_file_is_an_error(cli: CliRunner, tmp_path: Path) -> None:
    source = require_reference(SIMKUBE_TRACES / "cronjob.sktrace").read_bytes()
    document = msgpack.unpackb(source, raw=False, strict_map_key=False, use_list=False)
    events = [dict(e) for e in document["events"]]
    cronjob = dict(events[1]["applied_objs"][0])
    cronjob["metadata"] = {"annotations": {}, "name": "hello-simkube"}  # no namespace
    events[1]["applied_objs"] = (cronjob,)
    path = tmp_path / "no-namespace.sktrace"
    path.write_bytes(msgpack.packb({**document, "events": events}, use_bin_type=True))
    result = cli.invoke(main, ["trace", "validate", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}: events[1].applied_objs[0]: error E0103 object_identity_missing: "
        "object has no metadata.namespace"
    ) in result.output.splitlines()


def test_list_rules(cli: CliRunner) -> None:
    result = cli.invoke(main, ["trace", "validate", "--list-rules"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 21
    assert lines[0].startswith("W0000 warning status_field_populated: ")
    assert lines[1].startswith("E0001 error   service_account_missing: ")


def _write_structurally_broken(tmp_path: Path, suffix: str = ".sktrace") -> Path:
    """A v2 trace the strict reader refuses for several reasons at once."""
    good = deployment()
    nameless = deployment()
    del nameless["metadata"]["name"]
    document = {
        "version": 2,
        "config": {"trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]},
                                      "a/b/c.Broken": {"podSpecTemplatePaths": ["/spec"]}}},
        "events": [
            {"ts": 200, "applied_objs": [good], "deleted_objs": []},
            {"ts": 100, "applied_objs": [nameless], "deleted_objs": []},
        ],
        "index": {"apps/v1.Deployment": {"default/web": 1}, "noversion": {"x": 1}},
        "pod_lifecycles": {},
    }
    path = tmp_path / f"broken{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(document))
    else:
        path.write_bytes(msgpack.packb(document, use_bin_type=True))
    return path


def test_validate_lists_every_structural_problem_the_reader_would_stop_at(cli: CliRunner,
                                                                            tmp_path: Path) -> None:
    for suffix in (".sktrace", ".json"):
        path = _write_structurally_broken(tmp_path, suffix)
        with pytest.raises(TraceError) as strict:
            read_trace(path)  # everything else still refuses the file, naming the first problem
        assert strict.value.where == "config.trackedObjects['a/b/c.Broken']"
        result = cli.invoke(main, ["trace", "validate", str(path)])
        assert result.exit_code == 1, result.output
        found = {line.split(": ")[1] + " " + line.split(": ")[2].split()[1]
                 for line in result.output.splitlines()[:-1]}
        assert {
            "config.trackedObjects['a/b/c.Broken'] E0101",
            "index['noversion'] E0101",
            "events[1].ts E0102",
            "events[1].applied_objs[0] E0103",
        } <= found, result.output


def test_lenient_reading_still_refuses_undecodable_structure(tmp_path: Path) -> None:
    document = {"version": 2, "config": {"trackedObjects": {}}, "index": {}, "pod_lifecycles": {},
                "events": [{"ts": 1, "applied_objs": ["not a map"], "deleted_objs": []}]}
    path = tmp_path / "worse.sktrace"
    path.write_bytes(msgpack.packb(document, use_bin_type=True))
    with pytest.raises(TraceError, match="expected a Kubernetes object"):
        read_trace(path, lenient=True)


def test_lenient_reading_of_the_v3_and_pre_2_layouts(tmp_path: Path) -> None:
    # Both layouts rebuild index keys from the events' objects; a nameless object is skipped there
    # (and reported by the validator) rather than crashing the rebuild.
    nameless = deployment()
    del nameless["metadata"]["name"]
    nameless["apiVersion"] = 5  # GVK.of would fail on it
    config = {"trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]}}}
    events = [{"ts": 2, "applied_objs": [deployment(), nameless], "deleted_objs": []},
              {"ts": 1, "applied_objs": [], "deleted_objs": []}]
    v3 = {"version": 3, "config": config, "events": events, "pod_lifecycles": {},
          "tracked_objects": {"apps/v1.Deployment": {"default/web": {}}}}
    v1 = [config, events, {"default/web": 1}, {}]
    for name, document in (("v3", v3), ("v1", v1)):
        path = tmp_path / f"{name}.sktrace"
        path.write_bytes(msgpack.packb(document, use_bin_type=True))
        with pytest.raises(TraceError):
            read_trace(path)
        trace = read_trace(path, lenient=True)
        assert trace.source_version == (3 if name == "v3" else 1)
        findings = validate_trace(trace, str(path))
        assert {(f.code, f.where) for f in findings if f.code in ("E0102", "E0103")} == {
            ("E0103", "events[0].applied_objs[1]"), ("E0102", "events[1].ts")}, findings
