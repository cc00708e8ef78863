"""Cached pod requests: same answer as a fresh parse, never shared state, never a cached error."""
from __future__ import annotations

import pytest

from pytest_simkube.kube.requests import RequestsError, pod_resources


def _spec(cpu: object, memory: object = "1Gi", init: bool = False) -> dict:
    container = {"name": "c", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    spec: dict = {"containers": [container]}
    if init:
        spec["initContainers"] = [{"name": "i", "restartPolicy": "Always",
                                   "resources": {"requests": {"cpu": "2"}}}]
    return spec


def test_equal_specs_give_equal_but_separate_results():
    first, second = pod_resources(_spec("500m")), pod_resources(_spec("500m"))
    assert first == second and first.requests == {"cpu": 500, "memory": 1024 ** 3}
    assert first.requests is not second.requests


def test_differing_fields_are_not_conflated():
    assert pod_resources(_spec("500m")).requests["cpu"] == 500
    assert pod_resources(_spec("500m", init=True)).requests["cpu"] == 2500
    assert pod_resources(_spec(1)).requests["cpu"] == 1000
    assert pod_resources(_spec("1")).requests["cpu"] == 1000
    assert pod_resources(_spec("2")).requests["cpu"] == 2000


def test_errors_are_raised_every_time():
    for _ in range(2):
        with pytest.raises(RequestsError) as info:
            pod_resources(_spec("lots"), where="spec")
        assert "containers[0]" in str(info.value)
