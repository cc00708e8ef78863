"""One generator per workload kind: what the tracer would have recorded for it.

Each generator draws its randomness from the group's own ``numpy.random.Generator`` (so
editing one group of a spec leaves the others' output unchanged), builds the objects of
its ``count`` workloads once, and reports applied/deleted objects and pod lifecycles to
the :class:`TraceRecorder`. Sampling is vectorised over all workloads of a group; the
only per-pod Python work is turning the final arrays into lifecycle records.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_simkube.trace.synth import objects
from pytest_simkube.trace.synth.distributions import diurnal_factor, hour_of_day, sample_arrivals
from pytest_simkube.trace.synth.recorder import TraceRecorder
from pytest_simkube.trace.synth.spec import (
    SYSTEM_PRIORITY_CLASSES,
    DiurnalReplicas,
    FixedReplicas,
    SteppedReplicas,
    SynthSpec,
    WorkloadGroup,
)
from pytest_simkube.trace.synth.values import render_tree

DEPLOYMENT = "apps/v1.Deployment"
JOB = "batch/v1.Job"
CRONJOB = "batch/v1.CronJob"
POD = "v1.Pod"
PRIORITY_CLASS = "scheduling.k8s.io/v1.PriorityClass"


class GroupContext:
    """What every generator needs about one group: RNG, rendered names, labels and pod specs."""

    def __init__(self, spec: SynthSpec, group: WorkloadGroup, recorder: TraceRecorder) -> None:
        self.spec = spec
        self.group = group
        self.recorder = recorder
        self.rng = np.random.default_rng([spec.seed, group.index])
        self.names = [group.workload_name(i) for i in range(group.count)]
        self.namespaces = [group.namespace(i) for i in range(group.count)]
        self.labels = [
            render_tree(group.labels, {"i": i, "name": name, "namespace": ns})
            for i, (name, ns) in enumerate(zip(self.names, self.namespaces, strict=True))
        ]
        weights = np.asarray([shape.weight for shape in group.pod.shapes], dtype=np.float64)
        self.shape_index = self.rng.choice(len(weights), size=group.count, p=weights / weights.sum())

    def values(self, i: int) -> dict[str, Any]:
        return {"i": i, "name": self.names[i], "namespace": self.namespaces[i]}

    def pod_spec(self, i: int, restart_policy: str, admitted_priority: tuple[int, str] | None = None
                 ) -> dict[str, Any]:
        shape = self.group.pod.shapes[int(self.shape_index[i])]
        return objects.pod_spec(self.group.pod, shape, self.values(i), restart_policy=restart_policy,
                                admitted_priority=admitted_priority)

    def ts(self, offset: int | np.integer) -> int:
        return self.spec.start_ts + int(offset)

    def end_offset(self, deleted_at: int | None = None) -> int:
        """Offset where the group's activity stops: its deletion or the end of the trace."""
        return min(self.spec.duration, deleted_at) if deleted_at is not None else self.spec.duration


# -- Deployments --------------------------------------------------------------------------------


def generate_deployments(ctx: GroupContext) -> None:
    """Create each Deployment, re-apply it whenever its replicas or template change, delete it if asked.

    The tracer records an object only when its spec hash changes (sk-tracer ``store.rs``
    ``create_or_update_obj``), so only real changes of ``replicas`` become events. A rollout
    is what ``kubectl rollout restart`` does: it stamps the pod template with the
    ``kubectl.kubernetes.io/restartedAt`` annotation, so every pod is replaced. Pods of a
    Deployment run until scaled away and have no lifecycles, like SimKube's default config.
    """
    group, recorder = ctx.group, ctx.recorder
    recorder.track(DEPLOYMENT)
    created, stop = group.created_at, ctx.end_offset(group.deleted_at)
    times, replicas = _replica_timeline(ctx, created, stop)
    rollouts = _rollouts(ctx, created, stop)
    for i in range(group.count):
        name, namespace, labels = ctx.names[i], ctx.namespaces[i], ctx.labels[i]
        pod_spec = ctx.pod_spec(i, "Always")
        template = objects.pod_template(labels, pod_spec)
        key = f"{namespace}/{name}"
        row = [(t, 0, r) for t, r in zip(times[i].tolist(), replicas[i].tolist(), strict=True) if r >= 0]
        row += [(t, 1, 0) for t in rollouts.get(i, ())]
        current = -1
        for offset, is_rollout, count in sorted(row):
            if is_rollout:
                template = objects.pod_template(labels, pod_spec, restarted_at=ctx.ts(offset))
                recorder.stats.pods["Deployment"] += current  # every pod is replaced
            elif count == current:
                continue
            else:
                recorder.stats.pods["Deployment"] += max(count - max(current, 0), 0)
                current = count
            recorder.apply(ctx.ts(offset), DEPLOYMENT, key,
                           objects.deployment(name, namespace, labels, current, template))
        if group.deleted_at is not None:
            recorder.delete(ctx.ts(group.deleted_at),
                            objects.skeleton("apps/v1", "Deployment", name, namespace))
    recorder.stats.workloads["Deployment"] += group.count


