"""Kubernetes objects shaped the way SimKube's tracer stores them.

A traced object is the API server's view after defaulting, sanitised by the tracer
(FORMAT.md §2.5): ``apiVersion``, ``kind``, ``metadata`` with ``annotations: {}`` always
present and no uid/resourceVersion/timestamps, then ``spec`` with every nested map in
sorted key order (serde_json's BTreeMap), and no ``status`` (the driver drops it anyway).
The defaults filled in are the API server's (kubernetes ``pkg/apis/core/v1/defaults.go``,
``pkg/apis/apps/v1/defaults.go``, ``pkg/apis/batch/v1/defaults.go``) so a synthesised
object looks like one exported from a real cluster (compare ``mixed-kinds.sktrace``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pytest_simkube.trace.synth.spec import PodTemplate, PriorityClassSpec, ResourceShape
from pytest_simkube.trace.synth.values import render_tree

KubeObject = dict[str, Any]

# DefaultTolerationSeconds admission plugin: every pod tolerates these for 300 s.
_DEFAULT_POD_TOLERATIONS = tuple(
    {"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300}
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
)


def metadata(name: str, namespace: str | None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Sanitised ObjectMeta: k8s-openapi field order is alphabetical."""
    meta: dict[str, Any] = {"annotations": {}}
    if labels:
        meta["labels"] = dict(sorted(labels.items()))
    meta["name"] = name
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def skeleton(api_version: str, kind: str, name: str, namespace: str | None) -> KubeObject:
    """What SimKube ≥ 2.4 records for a deletion (``build_deletable``): identity only."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def _image_pull_policy(image: str) -> str:
    """core/v1 defaults: Always for ``:latest`` or untagged images, IfNotPresent otherwise."""
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def container(template: PodTemplate, shape: ResourceShape, *,
              default_requests_from_limits: bool) -> dict[str, Any]:
    """The single container of a workload's pods.

    ``default_requests_from_limits``: for Pod objects the API server copies a limit into a
    missing request (core/v1 ``SetDefaults_Pod``); pod *templates* are stored as written.
    """
    requests = dict(shape.requests)
    if default_requests_from_limits:
        requests = {**shape.limits, **requests}
    resources: dict[str, Any] = {}
    if shape.limits:
        resources["limits"] = dict(sorted(shape.limits.items()))
    if requests:
        resources["requests"] = dict(sorted(requests.items()))
    out: dict[str, Any] = {}
    if template.command is not None:
        out["command"] = list(template.command)
    out["image"] = template.image
    out["imagePullPolicy"] = _image_pull_policy(template.image)
    out["name"] = template.container_name
    out["resources"] = resources
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    return out


def pod_spec(
    template: PodTemplate,
    shape: ResourceShape,
    values: dict[str, Any],
    *,
    restart_policy: str,
    admitted_priority: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """A defaulted pod spec, keys sorted; ``values`` fills the template's placeholders.

    ``admitted_priority`` (value, preemptionPolicy) marks a Pod object that went through
    admission: the Priority plugin resolves ``priority``/``preemptionPolicy`` and
    DefaultTolerationSeconds appends the not-ready/unreachable tolerations. Templates inside
    Deployments and Jobs carry neither.
    """
    admitted = admitted_priority is not None
    spec: dict[str, Any] = {}
    if template.affinity:
        spec["affinity"] = render_tree(template.affinity, values)
    spec["containers"] = [container(template, shape, default_requests_from_limits=admitted)]
    spec["dnsPolicy"] = "ClusterFirst"
    if admitted:
        spec["enableServiceLinks"] = True
    if template.node_selector:
        spec["nodeSelector"] = render_tree(template.node_selector, values)
    if admitted:
        spec["preemptionPolicy"] = admitted_priority[1]
        spec["priority"] = admitted_priority[0]
    if template.priority_class_name:
        spec["priorityClassName"] = template.priority_class_name
    spec["restartPolicy"] = restart_policy
    spec["schedulerName"] = "default-scheduler"
    spec["securityContext"] = {}
    spec["terminationGracePeriodSeconds"] = 30
    tolerations = [render_tree(t, values) for t in template.tolerations]
    if admitted:
        present = {(t.get("key"), t.get("effect")) for t in tolerations}
        tolerations += [dict(t) for t in _DEFAULT_POD_TOLERATIONS if (t["key"], t["effect"]) not in present]
    if tolerations:
        spec["tolerations"] = tolerations
    if template.topology_spread_constraints:
        spec["topologySpreadConstraints"] = [
            render_tree(constraint, values) for constraint in template.topology_spread_constraints]
    return spec


def pod_template(labels: dict[str, str], spec: dict[str, Any],
                 restarted_at: int | None = None) -> dict[str, Any]:
    """A PodTemplateSpec; ``restarted_at`` adds the annotation ``kubectl rollout restart`` sets."""
    meta: dict[str, Any] = {}
    if restarted_at is not None:
        stamp = dt.datetime.fromtimestamp(restarted_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta["annotations"] = {"kubectl.kubernetes.io/restartedAt": stamp}
    meta["labels"] = dict(sorted(labels.items()))
    return {"metadata": meta, "spec": spec}


def deployment(name: str, namespace: str, labels: dict[str, str], replicas: int,
               template: dict[str, Any]) -> KubeObject:
    """apps/v1 Deployment with the API defaults (RollingUpdate 25%/25%, history 10, deadline 600 s)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, namespace, labels),
        "spec": deployment_spec(labels, replicas, template),
    }


