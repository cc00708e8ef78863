"""Small builders for Node and Pod manifests used by the scheduler tests."""

from __future__ import annotations

from typing import Any


def node(
    name: str,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: int = 110,
    labels: dict | None = None,
    taints: list | None = None,
    unschedulable: bool = False,
    images: list | None = None,
    extra: dict | None = None,
) -> dict[str, Any]:
    allocatable = {"cpu": cpu, "memory": memory, "pods": str(pods), **(extra or {})}
    out: dict[str, Any] = {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {},
        "status": {"allocatable": allocatable},
    }
    if taints:
        out["spec"]["taints"] = taints
    if unschedulable:
        out["spec"]["unschedulable"] = True
    if images:
        out["status"]["images"] = images
    return out


def pod(
    name: str,
    cpu: str | None = "100m",
    memory: str | None = "128Mi",
    node_name: str | None = None,
    namespace: str = "default",
    **spec: Any,
) -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict[str, Any] = {"name": "c", "image": spec.pop("image", "app:1"), "resources": {}}
    if requests:
        container["resources"]["requests"] = requests
    if "ports" in spec:
        container["ports"] = spec.pop("ports")
    body: dict[str, Any] = {"containers": [container], **spec}
    if node_name:
        body["nodeName"] = node_name
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": spec.pop("labels", {})},
        "spec": body,
    }
