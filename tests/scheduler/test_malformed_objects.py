"""Malformed Nodes and Pods: a result or an InputError naming the place, never a crash.

Real-world vector objects are mutated one field (or one whole sub-object) at a time: to a
wrong type, an empty or huge value.  The snapshot, the pod parser and ``simkube schedule`` must
either accept the object or raise :class:`~pytest_simkube.errors.InputError` (CLI: exit 2 and
one line on stderr).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simkube.cli import main
from pytest_simkube.engine.scheduler.snapshot import Snapshot, SnapshotError
from pytest_simkube.errors import InputError
from pytest_simkube.kube.pods import PodParseError, parse_pod
from pytest_simkube.kube.requests import RequestsError
from tests.conftest import SCHEDULER_VECTORS, require_reference
from tests.scheduler.cluster_builders import node, pod
from tests.scheduler.conftest import load_vector

VECTOR = SCHEDULER_VECTORS / "score" / "score-0064.json.gz"
"""Five nodes, 33 pods with host ports, topology spread, anti-affinity and tolerations."""

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "1e40", "99999999999999999999Ei", "-1", "NaN", "0.0.0.0", "Always"]),
    st.lists(st.one_of(st.integers(), st.text(max_size=2)), max_size=2),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.text(max_size=2)), max_size=2),
)


@cache
def _base() -> dict[str, Any]:
    return load_vector(require_reference(VECTOR))["input"]


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path in ``obj`` (inner maps and lists too, so whole sub-objects get replaced)."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out.extend(_paths(value, (*prefix, i)))
    return out


@cache
def _object_paths() -> list[tuple]:
    base = _base()
    picked = {"nodes": base["nodes"][:2], "pods": base["pods"], "pod": base["pod"]}
    return [p for p in _paths(picked) if len(p) > 2 or p[0] == "pod"]


def _mutated(path: tuple, value: Any) -> dict[str, Any]:
    case = copy.deepcopy(_base())
    target = case
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return case


def _load_snapshot(case: dict[str, Any]) -> Snapshot:
    snapshot = Snapshot()
    for raw in case["nodes"]:
        snapshot.add_node(raw)
    for raw in case["pods"]:
        info = parse_pod(raw)
        if info.node_name:
            snapshot.add_pod(info)
    parse_pod(case["pod"])
    return snapshot


def _path_strategy() -> st.SearchStrategy[tuple]:
    if not VECTOR.exists():
        return st.just(())
    return st.sampled_from(_object_paths())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=_path_strategy(), value=_VALUES)
def test_mutated_nodes_and_pods_load_or_raise_input_errors(path: tuple, value: Any) -> None:
    require_reference(VECTOR)
    case = _mutated(path, value)
    try:
        _load_snapshot(case)
    except InputError as err:
        assert err.where is not None and err.message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=_path_strategy(), value=_VALUES)
def test_mutated_schedule_input_exits_0_or_2_with_one_line(
    tmp_path_factory: pytest.TempPathFactory, path: tuple, value: Any
) -> None:
    require_reference(VECTOR)
    case = _mutated(path, value)
    input_file = tmp_path_factory.mktemp("mutated") / "case.json"
    input_file.write_text(json.dumps(case), encoding="utf-8")
    result = CliRunner().invoke(main, ["schedule", str(input_file), "--format", "json"])
    assert result.exit_code in (0, 2), (path, value, result.output, result.exception)
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(input_file) in lines[0], result.stderr
    else:
        assert json.loads(result.stdout)["pod"]


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (pod("p", containers=[5]), "spec.containers[0]"),
        (pod("p", containers={"a": 1}), "spec.containers"),
        ({**pod("p"), "metadata": {"name": "p", "labels": 3}}, "metadata.labels"),
        (pod("p", tolerations=[{"key": 1, "operator": 2}]), "spec.tolerations[0]"),
        (pod("p", initContainers=["x"]), "spec.initContainers[0]"),
        (pod("p", overhead={"cpu": "1e40"}), "spec requests"),
        (pod("p", priority=2**40), "spec.priority"),
        ({**pod("p"), "status": 5}, "status"),
        (
            pod("p", affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": {"a": 1}}]}}),
            "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
        ),
        (
            pod("p", affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchExpressions": [{"key": "a", "operator": {"x": 1}}]}}]}}),
            "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
            ".labelSelector.matchExpressions[0].operator",
        ),
        (pod("p", topologySpreadConstraints=[{"maxSkew": "1"}]), "spec.topologySpreadConstraints[0].maxSkew"),
    ],
)
def test_malformed_pods_name_the_field(raw: dict[str, Any], where: str) -> None:
    with pytest.raises(PodParseError) as err:
        parse_pod(raw)
    assert isinstance(err.value, InputError) and err.value.where.startswith(where)


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({**node("n"), "metadata": {"name": "n", "labels": 3}}, "metadata.labels"),
        (node("n", pods=2**70), "status.allocatable.pods"),
        (node("n", extra={"example.com/gpu": "1e40"}), "status.allocatable.example.com/gpu"),
        ({**node("n"), "status": {"allocatable": {"cpu": "1"}, "images": [3]}}, "status.images[0]"),
        ({**node("n"), "spec": {"taints": 7}}, "spec.taints"),
        ({**node("n"), "spec": 7}, "spec"),
    ],
)
def test_malformed_nodes_name_the_node_and_field(raw: dict[str, Any], where: str) -> None:
    with pytest.raises(SnapshotError) as err:
        Snapshot().add_node(raw)
    assert isinstance(err.value, InputError) and err.value.where.startswith(where)
    assert "node n" in str(err.value)


def test_requests_errors_are_input_errors() -> None:
    assert issubclass(RequestsError, InputError) and issubclass(PodParseError, InputError)
    with pytest.raises(PodParseError, match=r"^pod default/p: spec\.containers\[0\]: expected a container"):
        parse_pod(pod("p", containers=[5]))


def test_node_sums_beyond_int64_are_refused() -> None:
    snapshot = Snapshot()
    snapshot.add_node(node("n", extra={"example.com/big": str(2**63 - 1)}))
    snapshot.add_pod(pod("a", node_name="n"))  # an ordinary pod fits
    big = pod("b", node_name="n")
    big["spec"]["containers"][0]["resources"]["requests"]["example.com/big"] = str(2**62)
    snapshot.add_pod(big)
    again = copy.deepcopy(big)
    again["metadata"]["name"] = "c"
    with pytest.raises(SnapshotError, match=r"example\.com/big requested on node 'n' would exceed"):
        snapshot.add_pod(again)
