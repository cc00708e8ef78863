"""Pod equivalence classes: pods that differ only in their identity.

Replicas of one ReplicaSet, pods of one Job, the pods a CronJob creates every ten minutes:
their manifests differ in name, uid and timestamps, nothing a scheduling plugin reads.  An
answer that depends only on what the plugins read can therefore be computed once per class
(a failed cycle's verdict, the default spread constraints), as long as whatever else it
depends on has not changed.  The class id is computed once per PodInfo.
"""

from __future__ import annotations

import itertools
import json

from pytest_simkube.kube.pods import PodInfo

_KEY = "EquivalenceClass"
_MAX_CLASSES = 65_536
_CLASSES: dict[str, int] = {}
_NEXT_ID = itertools.count()
"""Ids are never reused, even after the table is emptied: a PodInfo keeps its id for life."""

_IDENTITY_FIELDS = ("name", "generateName", "uid", "resourceVersion", "creationTimestamp", "managedFields",
                    "selfLink")


def equivalence_class(pod: PodInfo) -> int:
    """An id shared by pods whose manifests differ only in identity fields (name, uid, times).

    Everything a plugin may read stays in: namespace, labels, annotations, owner
    references, deletion timestamp, the whole spec but ``nodeName``, the nominated node.
    """
    cached = pod.extra.get(_KEY)
    if cached is not None:
        return cached
    raw = pod.raw
    meta = {k: v for k, v in (raw.get("metadata") or {}).items() if k not in _IDENTITY_FIELDS}
    meta["namespace"] = pod.namespace
    spec = _spec_without_node_name(raw)
    status = raw.get("status") or {}
    text = json.dumps([meta, spec, status.get("nominatedNodeName")], sort_keys=True, default=str,
                      separators=(",", ":"))
    value = pod.extra[_KEY] = _class_id(text)
    return value


def _spec_without_node_name(raw: dict) -> dict:
    """The pod spec but ``nodeName`` (set by the binding, not by whoever made the pod)."""
    return {k: v for k, v in (raw.get("spec") or {}).items() if k != "nodeName"}


def _class_id(text: str) -> int:
    """The id of a canonical text, new ids from a counter that never repeats."""
    value = _CLASSES.get(text)
    if value is None:
        if len(_CLASSES) >= _MAX_CLASSES:
            _CLASSES.clear()
        value = _CLASSES[text] = next(_NEXT_ID)
    return value


_SPEC_KEY = "SpecClass"


def spec_class(pod: PodInfo) -> int:
    """An id shared by pods with the same spec (``nodeName`` aside), whatever their metadata.

    Node-local Filter plugins (resources, ports, node affinity and selectors, tolerations,
    ``spec.priority`` for nominated pods) read nothing else, so their verdict on a node is
    one per spec class: the pods of forty Jobs built from one template share it.
    """
    cached = pod.extra.get(_SPEC_KEY)
    if cached is not None:
        return cached
    spec = _spec_without_node_name(pod.raw)
    text = "spec:" + json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))
    value = pod.extra[_SPEC_KEY] = _class_id(text)
    return value
