"""What every workload controller shares: a delayed, de-duplicated work queue keyed by
object, pod construction from a template, owner references and cascading deletion.

Like kube-controller-manager, a controller reacts to a change after a short delay
(``EngineOptions.controller_delay``: informer + workqueue latency) and a burst of changes
to one object causes one sync (the workqueue de-duplicates keys).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.objects import KubeObject, Pod
from pytest_simkube.engine.pods import NAME_ALPHABET
from pytest_simkube.engine.store import object_key

CONTROLLER_API_VERSION = {
    "ReplicaSet": "apps/v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
    "Job": "batch/v1", "CronJob": "batch/v1",
}


_HASH_CACHE: dict[int, tuple[KubeObject, int, str]] = {}


def template_hash(template: KubeObject, collision_count: int = 0) -> str:
    """Cached by object identity: controllers re-hash the same template on every sync."""
    cached = _HASH_CACHE.get(id(template))
    if cached is not None and cached[0] is template and cached[1] == collision_count:
        return cached[2]
    value = _template_hash(template, collision_count)
    if len(_HASH_CACHE) > 100_000:
        _HASH_CACHE.clear()
    _HASH_CACHE[id(template)] = (template, collision_count, value)
    return value


def _template_hash(template: KubeObject, collision_count: int = 0) -> str:
    """A pod-template hash in the spirit of ``controller.ComputeHash``
    (pkg/controller/controller_utils.go): a 32-bit hash, then ``rand.SafeEncodeString``.
    Upstream hashes Go's ``spew`` dump with FNV-32a; here canonical JSON with CRC-32 (in C),
    so names differ from a real cluster's but are just as stable."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":"), default=str).encode()
    if collision_count:
        data += str(collision_count).encode()
    digits = str(zlib.crc32(data))
    return "".join(NAME_ALPHABET[ord(c) % len(NAME_ALPHABET)] for c in digits)


def controller_ref(obj: KubeObject, kind: str) -> KubeObject:
    meta = obj["metadata"]
    return {"apiVersion": CONTROLLER_API_VERSION.get(kind, "v1"), "kind": kind, "name": meta["name"],
            "controller": True, "blockOwnerDeletion": True}


def pod_manifest(template: KubeObject, namespace: str, name: str, owner: KubeObject, owner_kind: str,
                 extra_labels: dict[str, str] | None = None) -> KubeObject:
    """A v1.Pod from a pod template (metadata + spec), owned by ``owner``.

    The spec is copied one level deep: the engine only ever sets top-level spec fields."""
    tmeta = template.get("metadata") or {}
    labels = dict(tmeta.get("labels") or {})
    if extra_labels:
        labels.update(extra_labels)
    meta: KubeObject = {"name": name, "namespace": namespace, "labels": labels,
                        "ownerReferences": [controller_ref(owner, owner_kind)]}
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": dict(template.get("spec") or {})}


def int_or_percent(value: Any, total: int, round_up: bool, default: str) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``."""
    if value is None:
        value = default
    if isinstance(value, str) and value.endswith("%"):
        scaled = int(value[:-1]) * total / 100
        return int(-(-scaled // 1)) if round_up else int(scaled // 1)
    return int(value)


class Controller:
    """Base: subclasses set ``kind`` and implement :meth:`sync`."""

    kind = ""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._queued: set[str] = set()
        ctx.store.watch(self.kind, self._on_object)

    def _on_object(self, verb: str, key: str, obj: KubeObject | None) -> None:
        if verb == "deleted":
            self.on_deleted(key, obj)
        else:
            self.enqueue(key)

    def enqueue(self, key: str, delay: float | None = None) -> None:
        if key in self._queued:
            return
        self._queued.add(key)
        self.ctx.sim.after(self.ctx.options.controller_delay if delay is None else delay, self._run, key)

    def _run(self, key: str) -> None:
        self._queued.discard(key)
        obj = self.ctx.store.get(self.kind, key)
        if obj is not None:
            self.sync(key, obj)

    def sync(self, key: str, obj: KubeObject) -> None:
        raise NotImplementedError

    def pod_changed(self, pod: Pod, disrupted: bool = False) -> None:
        self.enqueue(f"{pod.namespace}/{pod.owner_name}")

    def on_deleted(self, key: str, obj: KubeObject | None) -> None:
        """The object is gone: the garbage collector removes what it owned (foreground)."""
        self.delete_owned_pods(key, "trace")

    def delete_owned_pods(self, key: str, reason: str) -> None:
        for pod in self.ctx.store.pods_of(self.kind, key):
            self.ctx.pods.delete(pod, reason)

    def owned_objects(self, child_kind: str, obj: KubeObject) -> list[KubeObject]:
        meta = obj["metadata"]
        return self.ctx.store.children(child_kind, self.kind, f"{meta.get('namespace', '')}/{meta['name']}")

    def new_pod_name(self, obj: KubeObject) -> str:
        meta = obj["metadata"]
        return self.ctx.pods.generate_name(meta.get("namespace", "default"), f"{meta['name']}-")

    @staticmethod
    def key_of(obj: KubeObject) -> str:
        return object_key(obj)
