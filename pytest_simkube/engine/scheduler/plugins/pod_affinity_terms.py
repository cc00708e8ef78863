"""A pod's inter-pod affinity terms, parsed once per pod.

Upstream: pkg/scheduler/framework/types.go (``AffinityTerm``, ``WeightedAffinityTerm``,
``newAffinityTerm``, ``getNamespacesFromPodAffinityTerm``, ``AffinityTerm.Matches``).

A term selects pods by namespace *and* labels.  The namespaces are the term's ``namespaces``
list, or the owning pod's own namespace when the list is empty and ``namespaceSelector`` is
absent; a ``namespaceSelector`` adds every namespace whose labels it matches (``{}`` matches
all namespaces, an absent selector none).  The parsed terms are cached on the PodInfo
(``extra``) so existing pods are parsed once, not once per cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.kube.labels import NOTHING, LabelSelectorError, Selector, label_selector_as_selector
from pytest_simkube.kube.pods import PodInfo

NamespaceLabels = Callable[[str], Mapping[str, str]]
"""Namespace name -> its labels (``Handle.namespace_labels``)."""

_CACHE_KEY = "InterPodAffinity/terms"


class AffinityTermError(ValueError):
    """A malformed term; ``where`` is the path inside the pod (``spec.affinity...``)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True, weakref_slot=True)
class AffinityTerm:
    """``framework.AffinityTerm``: which pods a term selects, and over which topology key."""

    namespaces: frozenset[str]
    selector: Selector
    topology_key: str
    namespace_selector: Selector
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        # Terms key the per-node carrier counters: hash once, not on every pod add.
        object.__setattr__(self, "_hash", hash((self.namespaces, self.selector, self.topology_key,
                                                self.namespace_selector)))

    def __hash__(self) -> int:
        return self._hash

    def matches(self, pod: PodInfo, namespace_labels: NamespaceLabels) -> bool:
        """``AffinityTerm.Matches``: namespace in the list or selected, then labels selected."""
        if pod.namespace in self.namespaces or (
                not self.namespace_selector.matches_nothing
                and self.namespace_selector.matches(namespace_labels(pod.namespace))):
            return self.selector.matches(pod.labels)
        return False


@dataclass(frozen=True, slots=True)
class WeightedAffinityTerm:
    """``framework.WeightedAffinityTerm``: a preferred term and its weight (1..100)."""

    term: AffinityTerm
    weight: int


@dataclass(frozen=True, slots=True)
class PodAffinityTerms:
    """The four term lists of ``framework.PodInfo``."""

    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedAffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedAffinityTerm, ...] = ()

    @property
    def has_any(self) -> bool:
        """Upstream ``PodsWithAffinity`` membership: any pod (anti-)affinity term at all."""
        return bool(self.required_affinity or self.required_anti_affinity
                    or self.preferred_affinity or self.preferred_anti_affinity)


EMPTY_TERMS = PodAffinityTerms()


