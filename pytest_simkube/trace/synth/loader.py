"""The strict loader: workload spec YAML -> :class:`~.spec.SynthSpec`.

Every value is checked here, with the file, line and key in the error (a
:class:`~pytest_simkube.errors.TraceError`), so generation never has to fail on bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pytest_simkube.errors import TraceError
from pytest_simkube.kube.quantity import parse_quantity
from pytest_simkube.trace.synth import kube_fields
from pytest_simkube.trace.synth.cron import parse_cron
from pytest_simkube.trace.synth.distributions import (
    Arrivals,
    FixedArrivals,
    IntChoice,
    PoissonArrivals,
    RunTime,
)
from pytest_simkube.trace.synth.spec import (
    DEFAULT_START,
    KINDS,
    MAX_NAME_LENGTH,
    SYSTEM_PRIORITY_CLASSES,
    DiurnalReplicas,
    FixedReplicas,
    PodTemplate,
    PriorityClassSpec,
    ReplicaSchedule,
    ResourceShape,
    SteppedReplicas,
    SynthSpec,
    WorkloadGroup,
)
from pytest_simkube.trace.synth.values import (
    Pattern,
    check_dns_label,
    check_labels,
    check_namespace,
    check_object_name,
    positive_seconds,
    render_tree,
    seconds,
    timestamp,
)
from pytest_simkube.yamlstrict import YamlNode, compose_document

_TOP_KEYS = ("start", "duration", "seed", "podStartDelay", "namespaces", "priorityClasses",
             "emitPriorityClasses", "workloads")
_COMMON_KEYS = ("name", "kind", "count", "namespace", "labels", "pod")
_KIND_KEYS = {
    "Deployment": ("replicas", "rollouts", "createdAt", "deletedAt"),
    "Job": ("arrivals", "parallelism", "completions", "runtime", "ttlAfterFinished"),
    "CronJob": ("schedule", "runtime", "parallelism", "completions", "concurrencyPolicy",
                "createdAt", "deletedAt"),
    "Pod": ("arrivals", "runtime", "ttlAfterFinished", "createdAt", "deletedAt"),
}
# Upper bounds on what a spec may ask for. A typo such as ``duration: 1.76e13`` must be a
# located error naming the limit, not an attempt to allocate hundreds of GiB of samples.
MAX_DURATION = 366 * 86400
"""Longest trace: one (leap) year of seconds."""
MAX_COUNT = 10_000
"""Most workloads one entry may expand to (``count``)."""
MAX_REPLICAS = 100_000
"""Most replicas a Deployment may ask for (fixed, step or diurnal max)."""
MAX_PER_JOB = 10_000
"""Most pods one Job may run (``parallelism``, ``completions``)."""
MAX_PER_HOUR = 1_000_000.0
"""Highest Poisson arrival rate."""
MAX_SAMPLES = 10_000_000
"""Most time points one entry may generate over the trace (count x replica samples, arrivals
or cron runs); the generator holds arrays of this size."""

_REQUIRED_KIND_KEYS = {"Deployment": ("replicas",), "Job": ("arrivals", "runtime"),
                       "CronJob": ("schedule", "runtime"), "Pod": ()}


def load_spec(path: str | Path) -> SynthSpec:
    """Read and validate a spec file; :class:`TraceError` names file, line and key on bad input."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError(source, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(source, None, f"cannot read spec: {exc}") from None
    return parse_spec(text, source)


def spec_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> SynthSpec:
    """Validate a spec built in code (the same keys as the YAML file).

    The mapping is dumped to YAML and loaded like a file, so it gets exactly the same
    checks; line numbers in errors refer to that dump, key paths to the mapping.
    """
    try:
        text = yaml.safe_dump(dict(data), sort_keys=False)
    except yaml.YAMLError as exc:
        raise TraceError(source, None, f"cannot represent the spec as YAML: {exc}") from None
    return parse_spec(text, source)


