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

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import ceil
from typing import Any

from pytest_simkube.errors import InputError
from pytest_simkube.kube.quantity import QuantityError, parse_quantity

CPU = "cpu"
MEMORY = "memory"
EPHEMERAL_STORAGE = "ephemeral-storage"
PODS = "pods"

# pkg/scheduler/util/pod_resources.go
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


MAX_UNITS = 2**63 - 1
"""Largest amount in scheduler units: upstream keeps every amount in an int64."""


class RequestsError(InputError, ValueError):
    """A malformed resources stanza; ``where`` is the path inside the pod or node.

    An :class:`InputError` (so the CLI prints one line) and a ``ValueError`` (callers that
    only know quantities catch that).  The file is not known here: callers that know it wrap
    ``where`` and ``message`` into their own error.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(None, where, message)


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


def to_scheduler_units(name: str, value: Fraction, where: str = "") -> int:
    """``MilliValue`` for cpu, ``Value`` for everything else (both round up).

    An amount beyond int64 cannot exist in a real cluster (the API server stores int64
    amounts); it is rejected instead of wrapping around in the node arrays.
    """
    units = ceil(value * 1000) if name == CPU else ceil(value)
    if abs(units) > MAX_UNITS:
        raise RequestsError(where or name, f"{name} amount is too large (more than 2^63-1 "
                            f"{'millicores' if name == CPU else 'units'})")
    return units


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


def _containers(spec: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """``spec.containers`` / ``spec.initContainers``: a list of maps (or absent)."""
    raw = spec.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RequestsError(f"{where}.{key}", f"expected a list of containers, got {type(raw).__name__}")
    for i, container in enumerate(raw):
        if container is not None and not isinstance(container, Mapping):
            raise RequestsError(f"{where}.{key}[{i}]",
                                f"expected a container map, got {type(container).__name__}")
    return [c or {} for c in raw]


def _container_requests(container: Mapping[str, Any], where: str) -> dict[str, Fraction]:
    """The container's requests after API defaulting (missing request := limit)."""
    resources = container.get("resources") or {}
    if not isinstance(resources, Mapping):
        raise RequestsError(where, f"expected a map, got {type(resources).__name__}")
    requests = _resource_list(resources.get("requests"), f"{where}.requests")
    for name, value in _resource_list(resources.get("limits"), f"{where}.limits").items():
        requests.setdefault(name, value)
    return requests


def pod_requests_exact(spec: Mapping[str, Any], non_missing: Mapping[str, Fraction] | None = None,
                       where: str = "spec") -> dict[str, Fraction]:
    """``resourcehelper.PodRequests`` on a pod spec, as exact quantities per resource name."""
    reqs: dict[str, Fraction] = {}
    for i, container in enumerate(_containers(spec, "containers", where)):
        own = _container_requests(container, f"{where}.containers[{i}].resources")
        _add(reqs, _with_defaults(own, non_missing))
    restartable: dict[str, Fraction] = {}
    init_need: dict[str, Fraction] = {}
    for i, container in enumerate(_containers(spec, "initContainers", where)):
        own = _with_defaults(_container_requests(container, f"{where}.initContainers[{i}].resources"),
                             non_missing)
        if container.get("restartPolicy") == "Always":
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


_RESOURCES_CACHE: dict[Hashable, PodResources] = {}
_RESOURCES_CACHE_LIMIT = 4096


