"""Effective resource requests of a pod, computed exactly as Kubernetes computes them.

Upstream: kubernetes/kubernetes ``pkg/api/v1/resource/helpers.go`` (``PodRequests``) and
``pkg/scheduler/framework/types.go`` (``calculateResource``, ``Resource.Add``).

* app containers are summed;
* init containers run one after another, so the pod needs ``max(init_i)``; a restartable
  ("sidecar", ``restartPolicy: Always``) init container keeps running, so it is added to the
  app sum *and* to every later init container's need;
* ``spec.overhead`` (RuntimeClass overhead) is added on top;
* the scorers count a container that names no cpu/memory request as 100m / 200MiB
  (``NonMissingContainerRequests`` with ``schedutil.DefaultMilliCPURequest`` and
  ``DefaultMemoryRequest``); a request that is present but zero stays zero.

A container that sets a limit but no request for a resource gets the request equal to the
limit through API-server defaulting (``SetDefaults_Pod`` in pkg/apis/core/v1/defaults.go, app
and init containers).  The scheduler only ever sees defaulted pods, while manifests and traces
may hold undefaulted ones, so the same defaulting is applied here; it is idempotent.

Units follow ``framework.Resource``: cpu in millicores (``MilliValue``), every other resource in
whole units (``Value``: bytes for memory, ephemeral-storage and hugepages, counts otherwise).
Values are summed exactly and rounded up once per resource, as Quantity arithmetic does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import ceil
from typing import Any

from pytest_simkube.kube.quantity import QuantityError, parse_quantity

CPU = "cpu"
MEMORY = "memory"
EPHEMERAL_STORAGE = "ephemeral-storage"
PODS = "pods"

# pkg/scheduler/util/pod_resources.go
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


class RequestsError(ValueError):
    """A malformed resources stanza; ``where`` is the path inside the pod."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class PodResources:
    """What a pod asks of a node: scheduler units per resource, plus the non-zero cpu/memory."""

    requests: Mapping[str, int]
    non_zero_milli_cpu: int
    non_zero_memory: int

    @property
    def is_best_effort_like(self) -> bool:
        """No cpu and no memory request at all (BalancedAllocation skips such pods)."""
        return self.requests.get(CPU, 0) == 0 and self.requests.get(MEMORY, 0) == 0


def is_scalar_resource_name(name: str) -> bool:
    """``schedutil.IsScalarResourceName``: extended, hugepages, prefixed native, attachable volumes.

    Other unknown names (no domain, not hugepages) are ignored by ``Resource.Add``.
    """
    if name.startswith("hugepages-") or name.startswith("attachable-volumes-"):
        return True
    return "/" in name


def to_scheduler_units(name: str, value: Fraction) -> int:
    """``MilliValue`` for cpu, ``Value`` for everything else (both round up)."""
    return ceil(value * 1000) if name == CPU else ceil(value)


def _resource_list(raw: Any, where: str) -> dict[str, Fraction]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RequestsError(where, f"expected a map of resource name to quantity, got {type(raw).__name__}")
    out: dict[str, Fraction] = {}
    for name, text in raw.items():
        try:
            out[str(name)] = parse_quantity(text)
        except QuantityError as exc:
            raise RequestsError(f"{where}.{name}", str(exc)) from None
    return out


def _add(into: dict[str, Fraction], other: Mapping[str, Fraction]) -> None:
    for name, value in other.items():
        into[name] = into.get(name, Fraction(0)) + value


def _max_into(into: dict[str, Fraction], other: Mapping[str, Fraction]) -> None:
    for name, value in other.items():
        if name not in into or value > into[name]:
            into[name] = value


def _with_defaults(reqs: dict[str, Fraction], defaults: Mapping[str, Fraction] | None) -> dict[str, Fraction]:
    """``applyNonMissing``: a default only for names the container does not list at all."""
    if not defaults:
        return reqs
    out = dict(reqs)
    for name, value in defaults.items():
        if name not in reqs:
            out[name] = value
    return out


def _container_requests(container: Any, where: str) -> dict[str, Fraction]:
    """The container's requests after API defaulting (missing request := limit)."""
    resources = (container or {}).get("resources") or {}
    requests = _resource_list(resources.get("requests"), f"{where}.requests")
    for name, value in _resource_list(resources.get("limits"), f"{where}.limits").items():
        requests.setdefault(name, value)
    return requests


def pod_requests_exact(spec: Mapping[str, Any], non_missing: Mapping[str, Fraction] | None = None,
                       where: str = "spec") -> dict[str, Fraction]:
    """``resourcehelper.PodRequests`` on a pod spec, as exact quantities per resource name."""
    reqs: dict[str, Fraction] = {}
    for i, container in enumerate(spec.get("containers") or []):
        own = _container_requests(container, f"{where}.containers[{i}].resources")
        _add(reqs, _with_defaults(own, non_missing))
    restartable: dict[str, Fraction] = {}
    init_need: dict[str, Fraction] = {}
    for i, container in enumerate(spec.get("initContainers") or []):
        own = _with_defaults(_container_requests(container, f"{where}.initContainers[{i}].resources"),
                             non_missing)
        if (container or {}).get("restartPolicy") == "Always":
            _add(reqs, own)
            _add(restartable, own)
            need = dict(restartable)
        else:
            need = dict(own)
            _add(need, restartable)
        _max_into(init_need, need)
    _max_into(reqs, init_need)
    _add(reqs, _resource_list(spec.get("overhead"), f"{where}.overhead"))
    return reqs


_NON_MISSING = {CPU: Fraction(DEFAULT_MILLI_CPU_REQUEST, 1000), MEMORY: Fraction(DEFAULT_MEMORY_REQUEST)}


def pod_resources(spec: Mapping[str, Any], where: str = "spec") -> PodResources:
    """Requests in scheduler units (``calculateResource``) plus the non-zero cpu/memory pair.

    Only cpu, memory, ephemeral-storage, pods and scalar resources are kept (``Resource.Add``);
    zero-valued entries are dropped because they never constrain a node.
    """
    exact = pod_requests_exact(spec, where=where)
    requests: dict[str, int] = {}
    for name, value in exact.items():
        if name in (CPU, MEMORY, EPHEMERAL_STORAGE, PODS) or is_scalar_resource_name(name):
            units = to_scheduler_units(name, value)
            if units:
                requests[name] = units
    non_zero = pod_requests_exact(spec, _NON_MISSING, where=where)
    return PodResources(
        requests=requests,
        non_zero_milli_cpu=to_scheduler_units(CPU, non_zero.get(CPU, Fraction(0))),
        non_zero_memory=to_scheduler_units(MEMORY, non_zero.get(MEMORY, Fraction(0))),
    )


def node_allocatable(status: Mapping[str, Any], where: str = "status") -> dict[str, int]:
    """A node's allocatable in scheduler units (capacity when allocatable is absent)."""
    raw = status.get("allocatable")
    if raw is None:
        raw = status.get("capacity")
        where = f"{where}.capacity"
    else:
        where = f"{where}.allocatable"
    out: dict[str, int] = {}
    for name, value in _resource_list(raw, where).items():
        if name in (CPU, MEMORY, EPHEMERAL_STORAGE, PODS) or is_scalar_resource_name(name):
            out[name] = to_scheduler_units(name, value)
    return out