def parse_spec(text: str, source: str = "<spec>") -> SynthSpec:
    """Validate spec text (YAML) into a :class:`SynthSpec`."""
    root = compose_document(text, source, TraceError)
    top = root.mapping(_TOP_KEYS, required=("duration", "workloads"))
    start_ts = top["start"].parsed(timestamp, "start time") if "start" in top else timestamp(DEFAULT_START)
    duration = top["duration"].parsed(positive_seconds, "duration")
    if duration > MAX_DURATION:
        raise top["duration"].error(
            f"duration {duration:g}s is longer than the limit of {MAX_DURATION}s (366 days)")
    if duration != int(duration):
        raise top["duration"].error("the duration must be a whole number of seconds")
    seed = top["seed"].integer(minimum=0) if "seed" in top else 0
    delay = int(top["podStartDelay"].parsed(seconds, "duration")) if "podStartDelay" in top else 1
    declared_namespaces: tuple[str, ...] | None = None
    if "namespaces" in top:
        declared_namespaces = tuple(
            item.parsed(check_namespace, "namespace") for item in top["namespaces"].sequence(min_items=1))
    priority_classes = _priority_classes(top["priorityClasses"]) if "priorityClasses" in top else ()
    emit = top["emitPriorityClasses"].boolean() if "emitPriorityClasses" in top else True
    context = _Context(int(duration), declared_namespaces,
                       {pc.name: pc.value for pc in priority_classes} | SYSTEM_PRIORITY_CLASSES)
    groups = tuple(_workload(item, index, context)
                   for index, item in enumerate(top["workloads"].sequence(min_items=1)))
    _check_unique_names(groups, top["workloads"])
    namespaces = declared_namespaces or tuple(dict.fromkeys(ns for g in groups for ns in g.namespaces))
    return SynthSpec(
        source=source,
        start_ts=start_ts,
        duration=int(duration),
        seed=seed,
        pod_start_delay=delay,
        namespaces=namespaces,
        priority_classes=priority_classes,
        emit_priority_classes=emit,
        workloads=groups,
    )


@dataclass(frozen=True, slots=True)
class _Context:
    duration: int
    namespaces: tuple[str, ...] | None
    priority_values: dict[str, int]


def _priority_classes(node: YamlNode) -> tuple[PriorityClassSpec, ...]:
    result: list[PriorityClassSpec] = []
    seen: dict[str, int] = {}
    for item in node.sequence():
        fields = item.mapping(("name", "value", "preemptionPolicy", "globalDefault", "description"),
                              required=("name", "value"))
        name = fields["name"].string()
        fields["name"].verify(lambda name=name: check_object_name(name, max_length=253, what="name"), "name")
        if name in seen or name in SYSTEM_PRIORITY_CLASSES:
            raise fields["name"].error(f"priority class {name!r} is defined twice or is a system class")
        seen[name] = item.line
        result.append(PriorityClassSpec(
            name=name,
            # User classes are at most 1e9 (scheduling/validation: HighestUserDefinablePriority).
            value=fields["value"].integer(minimum=-2_147_483_648, maximum=1_000_000_000),
            preemption_policy=(fields["preemptionPolicy"].choice(("PreemptLowerPriority", "Never"))
                               if "preemptionPolicy" in fields else "PreemptLowerPriority"),
            global_default=fields["globalDefault"].boolean() if "globalDefault" in fields else False,
            description=fields["description"].string(allow_empty=True) if "description" in fields else None,
        ))
    defaults = [pc.name for pc in result if pc.global_default]
    if len(defaults) > 1:
        raise node.error(f"only one priority class may be globalDefault, got {', '.join(defaults)}")
    return tuple(result)


def _offset(node: YamlNode, context: _Context, what: str) -> int:
    value = node.parsed(seconds, "duration")
    if value >= context.duration:
        raise node.error(f"{what} ({value:g}s) must be before the end of the trace ({context.duration}s)")
    return int(value)