def _frozen(value: Any) -> Hashable:
    """A hashable copy of a manifest value that keeps types apart (``1``, ``1.0``, ``True``
    and ``"1"`` stay distinct keys); raises TypeError for anything not plain data."""
    if isinstance(value, Mapping):
        return ("map", tuple(sorted(((str(k), type(k).__name__, _frozen(v)) for k, v in value.items()))))
    if isinstance(value, list):
        return ("list", tuple(_frozen(v) for v in value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return (type(value).__name__, value)
    raise TypeError(type(value).__name__)


def _resources_key(spec: Mapping[str, Any], where: str) -> Hashable | None:
    """Everything :func:`pod_resources` reads from the spec, or None when the shape is not
    plain enough to key (then the pod is parsed uncached and any error raised as usual)."""
    parts: list[Hashable] = [where]
    try:
        for key in ("containers", "initContainers"):
            raw = spec.get(key)
            if raw is not None and not isinstance(raw, list):
                return None
            for container in raw or ():
                if container is not None and not isinstance(container, Mapping):
                    return None
                container = container or {}
                parts.append((key, _frozen(container.get("resources")),
                              _frozen(container.get("restartPolicy"))))
        parts.append(_frozen(spec.get("overhead")))
    except TypeError:
        return None
    return tuple(parts)


def pod_resources(spec: Mapping[str, Any], where: str = "spec") -> PodResources:
    """Requests in scheduler units (``calculateResource``) plus the non-zero cpu/memory pair.

    Only cpu, memory, ephemeral-storage, pods and scalar resources are kept (``Resource.Add``);
    zero-valued entries are dropped because they never constrain a node.  Pods of one
    template share their container resources, so results are cached by those fields
    (exact quantity parsing dominated pod parsing); errors are never cached.
    """
    key = _resources_key(spec, where)
    if key is None:
        return _pod_resources(spec, where)
    cached = _RESOURCES_CACHE.get(key)
    if cached is None:
        cached = _pod_resources(spec, where)
        if len(_RESOURCES_CACHE) >= _RESOURCES_CACHE_LIMIT:
            _RESOURCES_CACHE.clear()
        _RESOURCES_CACHE[key] = cached
    # A fresh requests dict per pod: no pod can change another's through a shared map.
    return PodResources(dict(cached.requests), cached.non_zero_milli_cpu, cached.non_zero_memory)


def _pod_resources(spec: Mapping[str, Any], where: str) -> PodResources:
    exact = pod_requests_exact(spec, where=where)
    requests: dict[str, int] = {}
    for name, value in exact.items():
        if name in (CPU, MEMORY, EPHEMERAL_STORAGE, PODS) or is_scalar_resource_name(name):
            units = to_scheduler_units(name, value, f"{where} requests")
            if units:
                requests[name] = units
    non_zero = pod_requests_exact(spec, _NON_MISSING, where=where)
    return PodResources(
        requests=requests,
        non_zero_milli_cpu=to_scheduler_units(CPU, non_zero.get(CPU, Fraction(0)), f"{where} requests"),
        non_zero_memory=to_scheduler_units(MEMORY, non_zero.get(MEMORY, Fraction(0)), f"{where} requests"),
    )


_ALLOCATABLE_CACHE: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, int]] = {}


def node_allocatable(status: Mapping[str, Any], where: str = "status") -> dict[str, int]:
    """A node's allocatable in scheduler units (capacity when allocatable is absent).

    Nodes of one group share their amounts, and the autoscaler's what-if cluster parses every
    node again each loop: the answer is kept per distinct list of plain string amounts (a
    fresh dict each time; errors are never kept).
    """
    raw = status.get("allocatable")
    if raw is None:
        raw = status.get("capacity")
        where = f"{where}.capacity"
    else:
        where = f"{where}.allocatable"
    key = None
    if isinstance(raw, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        key = (where, tuple(sorted(raw.items())))
        cached = _ALLOCATABLE_CACHE.get(key)
        if cached is not None:
            return dict(cached)
    out: dict[str, int] = {}
    for name, value in _resource_list(raw, where).items():
        if name in (CPU, MEMORY, EPHEMERAL_STORAGE, PODS) or is_scalar_resource_name(name):
            out[name] = to_scheduler_units(name, value, f"{where}.{name}")
    if key is not None:
        if len(_ALLOCATABLE_CACHE) >= 4096:
            _ALLOCATABLE_CACHE.clear()
        _ALLOCATABLE_CACHE[key] = dict(out)
    return out