def _rollouts(ctx: GroupContext, created: int, stop: int) -> dict[int, list[int]]:
    """Rollout offsets per workload, strictly inside its life (drawn after all other draws)."""
    group = ctx.group
    if group.rollouts is None:
        return {}
    begin, until = group.rollout_window
    window = (np.full(group.count, max(begin, created + 1), dtype=np.int64),
              np.full(group.count, min(ctx.end_offset(until), stop), dtype=np.int64))
    streams, offsets = sample_arrivals(group.rollouts, ctx.rng, group.count, window, ctx.spec.start_ts)
    result: dict[int, list[int]] = {}
    for stream, offset in zip(streams.tolist(), offsets.tolist(), strict=True):
        result.setdefault(stream, []).append(offset)
    return result


def _replica_timeline(ctx: GroupContext, created: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Per workload: sample offsets (row) and replica counts; the first column is the creation."""
    schedule, count, rng = ctx.group.replicas, ctx.group.count, ctx.rng
    if isinstance(schedule, FixedReplicas):
        return np.full((count, 1), created), np.full((count, 1), schedule.replicas)
    if isinstance(schedule, SteppedReplicas):
        offsets = np.asarray([t for t, _ in schedule.steps], dtype=np.int64)
        values = np.asarray([r for _, r in schedule.steps], dtype=np.int64)
        at_creation = values[np.searchsorted(offsets, created, side="right") - 1]
        later = (offsets > created) & (offsets < stop)
        row_t = np.concatenate(([created], offsets[later]))
        row_v = np.concatenate(([at_creation], values[later]))
        return np.tile(row_t, (count, 1)), np.tile(row_v, (count, 1))
    assert isinstance(schedule, DiurnalReplicas)
    step = schedule.resample
    # Each workload re-evaluates at its own phase within the interval, as independent
    # autoscalers would, so a thousand Deployments don't all change in the same second.
    phase = rng.integers(0, step, size=count)
    steps = np.arange(0, max((stop - created) // step, 0) + 1, dtype=np.int64)
    offsets = created + phase[:, None] + steps[None, :] * step
    offsets[:, 0] = created
    jitter = rng.uniform(-schedule.peak_jitter, schedule.peak_jitter, count)[:, None]
    peak = schedule.peak_hour + jitter / 3600.0
    level = diurnal_factor(hour_of_day(ctx.spec.start_ts, offsets), peak)
    target = schedule.minimum + (schedule.maximum - schedule.minimum) * level
    if schedule.noise > 0:
        target = target * (1.0 + schedule.noise * rng.standard_normal(target.shape))
    replicas = np.clip(np.rint(target), schedule.minimum, schedule.maximum).astype(np.int64)
    replicas[offsets >= stop] = -1  # outside the Deployment's life: marks the end of each row
    return offsets, replicas


# -- Jobs ---------------------------------------------------------------------------------------


def job_pod_runs(start: int, parallelism: int, runtimes: np.ndarray,
                 restart_delay: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times of a Job's pods, in launch order.

    The Job controller keeps ``parallelism`` pods running until ``completions`` have
    succeeded (kubernetes ``pkg/controller/job/job_controller.go``): the first wave starts
    together at ``start``; each later pod is created when a running one finishes and
    starts ``restart_delay`` seconds after that.
    """
    completions = runtimes.size
    if parallelism >= completions:
        starts = np.full(completions, start, dtype=np.int64)
        return starts, starts + runtimes
    starts = np.empty(completions, dtype=np.int64)
    finishing: list[int] = []  # heap of the running pods' end times
    for index, runtime in enumerate(runtimes.tolist()):
        begin = start if index < parallelism else heapq.heappop(finishing) + restart_delay
        starts[index] = begin
        heapq.heappush(finishing, begin + runtime)
    return starts, starts + runtimes


def generate_jobs(ctx: GroupContext) -> None:
    """Each arrival creates a Job ``<workload>-<n>``; its pods are recorded as Finished lifecycles.

    Jobs are tracked with ``skipOwned`` so Jobs a CronJob creates are not traced twice.
    """
    group, recorder, rng, delay = ctx.group, ctx.recorder, ctx.rng, ctx.spec.pod_start_delay
    recorder.track(JOB, lifecycle=True, skip_owned=True)
    stream_ids, offsets = _arrivals(ctx)
    parallelism = group.parallelism.sample(rng, offsets.size)
    completions = group.completions.sample(rng, offsets.size)
    runtimes = group.runtime.sample(rng, int(completions.sum()))
    bounds = np.concatenate(([0], np.cumsum(completions)))
    templates: dict[int, dict[str, Any]] = {}
    specs: dict[tuple[int, int, int], dict[str, Any]] = {}
    sequence = np.zeros(group.count, dtype=np.int64)
    for job_index, (stream, offset) in enumerate(zip(stream_ids.tolist(), offsets.tolist(), strict=True)):
        name = f"{ctx.names[stream]}-{sequence[stream]}"
        sequence[stream] += 1
        namespace = ctx.namespaces[stream]
        if stream not in templates:
            templates[stream] = objects.pod_template(ctx.labels[stream], ctx.pod_spec(stream, "Never"))
        template = templates[stream]
        p, c = int(parallelism[job_index]), int(completions[job_index])
        spec = specs.get((stream, p, c))
        if spec is None:
            spec = specs[(stream, p, c)] = objects.job_spec(p, c, template, group.ttl_after_finished)
        created = ctx.ts(offset)
        key = f"{namespace}/{name}"
        recorder.apply(created, JOB, key, objects.job(name, namespace, ctx.labels[stream], spec))
        pod_runtimes = runtimes[bounds[job_index]:bounds[job_index + 1]]
        starts, ends = job_pod_runs(created + delay, p, pod_runtimes, delay)
        recorder.pods((JOB, key), recorder.pod_hash_of(template["spec"]), starts, ends, "Job")
        if group.ttl_after_finished is not None:
            recorder.delete(int(ends.max()) + group.ttl_after_finished,
                            objects.skeleton("batch/v1", "Job", name, namespace))
    recorder.stats.workloads["Job"] += group.count


def _arrivals(ctx: GroupContext) -> tuple[np.ndarray, np.ndarray]:
    group = ctx.group
    begin, until = group.arrival_window
    end = ctx.end_offset(until)
    window = (np.full(group.count, begin, dtype=np.int64), np.full(group.count, end, dtype=np.int64))
    return sample_arrivals(group.arrivals, ctx.rng, group.count, window, ctx.spec.start_ts)


# -- CronJobs -----------------------------------------------------------------------------------


def generate_cronjobs(ctx: GroupContext) -> None:
    """Each CronJob runs at its schedule's times; every run's pods become lifecycles of the CronJob.

    Concurrency follows the CronJob controller (``pkg/controller/cronjob/cronjob_controllerv2.go``,
    ``syncCronJob``): Allow runs overlap; Forbid holds a slot back while a run is active and
    starts the latest missed slot when that run completes; Replace deletes the active run.
    Deleting the CronJob garbage-collects its Jobs, ending their pods too.
    """
    group, recorder, rng, delay = ctx.group, ctx.recorder, ctx.rng, ctx.spec.pod_start_delay
    recorder.track(CRONJOB, lifecycle=True)
    stop = ctx.end_offset(group.deleted_at)
    run_offsets = group.schedule.run_times(group.created_at, stop) if group.schedule else np.empty(0)
    for i in range(group.count):
        name, namespace, labels = ctx.names[i], ctx.namespaces[i], ctx.labels[i]
        template = objects.pod_template(labels, ctx.pod_spec(i, "Never"))
        parallelism = group.parallelism.sample(rng, run_offsets.size)
        completions = group.completions.sample(rng, run_offsets.size)
        runtimes = group.runtime.sample(rng, int(completions.sum()))
        obj = objects.cronjob(name, namespace, labels, group.schedule.text, group.concurrency_policy,
                              int(group.parallelism.values[0]), int(group.completions.values[0]), template)
        recorder.apply(ctx.ts(group.created_at), CRONJOB, f"{namespace}/{name}", obj)
        starts, ends = _cron_runs(ctx, run_offsets, parallelism, completions, runtimes, delay, ctx.ts(stop))
        if group.deleted_at is not None:
            deleted = ctx.ts(group.deleted_at)
            alive = starts < deleted
            starts, ends = starts[alive], np.minimum(ends[alive], deleted)
            recorder.delete(deleted, objects.skeleton("batch/v1", "CronJob", name, namespace))
        order = np.argsort(starts, kind="stable")
        recorder.pods((CRONJOB, f"{namespace}/{name}"), recorder.pod_hash_of(template["spec"]),
                      starts[order], ends[order], "CronJob")
    recorder.stats.workloads["CronJob"] += group.count


def _cron_runs(ctx: GroupContext, run_offsets: np.ndarray, parallelism: np.ndarray, completions: np.ndarray,
               runtimes: np.ndarray, delay: int, stop_ts: int) -> tuple[np.ndarray, np.ndarray]:
    """Pod start/end times of every run of one CronJob, following ``syncCronJob``.

    Forbid: a slot that comes while a run is active is not started, and LastScheduleTime is
    not advanced, so when the active Job completes the controller (woken by the Job update)
    starts the most recent missed slot at once (no ``startingDeadlineSeconds``).
    Replace: the active Job is deleted at the slot; its running pods end then, pods it had
    not started never run.
    """
    policy = ctx.group.concurrency_policy
    starts_list: list[np.ndarray] = []
    ends_list: list[np.ndarray] = []
    state = {"active_until": -1, "launched": 0, "cursor": 0}

    def launch(at: int) -> None:
        run, cursor = state["launched"], state["cursor"]
        count = int(completions[run])
        starts, ends = job_pod_runs(at + delay, int(parallelism[run]), runtimes[cursor:cursor + count], delay)
        state["launched"], state["cursor"] = run + 1, cursor + count
        starts_list.append(starts)
        ends_list.append(ends)
        state["active_until"] = int(ends.max()) if ends.size else at

    missed: int | None = None
    for offset in run_offsets.tolist():
        scheduled = ctx.ts(offset)
        if policy == "Forbid":
            if missed is not None and state["active_until"] <= scheduled:
                launch(state["active_until"])
                missed = None
            if state["active_until"] > scheduled:
                missed = scheduled
                continue
        elif policy == "Replace" and state["active_until"] > scheduled and starts_list:
            started = starts_list[-1] < scheduled
            starts_list[-1] = starts_list[-1][started]
            ends_list[-1] = np.minimum(ends_list[-1][started], scheduled)
        launch(scheduled)
    if missed is not None and state["active_until"] < stop_ts:
        launch(state["active_until"])
    if not starts_list:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(starts_list), np.concatenate(ends_list)


# -- bare Pods ----------------------------------------------------------------------------------


def generate_pods(ctx: GroupContext, priorities: PriorityTable) -> None:
    """Bare pods: one per workload, or one per arrival named ``<workload>-<n>``.

    A bare pod is its own lifecycle owner, ``("v1.Pod", "ns/name")`` (SimKube ≥ 2.6.1). Pods
    carry what admission adds (priority, default tolerations), since the tracer records the
    Pod object itself.
    """
    group, recorder, rng, delay = ctx.group, ctx.recorder, ctx.rng, ctx.spec.pod_start_delay
    recorder.track(POD, lifecycle=True, skip_owned=True)
    if group.arrivals is None:
        stream_ids = np.arange(group.count, dtype=np.int64)
        offsets = np.full(group.count, group.created_at, dtype=np.int64)
        suffixed = False
    else:
        stream_ids, offsets = _arrivals(ctx)
        suffixed = True
    runtimes = group.runtime.sample(rng, offsets.size) if group.runtime is not None else None
    restart = "Never" if group.runtime is not None else "Always"
    class_name, priority = priorities.admit(group.pod.priority_class_name)
    specs: dict[int, dict[str, Any]] = {}
    sequence = np.zeros(group.count, dtype=np.int64)
    for index, (stream, offset) in enumerate(zip(stream_ids.tolist(), offsets.tolist(), strict=True)):
        name = ctx.names[stream]
        if suffixed:
            name = f"{name}-{sequence[stream]}"
            sequence[stream] += 1
        namespace = ctx.namespaces[stream]
        if stream not in specs:
            spec = ctx.pod_spec(stream, restart, admitted_priority=priority)
            if class_name is not None:
                spec["priorityClassName"] = class_name
                spec = dict(sorted(spec.items()))
            specs[stream] = spec
        spec = specs[stream]
        created = ctx.ts(offset)
        key = f"{namespace}/{name}"
        recorder.apply(created, POD, key, objects.pod(name, namespace, ctx.labels[stream], spec))
        start = np.asarray([created + delay], dtype=np.int64)
        end = None if runtimes is None else start + runtimes[index]
        deleted = None
        if group.deleted_at is not None and not suffixed:
            deleted = ctx.ts(group.deleted_at)
        elif end is not None and group.ttl_after_finished is not None:
            deleted = int(end[0]) + group.ttl_after_finished
        if deleted is not None and start[0] < deleted:
            # A pod deleted while running ends at the deletion (sk-tracer pod_watcher.rs).
            end = np.minimum(end, deleted) if end is not None else np.asarray([deleted], dtype=np.int64)
        if deleted is None or start[0] < deleted:
            recorder.pods((POD, key), recorder.pod_hash_of(spec), start, end, "Pod")
        if deleted is not None:
            recorder.delete(deleted, objects.skeleton("v1", "Pod", name, namespace))
    recorder.stats.workloads["Pod"] += group.count


@dataclass(frozen=True, slots=True)
class PriorityTable:
    """Priority class name -> (value, preemptionPolicy), system classes included, and the default."""

    classes: dict[str, tuple[int, str]]
    default_name: str | None

    @classmethod
    def of(cls, spec: SynthSpec) -> PriorityTable:
        classes = {name: (value, "PreemptLowerPriority") for name, value in SYSTEM_PRIORITY_CLASSES.items()}
        classes.update({pc.name: (pc.value, pc.preemption_policy) for pc in spec.priority_classes})
        default = next((pc.name for pc in spec.priority_classes if pc.global_default), None)
        return cls(classes, default)

    def admit(self, class_name: str | None) -> tuple[str | None, tuple[int, str]]:
        """The Priority admission plugin (``plugin/pkg/admission/priority/admission.go``): resolve
        the class; without one use the globalDefault class (and name it in the pod), else 0.

        Returns the class name admission writes into the pod (None: unchanged) and
        (priority, preemptionPolicy).
        """
        if class_name is not None:
            return None, self.classes[class_name]
        if self.default_name is not None:
            return self.default_name, self.classes[self.default_name]
        return None, (0, "PreemptLowerPriority")


def generate_priority_classes(spec: SynthSpec, recorder: TraceRecorder) -> None:
    """PriorityClasses exist before the window opens, so they land in event 0."""
    if not spec.emit_priority_classes or not spec.priority_classes:
        return
    recorder.track(PRIORITY_CLASS)
    for pc in spec.priority_classes:
        recorder.apply(spec.start_ts, PRIORITY_CLASS, pc.name, objects.priority_class(pc))