def _workload(node: YamlNode, index: int, context: _Context) -> WorkloadGroup:
    raw = node.mapping()
    if "kind" not in raw:
        raise node.error(f"missing required key 'kind' (one of {', '.join(KINDS)})")
    kind = raw["kind"].choice(KINDS)
    fields = node.mapping(_COMMON_KEYS + _KIND_KEYS[kind], required=("name",) + _REQUIRED_KIND_KEYS[kind])

    name = fields["name"].parsed(lambda text: Pattern(text, ("i", "namespace")), "name pattern")
    count = fields["count"].integer(minimum=1, maximum=MAX_COUNT) if "count" in fields else 1
    if count > 1 and "i" not in name.fields:
        raise fields["name"].error(
            f"with count {count} the name needs an {{i}} placeholder, e.g. '{name.text}-{{i}}'")
    namespaces = _namespaces(fields.get("namespace"), context)
    labels = fields["labels"].string_map() if "labels" in fields else {}
    for value_node in (fields["labels"].mapping().values() if "labels" in fields else ()):
        value_node.parsed(Pattern, "label value")
    labels = {"app": "{name}"} | labels
    pod = _pod_template(fields["pod"], context) if "pod" in fields else PodTemplate()

    group = dict(index=index, name=name, kind=kind, namespaces=namespaces, count=count, labels=labels,
                 pod=pod, where=node.where())
    if "createdAt" in fields:
        group["created_at"] = _offset(fields["createdAt"], context, "createdAt")
    if "deletedAt" in fields:
        deleted = int(fields["deletedAt"].parsed(positive_seconds, "duration"))
        if deleted <= group.get("created_at", 0):
            raise fields["deletedAt"].error("deletedAt must be after createdAt")
        group["deleted_at"] = deleted
    if "replicas" in fields:
        group["replicas"] = _replicas(fields["replicas"], context, group.get("created_at", 0))
    if "arrivals" in fields:
        for key in ("createdAt", "deletedAt"):
            if key in fields:
                raise fields[key].error(f"{key} applies to single pods; with 'arrivals' use "
                                        f"arrivals.from / arrivals.until")
        group["arrivals"], group["arrival_window"] = _arrivals(fields["arrivals"], context)
    if "rollouts" in fields:
        group["rollouts"], group["rollout_window"] = _arrivals(fields["rollouts"], context)
    if "schedule" in fields:
        group["schedule"] = fields["schedule"].parsed(parse_cron, "schedule")
    if "concurrencyPolicy" in fields:
        group["concurrency_policy"] = fields["concurrencyPolicy"].choice(("Allow", "Forbid", "Replace"))
    for key in ("parallelism", "completions"):
        if key in fields:
            group[key] = _int_choice(fields[key])
            if kind == "CronJob" and len(group[key].values) > 1:
                raise fields[key].error("a CronJob's job template has one value; give a number, not a list")
    if "runtime" in fields:
        group["runtime"] = _runtime(fields["runtime"])
    if "ttlAfterFinished" in fields:
        group["ttl_after_finished"] = int(fields["ttlAfterFinished"].parsed(seconds, "duration"))
    workload = WorkloadGroup(**group)
    _check_size(workload, fields, context)
    _check_expansion(workload, fields, context)
    return workload


def _namespaces(node: YamlNode | None, context: _Context) -> tuple[str, ...]:
    if node is None:
        if context.namespaces is not None:
            return context.namespaces[:1]
        return ("default",)
    items = node.sequence(min_items=1) if node.is_sequence else [node]
    result = []
    for item in items:
        namespace = item.parsed(check_namespace, "namespace")
        if context.namespaces is not None and namespace not in context.namespaces:
            raise item.error(f"namespace {namespace!r} is not declared in 'namespaces' "
                             f"({', '.join(context.namespaces)})")
        result.append(namespace)
    return tuple(result)