def deployment_spec(labels: dict[str, str], replicas: int, template: dict[str, Any]) -> dict[str, Any]:
    return {
        "progressDeadlineSeconds": 600,
        "replicas": replicas,
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {"app": labels["app"]}},
        "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
        "template": template,
    }


def job_spec(parallelism: int, completions: int, template: dict[str, Any],
             ttl_after_finished: int | None) -> dict[str, Any]:
    """batch/v1 JobSpec with API defaults (backoffLimit 6, NonIndexed, not suspended).

    The selector and ``controller-uid`` labels the API server generates are left out: they
    embed the original object's uid, and re-applying them elsewhere is rejected.
    """
    spec: dict[str, Any] = {
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "completions": completions,
        "parallelism": parallelism,
        "podReplacementPolicy": "TerminatingOrFailed",
        "suspend": False,
        "template": template,
    }
    if ttl_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = ttl_after_finished
    return spec


def job(name: str, namespace: str, labels: dict[str, str], spec: dict[str, Any]) -> KubeObject:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(name, namespace, labels),
            "spec": spec}


def cronjob(name: str, namespace: str, labels: dict[str, str], schedule: str, concurrency_policy: str,
            parallelism: int, completions: int, template: dict[str, Any]) -> KubeObject:
    """batch/v1 CronJob; its jobTemplate is stored as written (no Job defaults), as in ``cronjob.sktrace``."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(name, namespace, labels),
        "spec": {
            "concurrencyPolicy": concurrency_policy,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "metadata": {},
                "spec": {"completions": completions, "parallelism": parallelism, "template": template},
            },
            "schedule": schedule,
            "successfulJobsHistoryLimit": 3,
            "suspend": False,
        },
    }


def pod(name: str, namespace: str, labels: dict[str, str], spec: dict[str, Any]) -> KubeObject:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(name, namespace, labels), "spec": spec}


def priority_class(spec: PriorityClassSpec) -> KubeObject:
    """scheduling.k8s.io/v1 PriorityClass: cluster-scoped, no ``spec`` (fields at top level, sorted)."""
    obj: KubeObject = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": metadata(spec.name, None),
    }
    if spec.description is not None:
        obj["description"] = spec.description
    if spec.global_default:
        obj["globalDefault"] = True
    obj["preemptionPolicy"] = spec.preemption_policy
    obj["value"] = spec.value
    return obj