def _term(pod_namespace: str, raw: Any, where: str) -> AffinityTerm:
    if not isinstance(raw, Mapping):
        raise AffinityTermError(where, "a pod affinity term must be a map")
    try:
        selector = label_selector_as_selector(raw.get("labelSelector"))
    except LabelSelectorError as exc:
        raise AffinityTermError(_join(where, "labelSelector", exc.subpath), exc.problem) from None
    names = raw.get("namespaces") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AffinityTermError(f"{where}.namespaces", "must be a list of namespace names")
    raw_ns_selector = raw.get("namespaceSelector")
    try:
        ns_selector = label_selector_as_selector(raw_ns_selector)
    except LabelSelectorError as exc:
        raise AffinityTermError(_join(where, "namespaceSelector", exc.subpath), exc.problem) from None
    namespaces = frozenset(names) if names or raw_ns_selector is not None else frozenset((pod_namespace,))
    topology_key = raw.get("topologyKey")
    if not isinstance(topology_key, str) or not topology_key:
        raise AffinityTermError(f"{where}.topologyKey", "can not be empty")
    return AffinityTerm(namespaces, selector, topology_key, ns_selector)


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def _terms(pod_namespace: str, raw: Any, where: str) -> tuple[AffinityTerm, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise AffinityTermError(where, "must be a list of pod affinity terms")
    return tuple(_term(pod_namespace, item, f"{where}[{i}]") for i, item in enumerate(raw))


def _weighted(pod_namespace: str, raw: Any, where: str) -> tuple[WeightedAffinityTerm, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise AffinityTermError(where, "must be a list of weighted pod affinity terms")
    out = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise AffinityTermError(here, "a weighted pod affinity term must be a map")
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            raise AffinityTermError(f"{here}.weight",
                                    f"must be an integer in the range 1-100, got {weight!r}")
        out.append(WeightedAffinityTerm(_term(pod_namespace, item.get("podAffinityTerm"),
                                              f"{here}.podAffinityTerm"), weight))
    return tuple(out)


def parse_affinity_terms(namespace: str, affinity: Mapping[str, Any] | None) -> PodAffinityTerms:
    """Parse ``spec.affinity``'s podAffinity and podAntiAffinity (``framework.NewPodInfo``)."""
    if not affinity:
        return EMPTY_TERMS
    base = "spec.affinity"
    pod_affinity = affinity.get("podAffinity") or {}
    anti_affinity = affinity.get("podAntiAffinity") or {}
    for name, value in (("podAffinity", pod_affinity), ("podAntiAffinity", anti_affinity)):
        if not isinstance(value, Mapping):
            raise AffinityTermError(f"{base}.{name}", "must be a map")
    if not pod_affinity and not anti_affinity:
        return EMPTY_TERMS
    req = "requiredDuringSchedulingIgnoredDuringExecution"
    pref = "preferredDuringSchedulingIgnoredDuringExecution"
    return PodAffinityTerms(
        required_affinity=_terms(namespace, pod_affinity.get(req), f"{base}.podAffinity.{req}"),
        required_anti_affinity=_terms(namespace, anti_affinity.get(req), f"{base}.podAntiAffinity.{req}"),
        preferred_affinity=_weighted(namespace, pod_affinity.get(pref), f"{base}.podAffinity.{pref}"),
        preferred_anti_affinity=_weighted(namespace, anti_affinity.get(pref),
                                          f"{base}.podAntiAffinity.{pref}"),
    )


def affinity_terms(pod: PodInfo) -> PodAffinityTerms:
    """The pod's parsed terms, cached on the PodInfo; raises :class:`AffinityTermError`."""
    cached = pod.extra.get(_CACHE_KEY)
    if cached is None:
        cached = parse_affinity_terms(pod.namespace, pod.affinity)
        pod.extra[_CACHE_KEY] = cached
    return cached


def affinity_terms_or_empty(pod: PodInfo) -> PodAffinityTerms:
    """Terms of an *existing* pod; a malformed one counts as having none (upstream skips it)."""
    try:
        return affinity_terms(pod)
    except AffinityTermError:
        pod.extra[_CACHE_KEY] = EMPTY_TERMS
        return EMPTY_TERMS


def pod_matches_all_terms(terms: tuple[AffinityTerm, ...], pod: PodInfo,
                          namespace_labels: NamespaceLabels) -> bool:
    """``podMatchesAllAffinityTerms``: false for no terms, else every term must match."""
    if not terms:
        return False
    return all(t.matches(pod, namespace_labels) for t in terms)


__all__ = [
    "EMPTY_TERMS",
    "NOTHING",
    "AffinityTerm",
    "AffinityTermError",
    "PodAffinityTerms",
    "WeightedAffinityTerm",
    "affinity_terms",
    "affinity_terms_or_empty",
    "parse_affinity_terms",
    "pod_matches_all_terms",
]