def _check_size(group: WorkloadGroup, fields: dict[str, YamlNode], context: _Context) -> None:
    """Refuse an entry whose time points (over all its ``count`` copies) exceed :data:`MAX_SAMPLES`.

    The estimate is what the generator will allocate: one replica sample per ``resample``
    interval, the expected number of Poisson arrivals, or the cron schedule's runs.
    """
    per_copy: float = 0.0
    node = fields["name"]
    replicas = group.replicas
    if isinstance(replicas, DiurnalReplicas):
        per_copy = context.duration / replicas.resample + 1
        node = fields["replicas"].mapping()["diurnal"].mapping().get("resample", fields["replicas"])
    arrivals = group.arrivals
    if isinstance(arrivals, PoissonArrivals):
        per_copy = max(per_copy, arrivals.per_hour * (1 + arrivals.amplitude) * context.duration / 3600)
        node = fields["arrivals"].mapping()["poisson"].mapping()["perHour"]
    if isinstance(group.rollouts, PoissonArrivals):
        rollouts = group.rollouts.per_hour * (1 + group.rollouts.amplitude) * context.duration / 3600
        if rollouts > per_copy:
            per_copy, node = rollouts, fields["rollouts"].mapping()["poisson"].mapping()["perHour"]
    schedule = group.schedule
    if schedule is not None:
        # "@every 1s" over a year would itself be a large array: count those without building it.
        runs = (context.duration / schedule.every_seconds if schedule.every_seconds is not None
                else len(schedule.run_times(0, context.duration)))
        per_copy, node = max(per_copy, runs), fields["schedule"]
    total = per_copy * group.count
    if total > MAX_SAMPLES:
        raise node.error(f"this entry would generate about {total:.3g} time points over the trace "
                         f"(x{group.count} workloads), more than the limit of {MAX_SAMPLES:,}; "
                         "shorten the duration, lower the rate or count, or resample less often")


def _check_expansion(group: WorkloadGroup, fields: dict[str, YamlNode], context: _Context) -> None:
    """Render every workload's name and labels once, so bad results fail at load time."""
    max_length = MAX_NAME_LENGTH[group.kind]
    for i in range(group.count):
        name = group.workload_name(i)
        fields["name"].verify(
            lambda name=name: check_object_name(name, max_length=max_length, what="name"), "name")
        values = {"i": i, "name": name, "namespace": group.namespace(i)}
        labels = render_tree(group.labels, values)
        target = fields.get("labels", fields["name"])
        target.verify(lambda labels=labels: check_labels(labels), "labels")
    priority = group.pod.priority_class_name
    if priority is not None and priority not in context.priority_values:
        target = fields["pod"].mapping()["priorityClassName"]
        raise target.error(f"priority class {priority!r} is not defined in 'priorityClasses'")


def _check_unique_names(groups: tuple[WorkloadGroup, ...], node: YamlNode) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    items = node.sequence()
    for group in groups:
        for i in range(group.count):
            key = (group.kind, group.namespace(i), group.workload_name(i))
            if key in seen:
                raise items[group.index].error(
                    f"{group.kind} {key[1]}/{key[2]} is generated twice "
                    f"(also by workloads[{seen[key]}]); make the name patterns distinct")
            seen[key] = group.index


