"""NodeStatusMap: Filter's verdicts kept as arrays, read as a name -> Status mapping."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_simkube.engine.scheduler.framework import SUCCESS, Status
from pytest_simkube.engine.scheduler.node_statuses import NodeStatusMap
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from tests.scheduler.cluster_builders import node

CPU = Status.unschedulable("Insufficient cpu", plugin="NodeResourcesFit")
TAINT = Status.unschedulable("node(s) had untolerated taint {k: v}", plugin="TaintToleration")


def _map() -> tuple[Snapshot, NodeStatusMap]:
    snap = Snapshot.from_objects([node(f"n{i}") for i in range(5)])
    statuses = NodeStatusMap(snap)
    order = snap.order()
    statuses.add_rejections(order[[3, 0]], np.array([2, 1], dtype=np.int32), [SUCCESS, CPU, TAINT])
    statuses.add_rejections(order[[4]], np.array([1], dtype=np.int32), [SUCCESS, CPU])
    return snap, statuses


def test_reads_like_a_dict_in_examination_order():
    _snap, statuses = _map()
    assert len(statuses) == 3 and statuses
    assert list(statuses) == ["n3", "n0", "n4"]
    assert statuses["n3"] is TAINT and statuses.get("n1") is None
    assert dict(statuses) == {"n3": TAINT, "n0": CPU, "n4": CPU}


def test_counts_without_names_match_the_materialised_map():
    _snap, statuses = _map()
    assert statuses.status_counts() == {CPU: 2, TAINT: 1}
    statuses["n1"] = TAINT
    assert statuses.status_counts() == {CPU: 2, TAINT: 2}


def test_names_must_be_resolved_before_the_node_set_changes():
    snap, statuses = _map()
    snap.remove_node("n0")
    with pytest.raises(RuntimeError, match="freeze"):
        statuses.get("n3")
    snap, statuses = _map()
    statuses.freeze()
    snap.remove_node("n0")
    snap.add_node(node("other"))
    assert dict(statuses) == {"n3": TAINT, "n0": CPU, "n4": CPU}
