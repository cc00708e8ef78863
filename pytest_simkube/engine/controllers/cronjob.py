"""CronJob controller: create Jobs on a cron schedule in virtual time.

Upstream: kubernetes/kubernetes pkg/controller/cronjob/cronjob_controllerv2.go
(``syncCronJob``) and utils.go (``mostRecentScheduleTime``, ``nextScheduleTime``,
``getJobName``). Virtual time 0 is the trace's first event, so schedules fire at the same
wall-clock minutes as in the recorded cluster.

* Each sync finds the most recent unmet schedule time after ``lastScheduleTime`` (or the
  CronJob's creation), bounded below by ``now - startingDeadlineSeconds`` when set; a time
  older than the deadline is skipped ("missed starting window").
* ``concurrencyPolicy``: ``Allow`` (default) starts regardless; ``Forbid`` skips while a Job is
  active *without* advancing ``lastScheduleTime`` (so the missed run starts when the active
  Job finishes, if still within any deadline); ``Replace`` deletes active Jobs first.
* Jobs are named ``<cronjob>-<scheduled time in minutes>``; ``suspend`` stops new Jobs.
* History: finished Jobs beyond ``successfulJobsHistoryLimit`` (3) / ``failedJobsHistoryLimit``
  (1), oldest first, are deleted together with their pods.
* Replay rule: no Job is started after the replay window ends (the trace is over).
"""

from __future__ import annotations

from pytest_simkube.engine.controllers.base import Controller, controller_ref
from pytest_simkube.engine.controllers.cron import CronError, CronSchedule, parse_schedule
from pytest_simkube.engine.events import Event
from pytest_simkube.engine.objects import KubeObject


class CronJobController(Controller):
    kind = "CronJob"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.last_schedule: dict[str, float] = {}
        self.created_at: dict[str, float] = {}
        self._schedules: dict[str, tuple[str, CronSchedule | None]] = {}
        self.errors: dict[str, str] = {}
        self._timers: dict[str, Event] = {}

    def _schedule(self, key: str, spec: KubeObject) -> CronSchedule | None:
        text = f"{spec.get('schedule', '')}|{spec.get('timeZone') or ''}"
        cached = self._schedules.get(key)
        if cached is not None and cached[0] == text:
            return cached[1]
        try:
            schedule = parse_schedule(str(spec.get("schedule", "")), spec.get("timeZone"))
        except CronError as exc:
            self.errors[key] = str(exc)
            schedule = None
        self._schedules[key] = (text, schedule)
        return schedule

    def _jobs(self, key: str) -> list[KubeObject]:
        return self.ctx.store.children("Job", self.kind, key)

    def job_finished(self, job: KubeObject) -> None:
        for ref in job["metadata"].get("ownerReferences") or ():
            if ref.get("kind") == self.kind and ref.get("controller"):
                self.enqueue(f"{job['metadata'].get('namespace', 'default')}/{ref['name']}")

    def sync(self, key: str, obj: KubeObject) -> None:
        ctx = self.ctx
        spec = obj.get("spec") or {}
        self.created_at.setdefault(key, ctx.sim.now)
        jobs_ctl = ctx.controllers["Job"]
        jobs = self._jobs(key)
        active = [j for j in jobs if not (s := jobs_ctl.job_status(self.key_of(j))) or not s.condition]
        self._clean_history(spec, jobs)
        schedule = self._schedule(key, spec)
        if schedule is None or spec.get("suspend"):
            return
        now_epoch = ctx.epoch + ctx.sim.now
        earliest = ctx.epoch + self.last_schedule.get(key, self.created_at[key])
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now_epoch - float(deadline))
        scheduled = None
        t = schedule.next_after(earliest)
        while t is not None and t <= now_epoch:
            scheduled = t
            t = schedule.next_after(t)
        ctx.sim.cancel(self._timers.pop(key, None))
        if t is not None and ctx.epoch + ctx.window_end > t:
            self._timers[key] = ctx.sim.at(t - ctx.epoch, self.enqueue, key, background=True)
        if scheduled is None or ctx.sim.now > ctx.window_end:
            return
        if deadline is not None and scheduled + float(deadline) < now_epoch:
            return
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            return
        if policy == "Replace":
            for job in active:
                jobs_ctl.delete_job(self.key_of(job), "scaled-down")
        name = f"{obj['metadata']['name']}-{int(scheduled // 60)}"
        ns = obj["metadata"].get("namespace", "default")
        self.last_schedule[key] = scheduled - ctx.epoch
        if ctx.store.get("Job", f"{ns}/{name}") is not None:
            return
        template = spec.get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        job = {
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": ns, "labels": dict(tmeta.get("labels") or {}),
                         "annotations": dict(tmeta.get("annotations") or {}),
                         "ownerReferences": [controller_ref(obj, self.kind)]},
            "spec": dict(template.get("spec") or {}),
        }
        ctx.store.put("Job", job)

    def _clean_history(self, spec: KubeObject, jobs: list[KubeObject]) -> None:
        jobs_ctl = self.ctx.controllers["Job"]
        limits = {"Complete": int(spec.get("successfulJobsHistoryLimit", 3)),
                  "Failed": int(spec.get("failedJobsHistoryLimit", 1))}
        for condition, limit in limits.items():
            finished = []
            for job in jobs:
                status = jobs_ctl.job_status(self.key_of(job))
                if status is not None and status.condition == condition:
                    finished.append((status.finished_at or 0.0, job["metadata"]["name"], job))
            finished.sort(key=lambda item: (item[0], item[1]))
            for _, _, job in finished[: max(0, len(finished) - limit)]:
                jobs_ctl.delete_job(self.key_of(job), "completed")

    def on_deleted(self, key: str, obj: KubeObject | None) -> None:
        jobs_ctl = self.ctx.controllers["Job"]
        for job in self._jobs(key):
            jobs_ctl.delete_job(self.key_of(job), "trace")
        self.last_schedule.pop(key, None)
        self.created_at.pop(key, None)
        self.ctx.sim.cancel(self._timers.pop(key, None))