def _replicas(node: YamlNode, context: _Context, created_at: int) -> ReplicaSchedule:
    if not node.is_mapping:
        return FixedReplicas(node.integer(minimum=0, maximum=MAX_REPLICAS))
    fields = node.mapping(("diurnal", "steps"))
    if len(fields) != 1:
        raise node.error("give exactly one of 'diurnal' or 'steps' (or a plain number of replicas)")
    if "diurnal" in fields:
        diurnal = fields["diurnal"].mapping(("min", "max", "peakHour", "noise", "resample", "peakJitter"),
                                            required=("min", "max", "peakHour"))
        minimum = diurnal["min"].integer(minimum=0, maximum=MAX_REPLICAS)
        maximum = diurnal["max"].integer(minimum=0, maximum=MAX_REPLICAS)
        if maximum < minimum:
            raise diurnal["max"].error(f"max ({maximum}) must be >= min ({minimum})")
        resample = diurnal["resample"].parsed(positive_seconds, "duration") if "resample" in diurnal else 900
        if resample < 1:
            raise diurnal["resample"].error("resample must be at least 1s")
        return DiurnalReplicas(
            minimum=minimum,
            maximum=maximum,
            peak_hour=diurnal["peakHour"].number(minimum=0, maximum=24),
            noise=diurnal["noise"].number(minimum=0, maximum=10) if "noise" in diurnal else 0.0,
            resample=int(resample),
            peak_jitter=(int(diurnal["peakJitter"].parsed(seconds, "duration"))
                         if "peakJitter" in diurnal else 0),
        )
    steps: list[tuple[int, int]] = []
    for item in fields["steps"].sequence(min_items=1):
        pair = item.sequence()
        if len(pair) != 2:
            raise item.error("each step is [time, replicas], e.g. [2h, 6]")
        offset = int(pair[0].parsed(seconds, "duration"))
        if steps and offset <= steps[-1][0]:
            raise pair[0].error(f"step times must increase (previous step at {steps[-1][0]}s)")
        if offset >= context.duration:
            raise pair[0].error(f"step at {offset}s is not before the end of the trace ({context.duration}s)")
        steps.append((offset, pair[1].integer(minimum=0, maximum=MAX_REPLICAS)))
    if steps[0][0] > created_at:
        raise fields["steps"].error(
            f"the first step ({steps[0][0]}s) must be at or before the Deployment is created ({created_at}s)")
    return SteppedReplicas(tuple(steps))


def _arrivals(node: YamlNode, context: _Context) -> tuple[Arrivals, tuple[int, int | None]]:
    fields = node.mapping(("times", "poisson", "from", "until"))
    processes = [key for key in ("times", "poisson") if key in fields]
    if len(processes) != 1:
        raise node.error("give exactly one of 'times' or 'poisson'")
    begin = _offset(fields["from"], context, "from") if "from" in fields else 0
    end = int(fields["until"].parsed(positive_seconds, "duration")) if "until" in fields else None
    if end is not None and end <= begin:
        raise fields["until"].error("until must be after from")
    if "times" in fields:
        offsets = tuple(item.parsed(seconds, "duration") for item in fields["times"].sequence(min_items=1))
        return FixedArrivals(offsets), (begin, end)
    poisson = fields["poisson"].mapping(("perHour", "peakHour", "amplitude"), required=("perHour",))
    return PoissonArrivals(
        per_hour=poisson["perHour"].number(minimum=0, maximum=MAX_PER_HOUR),
        peak_hour=poisson["peakHour"].number(minimum=0, maximum=24) if "peakHour" in poisson else 0.0,
        amplitude=poisson["amplitude"].number(minimum=0, maximum=1) if "amplitude" in poisson else 0.0,
    ), (begin, end)


def _int_choice(node: YamlNode) -> IntChoice:
    if node.is_sequence:
        return IntChoice(tuple(item.integer(minimum=1, maximum=MAX_PER_JOB)
                               for item in node.sequence(min_items=1)))
    return IntChoice((node.integer(minimum=1, maximum=MAX_PER_JOB),))


def _runtime(node: YamlNode) -> RunTime:
    kinds = ("fixed", "uniform", "lognormal", "exponential")
    fields = node.mapping((*kinds, "min", "max"))
    chosen = [key for key in kinds if key in fields]
    if len(chosen) != 1:
        raise node.error(f"give exactly one distribution: {', '.join(kinds)}")
    kind = chosen[0]
    body = fields[kind]
    if kind == "fixed":
        params: tuple[float, ...] = (body.parsed(seconds, "duration"),)
    elif kind == "uniform":
        bounds = body.sequence()
        if len(bounds) != 2:
            raise body.error("uniform takes [low, high], e.g. [1m, 5m]")
        params = (bounds[0].parsed(seconds, "duration"), bounds[1].parsed(seconds, "duration"))
        if params[1] < params[0]:
            raise body.error("uniform: high must be >= low")
    elif kind == "lognormal":
        values = body.mapping(("median", "sigma"), required=("median", "sigma"))
        params = (values["median"].parsed(positive_seconds, "duration"),
                  values["sigma"].number(minimum=0, maximum=5))
    else:
        values = body.mapping(("mean",), required=("mean",))
        params = (values["mean"].parsed(positive_seconds, "duration"),)
    minimum = fields["min"].parsed(seconds, "duration") if "min" in fields else 1.0
    maximum = fields["max"].parsed(positive_seconds, "duration") if "max" in fields else None
    if maximum is not None and maximum < minimum:
        raise fields["max"].error("max must be >= min")
    return RunTime(kind, params, minimum, maximum)


