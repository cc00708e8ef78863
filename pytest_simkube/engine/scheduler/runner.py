"""The "run" form of a scheduling case: a sequence of pods through the real loop.

Semantics (those of the reference run vectors): nodes and the pods already bound
(``spec.nodeName``) are created first; pending pods are then created one at a time, ordered
by ``arrivalOrder`` and then input order, and after each creation the scheduler runs until it
is quiescent (activeQ and backoffQ empty: every pending pod is bound or parked as
unschedulable).  Parked pods are retried on later cluster events, with backoff, exactly as the
:class:`~pytest_simkube.engine.scheduler.scheduler.Scheduler` does.  Preemption victims are
deleted at once.

``run_case(input, seed)`` returns the vectors' ``result`` shape: ``pods[]`` (status, node,
message, nominatedNodeName, preemptedBy, afterOwnArrival, attempts), ``victims[]``,
``events[]`` and ``attempts[]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.config.scheduler import (
    SchedulerConfiguration,
    default_scheduler_config,
    parse_scheduler_config,
    parse_scheduler_config_text,
)
from pytest_simkube.engine.scheduler.preemption import compute_disruptions_allowed, parse_pdb
from pytest_simkube.engine.scheduler.scheduler import BOUND, ERROR, Scheduler, ScheduleResult, TieBreaker
from pytest_simkube.engine.scheduler.snapshot import SnapshotError
from pytest_simkube.errors import ScenarioError
from pytest_simkube.kube.pods import PodParseError, parse_pod

SETTLE_SECONDS = 0.4
"""Virtual time between a pod's arrival settling and the next arrival (the quiet period the
reference harness waits for, plus API latency)."""

INPUT_FIELDS = ("nodes", "pods", "config", "mode", "runs", "backoffSeconds", "pdbs", "namespaces")


@dataclass
class _PodRecord:
    name: str
    namespace: str
    initially_bound: bool
    arrival_index: int | None = None
    status: str = "pending"
    node: str | None = None
    message: str = ""
    nominated_node: str | None = None
    preempted_by: str | None = None
    preempted_from: str | None = None
    after_own_arrival: dict[str, Any] | None = None
    attempts: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "namespace": self.namespace,
            "initiallyBound": self.initially_bound,
        }
        if self.arrival_index is not None:
            out["arrivalIndex"] = self.arrival_index
        out["status"] = self.status
        if self.node:
            out["node"] = self.node
        if self.message:
            out["message"] = self.message
        if self.nominated_node:
            out["nominatedNodeName"] = self.nominated_node
        if self.preempted_by:
            out["preemptedBy"] = self.preempted_by
            out["preemptedFromNode"] = self.preempted_from
        if self.after_own_arrival is not None:
            out["afterOwnArrival"] = self.after_own_arrival
        out["attempts"] = self.attempts
        return out


@dataclass
class _Recorder:
    pods: dict[str, _PodRecord] = field(default_factory=dict)
    victims: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def event(self, kind: str, pod: str, **extra: Any) -> None:
        self.events.append({"seq": self.next_seq(), "type": kind, "pod": pod, **extra})

    def record(self, result: ScheduleResult) -> None:
        key = result.key
        rec = self.pods[key]
        rec.attempts = result.attempt
        attempt: dict[str, Any] = {"seq": self.next_seq(), "pod": key}
        if result.scores:
            attempt["scores"] = dict(result.scores)
            attempt["maxScore"] = max(result.scores.values())
        if result.status == BOUND and result.top_nodes and len(result.scores) > 1:
            attempt["topNodes"] = sorted(result.top_nodes)
        attempt["result"] = "bound" if result.status == BOUND else "unschedulable"
        if result.status == BOUND:
            attempt["node"] = result.node
            attempt["evaluatedNodes"] = result.evaluated_nodes
            attempt["feasibleNodes"] = result.feasible_nodes
        else:
            attempt["message"] = result.message
        self.attempts.append(attempt)
        for victim in result.victims:
            self.victims.append({"pod": victim.key, "node": victim.node_name, "preemptor": key})
            self.event("delete", victim.key, node=victim.node_name)
            self.event(
                "preempted",
                victim.key,
                node=victim.node_name,
                by=key,
                message=f"Preempted by pod {result.pod.uid} on node {victim.node_name}",
            )
            vrec = self.pods.get(victim.key)
            if vrec is not None:
                vrec.status = "preempted"
                vrec.node = None
                vrec.preempted_by = key
                vrec.preempted_from = victim.node_name
        if result.status == BOUND:
            rec.status = "bound"
            rec.node = result.node
            rec.message = ""
            rec.nominated_node = None
            self.event("bind", key, node=result.node)
        else:
            rec.status = "unschedulable"
            rec.message = result.message
            if result.nominated_node is not None:
                rec.nominated_node = result.nominated_node or None
            self.event("unschedulable", key, message=result.message)


def _config_of(raw: Any, source: str) -> SchedulerConfiguration:
    if raw is None:
        return default_scheduler_config()
    if isinstance(raw, str):
        return parse_scheduler_config_text(raw, f"{source}: input.config")
    return parse_scheduler_config(raw, f"{source}: input.config")


def _number(value: Any, where: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ScenarioError(source, where, f"expected a positive number of seconds, got {value!r}")
    return float(value)


def run_case(
    case_input: Mapping[str, Any],
    seed: int = 0,
    source: str = "<input>",
    tie_breaker: TieBreaker | None = None,
    settle_seconds: float = SETTLE_SECONDS,
) -> dict[str, Any]:
    """Run a run-form scheduling case and return its ``result`` (see the module docstring).

    ``tie_breaker`` may steer the random choice among equally scored nodes (used to replay a
    recorded run); by default the choice is a seeded uniform draw.
    """
    if not isinstance(case_input, Mapping):
        raise ScenarioError(source, "input", "expected an object with nodes and pods")
    unknown = sorted(set(case_input) - set(INPUT_FIELDS))
    if unknown:
        raise ScenarioError(source, f"input.{unknown[0]}", "unknown field")
    config = _config_of(case_input.get("config"), source)
    backoff = case_input.get("backoffSeconds") or {}
    if not isinstance(backoff, Mapping):
        raise ScenarioError(source, "input.backoffSeconds", "expected an object with initial and max")
    initial = (
        _number(backoff["initial"], "input.backoffSeconds.initial", source) if "initial" in backoff else None
    )
    maximum = _number(backoff["max"], "input.backoffSeconds.max", source) if "max" in backoff else None
    scheduler = Scheduler(
        config,
        seed=seed,
        namespace_labels=namespace_labels_from(case_input.get("namespaces"), source),
        initial_backoff_seconds=initial,
        max_backoff_seconds=maximum,
        tie_breaker=tie_breaker,
        record_scores=True,
    )
    rec = _Recorder()

    nodes = case_input.get("nodes") or []
    pods = case_input.get("pods") or []
    if not isinstance(nodes, list) or not isinstance(pods, list):
        raise ScenarioError(source, "input", "nodes and pods must be lists")
    for i, node in enumerate(nodes):
        try:
            scheduler.add_node(node, 0.0)
        except SnapshotError as exc:
            raise ScenarioError(source, f"input.nodes[{i}].{exc.where}".rstrip("."), exc.message) from None
        except (AttributeError, TypeError, ValueError, OverflowError) as exc:
            raise ScenarioError(source, f"input.nodes[{i}]", f"malformed Node: {exc}") from None

    parsed = []
    for i, raw in enumerate(pods):
        try:
            parsed.append((i, raw, parse_pod(raw)))
        except PodParseError as exc:
            raise ScenarioError(source, f"input.pods[{i}].{exc.where}".rstrip("."), exc.message) from None
        except (AttributeError, TypeError, ValueError, OverflowError) as exc:
            raise ScenarioError(source, f"input.pods[{i}]", f"malformed Pod: {exc}") from None
    for i, _raw, info in parsed:
        rec.pods[info.key] = _PodRecord(info.name, info.namespace, bool(info.node_name))
        if info.node_name:
            try:
                scheduler.add_pod(info, 0.0)
            except SnapshotError as exc:
                raise ScenarioError(source, f"input.pods[{i}].{exc.where}", exc.message) from None
            except (AttributeError, TypeError, ValueError, OverflowError) as exc:
                raise ScenarioError(source, f"input.pods[{i}]", f"malformed Pod: {exc}") from None
            rec.pods[info.key].status = "bound"
            rec.pods[info.key].node = info.node_name

    raw_pdbs = case_input.get("pdbs") or []
    if not isinstance(raw_pdbs, list):
        raise ScenarioError(source, "input.pdbs", "expected a list of PodDisruptionBudget objects")
    pdbs = []
    for i, raw_pdb in enumerate(raw_pdbs):
        if not isinstance(raw_pdb, Mapping):
            raise ScenarioError(source, f"input.pdbs[{i}]", "expected a PodDisruptionBudget object")
        pdb = parse_pdb(raw_pdb, source, f"input.pdbs[{i}]")
        if (raw_pdb.get("status") or {}).get("disruptionsAllowed") is None:
            # Not recorded: derive it from the bound pods, as the disruption controller would.
            pdb.disruptions_allowed = compute_disruptions_allowed(pdb, scheduler.snapshot.pods.values())
        pdbs.append(pdb)
    scheduler.set_pdbs(pdbs)

    index_of = {info.key: i for i, _raw, info in parsed}
    pending = [(i, raw, info) for i, raw, info in parsed if not info.node_name]
    pending.sort(key=lambda t: (_arrival(t[1]), t[0]))
    now = 0.0
    for index, (_i, _raw, info) in enumerate(pending):
        record = rec.pods[info.key]
        record.arrival_index = index
        rec.event("create", info.key)
        if scheduler.add_pod(info, now) is None:
            record.after_own_arrival = {"status": "pending"}
            continue
        now = _settle(scheduler, now, rec, source, index_of) + settle_seconds
        record.after_own_arrival = {"status": record.status}
        if record.status == "bound":
            record.after_own_arrival["node"] = record.node
    return {
        "pods": [r.as_dict() for r in rec.pods.values()],
        "victims": rec.victims,
        "events": rec.events,
        "attempts": rec.attempts,
        "virtualSeconds": now,
    }


def namespace_labels_from(
    raw: Any, source: str, where: str = "input.namespaces"
) -> dict[str, dict[str, str]]:
    """``namespaces``: Namespace objects, or a map of namespace name to labels."""
    if raw is None:
        return {}
    items: list[tuple[str, Any]]
    if isinstance(raw, Mapping):
        items = [
            (f"{where}.{name}", {"metadata": {"name": name, "labels": labels}})
            for name, labels in raw.items()
        ]
    elif isinstance(raw, list):
        items = [(f"{where}[{i}]", obj) for i, obj in enumerate(raw)]
    else:
        raise ScenarioError(source, where, "expected a list of Namespace objects or a map")
    out: dict[str, dict[str, str]] = {}
    for where, obj in items:
        meta = obj.get("metadata") if isinstance(obj, Mapping) else None
        name = meta.get("name") if isinstance(meta, Mapping) else None
        labels = (meta or {}).get("labels") or {}
        if not isinstance(name, str) or not name or not isinstance(labels, Mapping):
            raise ScenarioError(source, where, "a namespace needs metadata.name and a labels map")
        merged = {str(k): str(v) for k, v in labels.items()}
        merged.setdefault("kubernetes.io/metadata.name", name)
        out[name] = merged
    return out


def _arrival(raw: Mapping[str, Any]) -> float:
    value = raw.get("arrivalOrder")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.inf


def _settle(scheduler: Scheduler, now: float, rec: _Recorder, source: str, index_of: dict[str, int]) -> float:
    """Run until activeQ and backoffQ are empty.

    A pod the framework cannot even evaluate (an Error status, e.g. a malformed topology spread
    constraint the API server would have refused) would be retried forever: it is bad input.
    """
    while True:
        try:
            result = scheduler.schedule_one(now)
        except (AttributeError, TypeError, ValueError, OverflowError) as exc:
            raise ScenarioError(source, "input.pods", f"a pod could not be evaluated: {exc}") from None
        if result is not None and result.status == ERROR:
            raise ScenarioError(source, f"input.pods[{index_of[result.key]}]", result.message)
        if result is not None:
            rec.record(result)
            continue
        if not scheduler.has_work():
            return now
        when = scheduler.next_time(now)
        if when is None:
            return now
        now = max(now, when)
