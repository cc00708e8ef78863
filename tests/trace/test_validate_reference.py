"""Validation of SimKube's real trace files: each must load, and report exactly its known findings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pytest_simkube.trace import read_trace
from pytest_simkube.trace.validate import has_errors, validate_trace
from tests.conftest import SIMKUBE_TRACES, require_reference

# Findings per file, by code, as FORMAT.md describes the files:
# bare-pods was SKEL-edited after export (4/4 index hashes stale) and its index keeps 12
# pods deleted before the export window; mixed-kinds kept `status` on its 7 applied objects.
EXPECTED = {
    "bare-pods.sktrace": {"W0101": 4, "W0103": 12},
    "cronjob.sktrace": {},
    "cronjob-v2.1-singular-path.sktrace": {},
    "mixed-kinds.sktrace": {"W0000": 7},
    # SimKube's hand-written JSON fixture: its Deployment keeps a status and its index hash is a
    # made-up value, not the hash of the spec.
    "trace-fixture.json": {"W0000": 1, "W0101": 1},
}


def _traces() -> list[Path]:
    return sorted(require_reference(SIMKUBE_TRACES).iterdir())


def test_every_reference_trace_is_covered() -> None:
    assert sorted(p.name for p in _traces()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_trace_findings(name: str) -> None:
    path = require_reference(SIMKUBE_TRACES / name)
    findings = validate_trace(read_trace(path), str(path))
    assert Counter(f.code for f in findings) == Counter(EXPECTED[name])
    assert not has_errors(findings)


def test_bare_pods_stale_hashes_name_the_edited_pods() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "bare-pods.sktrace"))
    stale = sorted(f.where for f in validate_trace(trace) if f.code == "W0101")
    applied = sorted(
        f"index['v1.Pod']['testing/{o['metadata']['name']}']" for e in trace.events for o in e.applied_objs
    )
    assert stale == applied
    # Lifecycle hashes of the bare pods are the stable hash of the traced Pod specs: no W0102.
    assert not [f for f in validate_trace(trace) if f.code == "W0102"]


def test_mixed_kinds_status_findings_point_at_each_object() -> None:
    trace = read_trace(require_reference(SIMKUBE_TRACES / "mixed-kinds.sktrace"))
    wheres = [f.where for f in validate_trace(trace)]
    assert wheres == [
        f"events[{e}].applied_objs[{i}].status"
        for e, ev in enumerate(trace.events)
        for i, _ in enumerate(ev.applied_objs)
    ]