def _pod_template(node: YamlNode, context: _Context) -> PodTemplate:
    fields = node.mapping(("image", "containerName", "command", "resources", "priorityClassName",
                           "nodeSelector", "tolerations", "affinity", "topologySpreadConstraints"))
    template: dict[str, Any] = {}
    if "image" in fields:
        template["image"] = fields["image"].string()
    if "containerName" in fields:
        template["container_name"] = fields["containerName"].string()
        fields["containerName"].verify(
            lambda: check_dns_label(template["container_name"], "container name"), "container name")
    if "command" in fields:
        template["command"] = tuple(
            item.string(allow_empty=True) for item in fields["command"].sequence(min_items=1))
    if "resources" in fields:
        template["shapes"] = _shapes(fields["resources"])
    if "priorityClassName" in fields:
        template["priority_class_name"] = fields["priorityClassName"].string()
    if "nodeSelector" in fields:
        selector = fields["nodeSelector"].string_map()
        for value_node in fields["nodeSelector"].mapping().values():
            value_node.parsed(Pattern, "placeholder")
        template["node_selector"] = dict(sorted(selector.items()))
    if "tolerations" in fields:
        template["tolerations"] = tuple(kube_fields.toleration(t) for t in fields["tolerations"].sequence())
    if "affinity" in fields:
        template["affinity"] = kube_fields.affinity(fields["affinity"])
    if "topologySpreadConstraints" in fields:
        template["topology_spread_constraints"] = tuple(
            kube_fields.topology_spread_constraint(c) for c in fields["topologySpreadConstraints"].sequence())
    return PodTemplate(**template)


def _shapes(node: YamlNode) -> tuple[ResourceShape, ...]:
    fields = node.mapping(("requests", "limits", "shapes"))
    if "shapes" in fields:
        if len(fields) != 1:
            raise node.error("give either 'shapes' or 'requests'/'limits', not both")
        shapes = []
        for item in fields["shapes"].sequence(min_items=1):
            shape = item.mapping(("weight", "requests", "limits"))
            weight = shape["weight"].number(minimum=0) if "weight" in shape else 1.0
            shapes.append(_shape(shape, item, weight))
        if sum(s.weight for s in shapes) <= 0:
            raise fields["shapes"].error("at least one shape needs a weight above zero")
        return tuple(shapes)
    return (_shape(fields, node, 1.0),)


def _shape(fields: dict[str, YamlNode], node: YamlNode, weight: float) -> ResourceShape:
    lists: dict[str, dict[str, str]] = {"requests": {}, "limits": {}}
    amounts: dict[str, dict[str, Any]] = {"requests": {}, "limits": {}}
    for key in ("requests", "limits"):
        if key not in fields:
            continue
        for resource, value_node in fields[key].mapping().items():
            raw = value_node.scalar()
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise value_node.error(
                    f"expected a quantity such as '250m' or '1Gi', got {value_node.kind_name()}")
            amount = value_node.parsed(parse_quantity, "quantity")
            if amount < 0:
                raise value_node.error(f"quantity {raw!r} must not be negative")
            lists[key][resource] = raw if isinstance(raw, str) else str(raw)
            amounts[key][resource] = amount
    for resource, request in amounts["requests"].items():
        limit = amounts["limits"].get(resource)
        if limit is not None and request > limit:
            # core validation: "must be less than or equal to <resource> limit".
            raise fields["requests"].mapping()[resource].error(
                f"request {lists['requests'][resource]} must be less than or equal to the {resource} limit "
                f"{lists['limits'][resource]}")
    return ResourceShape(dict(sorted(lists["requests"].items())), dict(sorted(lists["limits"].items())),
                         weight)
