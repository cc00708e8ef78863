"""Job controller: run pods until ``completions`` succeed, or give up after ``backoffLimit``.

Upstream: kubernetes/kubernetes pkg/controller/job/job_controller.go (``syncJob``,
``manageJob``) and pkg/apis/batch/v1/defaults.go.

* Defaults: both ``completions`` and ``parallelism`` unset -> both 1; ``parallelism`` unset ->
  1; ``backoffLimit`` 6. With ``completions`` unset (work-queue mode) the Job completes once
  a pod succeeded and none is active, and no pod is started after the first success.
* Wanted active pods = ``min(parallelism, completions - succeeded)``; extra active pods are
  deleted, missing ones created. Pods succeed after their traced run time (lifecycle).
* A pod deleted while active (preempted, evicted) counts as failed (pod tracking with
  finalizers). ``failed > backoffLimit`` fails the Job and deletes its active pods.
  Replacement pods after failures wait ``10 s * 2^(failures-1)`` capped at 6 min
  (``DefaultJobPodFailureBackOff`` / ``MaxJobPodFailureBackOff``).
* ``activeDeadlineSeconds`` fails the Job when exceeded; ``ttlSecondsAfterFinished`` deletes
  a finished Job (and its pods) after that many seconds (ttlafterfinished controller).
* Deviation: ``completionMode: Indexed`` is run like NonIndexed (no per-index tracking).
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_simkube.engine.controllers.base import Controller, pod_manifest
from pytest_simkube.engine.objects import KubeObject, Pod

DEFAULT_BACKOFF_LIMIT = 6
POD_FAILURE_BACKOFF = 10.0
MAX_POD_FAILURE_BACKOFF = 360.0


@dataclass
class JobStatus:
    started_at: float
    succeeded: int = 0
    failed: int = 0
    condition: str = ""
    """``""`` while running, then ``Complete`` or ``Failed``."""
    finished_at: float | None = None
    not_before: float = 0.0


class JobController(Controller):
    kind = "Job"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.status: dict[str, JobStatus] = {}
        self._counted: set[str] = set()
        self._active_reason: dict[str, str] = {}

    def job_status(self, key: str) -> JobStatus | None:
        return self.status.get(key)

    def pod_changed(self, pod: Pod, disrupted: bool = False) -> None:
        key = f"{pod.namespace}/{pod.owner_name}"
        status = self.status.get(key)
        if status is not None and pod.key not in self._counted:
            if pod.phase == "Succeeded":
                status.succeeded += 1
                self._counted.add(pod.key)
            elif pod.phase == "Failed" or disrupted:
                status.failed += 1
                self._counted.add(pod.key)
                delay = min(POD_FAILURE_BACKOFF * 2 ** (status.failed - 1), MAX_POD_FAILURE_BACKOFF)
                status.not_before = self.ctx.sim.now + delay
        self.enqueue(key)

    def sync(self, key: str, obj: KubeObject) -> None:
        ctx = self.ctx
        spec = obj.get("spec") or {}
        status = self.status.get(key)
        if status is None:
            status = self.status[key] = JobStatus(started_at=ctx.sim.now)
            deadline = spec.get("activeDeadlineSeconds")
            if deadline is not None:
                ctx.sim.after(float(deadline), self._deadline, key, status)
        if status.condition or spec.get("suspend"):
            if spec.get("suspend"):
                for pod in self._active(key):
                    ctx.pods.delete(pod, "scaled-down")
            return
        completions = spec.get("completions")
        parallelism = int(spec.get("parallelism", 1) if spec.get("parallelism") is not None else 1)
        if completions is None and spec.get("parallelism") is None:
            completions = 1
        backoff_limit = int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT))
        active = self._active(key)
        if status.failed > backoff_limit:
            self._finish(key, obj, status, "Failed", active)
            return
        if completions is not None:
            completions = int(completions)
            if status.succeeded >= completions:
                self._finish(key, obj, status, "Complete", active)
                return
            wanted = min(parallelism, completions - status.succeeded)
        else:
            if status.succeeded > 0 and not active:
                self._finish(key, obj, status, "Complete", active)
                return
            wanted = len(active) if status.succeeded > 0 else parallelism
        if len(active) > wanted:
            for pod in sorted(active, key=lambda p: (-p.created_at, p.key))[: len(active) - wanted]:
                ctx.pods.delete(pod, "scaled-down")
        elif len(active) < wanted:
            if ctx.sim.now < status.not_before:
                self.enqueue(key, delay=status.not_before - ctx.sim.now)
                return
            template = spec.get("template") or {}
            ns = obj["metadata"].get("namespace", "default")
            name = obj["metadata"]["name"]
            for _ in range(wanted - len(active)):
                manifest = pod_manifest(template, ns, self.new_pod_name(obj), obj, self.kind,
                                        {"batch.kubernetes.io/job-name": name, "job-name": name})
                ctx.pods.create(manifest, owner_kind=self.kind, owner_name=name)

    def _active(self, key: str) -> list[Pod]:
        return [p for p in self.ctx.store.pods_of(self.kind, key) if p.active]

    def _deadline(self, key: str, status: JobStatus) -> None:
        obj = self.ctx.store.get(self.kind, key)
        if obj is not None and self.status.get(key) is status and not status.condition:
            self._finish(key, obj, status, "Failed", self._active(key))

    def _finish(self, key: str, obj: KubeObject, status: JobStatus, condition: str,
                active: list[Pod]) -> None:
        ctx = self.ctx
        for pod in active:
            ctx.pods.delete(pod, "scaled-down")
        status.condition = condition
        status.finished_at = ctx.sim.now
        ttl = (obj.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is not None:
            ctx.sim.after(float(ttl), self._expire, key, status)
        cron = ctx.controllers.get("CronJob")
        if cron is not None:
            cron.job_finished(obj)

    def _expire(self, key: str, status: JobStatus) -> None:
        if self.status.get(key) is status:
            self.delete_job(key, "completed")

    def delete_job(self, key: str, active_reason: str) -> None:
        """Delete a Job; its finished pods go as ``completed``, active ones as ``active_reason``."""
        self._active_reason[key] = active_reason
        self.ctx.store.remove(self.kind, key)

    def on_deleted(self, key: str, obj: KubeObject | None) -> None:
        reason = self._active_reason.pop(key, "trace")
        for pod in self.ctx.store.pods_of(self.kind, key):
            self.ctx.pods.delete(pod, "completed" if not pod.active else reason)
        self.status.pop(key, None)
