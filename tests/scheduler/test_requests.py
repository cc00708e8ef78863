"""Effective pod requests as Kubernetes computes them (resourcehelper.PodRequests)."""

from __future__ import annotations

import pytest

from pytest_simkube.kube.pods import PodParseError, parse_pod
from pytest_simkube.kube.requests import (
    DEFAULT_MEMORY_REQUEST,
    DEFAULT_MILLI_CPU_REQUEST,
    RequestsError,
    node_allocatable,
    pod_resources,
)


def container(name="c", requests=None, limits=None, restart_policy=None):
    out = {"name": name, "image": "img", "resources": {}}
    if requests is not None:
        out["resources"]["requests"] = requests
    if limits is not None:
        out["resources"]["limits"] = limits
    if restart_policy:
        out["restartPolicy"] = restart_policy
    return out


def test_app_containers_are_summed_in_scheduler_units():
    spec = {
        "containers": [
            container(requests={"cpu": "250m", "memory": "1Gi"}),
            container(requests={"cpu": "1.5", "memory": "512Mi"}),
        ]
    }
    res = pod_resources(spec)
    assert res.requests == {"cpu": 1750, "memory": 1536 * 2**20}


def test_init_containers_need_their_maximum_not_the_sum():
    spec = {
        "containers": [container(requests={"cpu": "1", "memory": "1Gi"})],
        "initContainers": [
            container(requests={"cpu": "3", "memory": "128Mi"}),
            container(requests={"cpu": "2", "memory": "2Gi"}),
        ],
    }
    res = pod_resources(spec)
    # cpu: max(init 3, app 1) = 3; memory: max(init 2Gi, app 1Gi) = 2Gi
    assert res.requests == {"cpu": 3000, "memory": 2 * 2**30}


def test_restartable_sidecar_adds_to_app_sum_and_to_later_init_containers():
    spec = {
        "containers": [container(requests={"cpu": "1"})],
        "initContainers": [
            container(requests={"cpu": "500m"}, restart_policy="Always"),
            container(requests={"cpu": "2"}),
        ],
    }
    # the second init container runs beside the sidecar: 2 + 0.5 = 2.5 > app 1 + sidecar 0.5
    assert pod_resources(spec).requests["cpu"] == 2500
    spec["initContainers"][1]["resources"]["requests"]["cpu"] = "100m"
    # now the app phase dominates: 1 + 0.5
    assert pod_resources(spec).requests["cpu"] == 1500


def test_overhead_is_added():
    spec = {"containers": [container(requests={"cpu": "1"})], "overhead": {"cpu": "250m", "memory": "64Mi"}}
    assert pod_resources(spec).requests == {"cpu": 1250, "memory": 64 * 2**20}


def test_limits_only_container_requests_its_limits():
    spec = {
        "containers": [
            container(limits={"cpu": "3", "memory": "256Mi"}),
            container(requests={"cpu": "750m"}, limits={"cpu": "1", "memory": "1Gi"}),
        ]
    }
    res = pod_resources(spec)
    assert res.requests == {"cpu": 3750, "memory": 256 * 2**20 + 2**30}


def test_non_zero_defaults_only_for_missing_names():
    spec = {"containers": [container(), container(requests={"cpu": "0", "memory": "1Gi"})]}
    res = pod_resources(spec)
    assert res.requests == {"memory": 2**30}
    # first container: both defaulted; second: cpu present (zero) stays 0, memory 1Gi
    assert res.non_zero_milli_cpu == DEFAULT_MILLI_CPU_REQUEST
    assert res.non_zero_memory == DEFAULT_MEMORY_REQUEST + 2**30
    assert not res.is_best_effort_like


def test_best_effort_pod_has_no_requests_but_non_zero_defaults():
    res = pod_resources({"containers": [container(), container()]})
    assert res.requests == {}
    assert (res.non_zero_milli_cpu, res.non_zero_memory) == (200, 2 * DEFAULT_MEMORY_REQUEST)
    assert res.is_best_effort_like


def test_extended_hugepages_and_storage_kept_unknown_names_dropped():
    spec = {
        "containers": [
            container(
                requests={
                    "nvidia.com/gpu": "2",
                    "hugepages-2Mi": "4Mi",
                    "ephemeral-storage": "1Gi",
                    "bogus": "5",
                }
            )
        ]
    }
    assert pod_resources(spec).requests == {
        "nvidia.com/gpu": 2,
        "hugepages-2Mi": 4 * 2**20,
        "ephemeral-storage": 2**30,
    }


def test_fractional_values_round_up_once_after_summing():
    spec = {"containers": [container(requests={"cpu": "0.5m"}), container(requests={"cpu": "0.5m"})]}
    assert pod_resources(spec).requests["cpu"] == 1


def test_bad_quantity_names_the_field():
    with pytest.raises(RequestsError) as err:
        pod_resources({"containers": [container(requests={"cpu": "lots"})]})
    assert err.value.where == "spec.containers[0].resources.requests.cpu"
    with pytest.raises(PodParseError) as perr:
        parse_pod(
            {"metadata": {"name": "p"}, "spec": {"initContainers": [container(limits={"memory": "1Qi"})]}}
        )
    assert perr.value.where == "spec.initContainers[0].resources.limits.memory"


def test_node_allocatable_falls_back_to_capacity():
    assert node_allocatable({"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}) == {
        "cpu": 4000,
        "memory": 8 * 2**30,
        "pods": 110,
    }
    assert node_allocatable({"capacity": {"cpu": "4"}, "allocatable": {"cpu": "3900m"}}) == {"cpu": 3900}


def test_node_allocatable_answers_are_kept_but_never_shared():
    status = {"allocatable": {"cpu": "7910m", "memory": "31Gi", "pods": "110", "nvidia.com/gpu": "1"}}
    first = node_allocatable(status)
    first["cpu"] = 1
    second = node_allocatable({"allocatable": dict(status["allocatable"])})
    assert second == {"cpu": 7910, "memory": 31 * 2**30, "pods": 110, "nvidia.com/gpu": 1}
    with pytest.raises(RequestsError):
        node_allocatable({"allocatable": {"cpu": "lots"}})
    with pytest.raises(RequestsError):
        node_allocatable({"allocatable": {"cpu": "lots"}})
