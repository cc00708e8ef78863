"""DefaultPreemption: the PostFilter that evicts lower-priority pods to make room.

Reproduces ``pkg/scheduler/framework/preemption/preemption.go`` (``Evaluator.Preempt``,
``findCandidates``, ``DryRunPreemption``, ``SelectCandidate``, ``pickOneNodeForPreemption``)
and ``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go``
(``PodEligibleToPreemptOthers``, ``SelectVictimsOnNode``, ``calculateNumCandidates``,
``filterPodsWithPDBViolation``) as of v1.30.

Differences that keep runs deterministic: the dry run visits candidate nodes one by one from
the random offset (upstream uses 16 goroutines, so which candidates it collects before
stopping may vary), sorts with a stable sort, and breaks the final tie by that visit order
instead of Go's random map order.  A victim without ``status.startTime`` counts as started
"now" (upstream uses the wall clock), i.e. all such victims tie.

The plugin mutates the live snapshot during the dry run (removing and re-adding pods on one
node at a time) and restores it exactly, including the pods' order on the node.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_simkube.engine.scheduler.cycle import fit_error_message
from pytest_simkube.engine.scheduler.failed_cycles import NODE_PROPERTY_PLUGINS
from pytest_simkube.engine.scheduler.framework import (
    FILTER,
    PRE_FILTER,
    SUCCESS,
    Code,
    CycleState,
    Handle,
    PostFilterPlugin,
    PostFilterResult,
    Status,
)
from pytest_simkube.engine.scheduler.plugins.node_resources_fit import NodeResourcesFit
from pytest_simkube.engine.scheduler.plugins.volume_plugins import NODE_INDEPENDENT_VOLUME_PLUGINS
from pytest_simkube.errors import ScenarioError
from pytest_simkube.kube.labels import Selector, compile_label_selector

if TYPE_CHECKING:
    from pytest_simkube.engine.scheduler.framework import Framework
    from pytest_simkube.engine.scheduler.snapshot import Snapshot
    from pytest_simkube.kube.pods import HostPort, PodInfo

NO_VICTIMS_MESSAGE = "No preemption victims found for incoming pod"
NOT_HELPFUL_MESSAGE = "Preemption is not helpful for scheduling"
_MAX_INT32 = 2**31 - 1
_POD_INDEPENDENT_FILTERS = NODE_PROPERTY_PLUGINS | NODE_INDEPENDENT_VOLUME_PLUGINS
"""Filter plugins whose verdict on a node does not change as pods come and go on it."""


# --------------------------------------------------------------------------- PodDisruptionBudgets


@dataclass
class DisruptionBudget:
    """A PodDisruptionBudget reduced to what preemption reads.

    ``disruptions_allowed`` is ``status.disruptionsAllowed``; :func:`compute_disruptions_allowed`
    derives it from the matching pods the way the disruption controller does.
    """

    namespace: str
    name: str
    selector: Selector | None
    disruptions_allowed: int = 0
    disrupted_pods: frozenset[str] = frozenset()
    min_available: int | str | None = None
    max_unavailable: int | str | None = None

    def matches(self, pod: PodInfo) -> bool:
        """A nil or empty selector matches nothing (as ``filterPodsWithPDBViolation`` says)."""
        if pod.namespace != self.namespace or self.selector is None or self.selector.is_empty():
            return False
        return self.selector.matches(pod.labels)


def parse_pdb(obj: Mapping[str, Any], source: str | None = None, where: str = "") -> DisruptionBudget:
    """Read a ``policy/v1`` PodDisruptionBudget manifest (``where`` is its path in ``source``).

    Raises :class:`ScenarioError` naming the field when the object is malformed.
    """

    def at(field_path: str) -> str:
        return f"{where}.{field_path}" if where else field_path

    def fail(field_path: str, message: str) -> ScenarioError:
        return ScenarioError(source, at(field_path), message)

    if not isinstance(obj, Mapping):
        raise ScenarioError(source, where or None, "a PodDisruptionBudget must be an object")
    parts: dict[str, Mapping[str, Any]] = {}
    for part in ("metadata", "spec", "status"):
        value = obj.get(part) or {}
        if not isinstance(value, Mapping):
            raise fail(part, "expected an object")
        parts[part] = value
    meta, spec, status = parts["metadata"], parts["spec"], parts["status"]
    bounds: dict[str, int | str | None] = {}
    for key in ("minAvailable", "maxUnavailable"):
        value = spec.get(key)
        if value is not None and not _is_int_or_percent(value):
            raise fail(f"spec.{key}", f"expected an integer or a percentage, got {value!r}")
        bounds[key] = value
    if bounds["minAvailable"] is not None and bounds["maxUnavailable"] is not None:
        raise fail("spec", "minAvailable and maxUnavailable cannot both be set")
    allowed = status.get("disruptionsAllowed", 0)
    if isinstance(allowed, bool) or not isinstance(allowed, int):
        raise fail("status.disruptionsAllowed", f"expected an integer, got {allowed!r}")
    disrupted = status.get("disruptedPods") or {}
    if not isinstance(disrupted, Mapping):
        raise fail("status.disruptedPods", "expected a map of pod names")
    raw_selector = spec.get("selector")
    selector = (
        None
        if raw_selector is None
        else compile_label_selector(
            raw_selector, error_type=ScenarioError, source=source, where=at("spec.selector")
        )
    )
    return DisruptionBudget(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or ""),
        selector=selector,
        disruptions_allowed=allowed,
        disrupted_pods=frozenset(str(k) for k in disrupted),
        min_available=bounds["minAvailable"],
        max_unavailable=bounds["maxUnavailable"],
    )


def _is_int_or_percent(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    if isinstance(value, str):
        text = value.strip()
        digits = text[:-1] if text.endswith("%") else text
        return digits.isdigit()
    return False


def _scaled(value: int | str, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        percent = int(text[:-1])
        scaled = percent * total
        return -(-scaled // 100) if round_up else scaled // 100
    return int(text)


def compute_disruptions_allowed(pdb: DisruptionBudget, pods: Iterable[PodInfo]) -> int:
    """``disruptionsAllowed`` as the disruption controller computes it from healthy pods.

    Every bound matching pod counts as healthy and expected (bare pods: the controller then
    uses the matching pods as the expected count).
    """
    matching = [p for p in pods if pdb.matches(p)]
    healthy = len(matching)
    expected = healthy
    if pdb.max_unavailable is not None:
        desired = max(0, expected - _scaled(pdb.max_unavailable, expected, True))
    elif pdb.min_available is not None:
        desired = _scaled(pdb.min_available, expected, True)
    else:
        desired = expected
    return max(0, healthy - desired)


# --------------------------------------------------------------------------- ordering helpers


def _start_time(pod: PodInfo, now_key: float) -> float:
    """``GetPodStartTime``: ``status.startTime``, else "now"."""
    if not pod.start_time:
        return now_key
    try:
        return datetime.fromisoformat(pod.start_time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return now_key


def more_important_first(pods: Sequence[PodInfo], now_key: float) -> list[PodInfo]:
    """``util.MoreImportantPod`` order: priority descending, then earlier start time."""
    return sorted(pods, key=lambda p: (-p.priority, _start_time(p, now_key)))


def filter_pods_with_pdb_violation(
    pods: Sequence[PodInfo], pdbs: Sequence[DisruptionBudget]
) -> tuple[list[PodInfo], list[PodInfo]]:
    """``filterPodsWithPDBViolation``: split victims into (violating, non-violating)."""
    allowed = [pdb.disruptions_allowed for pdb in pdbs]
    violating: list[PodInfo] = []
    non_violating: list[PodInfo] = []
    for pod in pods:
        violated = False
        if pod.labels:
            for i, pdb in enumerate(pdbs):
                if not pdb.matches(pod) or pod.name in pdb.disrupted_pods:
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else non_violating).append(pod)
    return violating, non_violating


# --------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """A node where evicting ``victims`` lets the preemptor fit."""

    node: str
    victims: list[PodInfo]
    num_pdb_violations: int
    visit: int = 0


@dataclass
class PreemptionOutcome:
    """What one preemption attempt decided (kept for explanations and tests)."""

    nominated_node: str = ""
    victims: list[PodInfo] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    node_statuses: dict[str, Status] = field(default_factory=dict)


def pick_one_node_for_preemption(candidates: Sequence[Candidate], now_key: float) -> Candidate | None:
    """``pickOneNodeForPreemption``: the tie-break chain of preemption.go, in order.

    1. fewest PDB violations; 2. lowest highest-victim priority; 3. smallest sum of victim
    priorities (each shifted by MaxInt32+1); 4. fewest victims; 5. latest earliest start time
    among the highest-priority victims; 6. the first candidate.
    """
    if not candidates:
        return None

    def highest_priority(c: Candidate) -> int:
        return c.victims[0].priority

    def earliest_start_of_highest(c: Candidate) -> float:
        top = highest_priority(c)
        return min(_start_time(p, now_key) for p in c.victims if p.priority == top)

    score_funcs: list[Callable[[Candidate], float]] = [
        lambda c: -c.num_pdb_violations,
        lambda c: -highest_priority(c),
        lambda c: -sum(p.priority + _MAX_INT32 + 1 for p in c.victims),
        lambda c: -len(c.victims),
        earliest_start_of_highest,
    ]
    remaining = list(candidates)
    for func in score_funcs:
        scores = [func(c) for c in remaining]
        best = max(scores)
        remaining = [c for c, s in zip(remaining, scores, strict=True) if s == best]
        if len(remaining) == 1:
            return remaining[0]
    return remaining[0]


# --------------------------------------------------------------------------- the plugin


NominatedPods = Callable[[str], Sequence["PodInfo"]]
"""Pods nominated to a node (by node name), as the scheduler's nominator knows them."""


class DefaultPreemption(PostFilterPlugin):
    """The ``DefaultPreemption`` PostFilter plugin.

    The scheduler sets ``rng`` (seeded), ``pdbs`` and ``nominated_pods`` after building the
    framework; without them the plugin uses a fresh seed-0 generator, no PDBs and no
    nominated pods.
    """

    name = "DefaultPreemption"

    def __init__(self, args: Mapping[str, Any] | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        self.min_candidate_nodes_percentage = int(self.args.get("minCandidateNodesPercentage", 10))
        self.min_candidate_nodes_absolute = int(self.args.get("minCandidateNodesAbsolute", 100))
        self.rng = random.Random(0)
        self.pdbs: list[DisruptionBudget] = []
        self.nominated_pods: NominatedPods = lambda _node: ()
        self.now_key: float = 0.0
        self.last_outcome: PreemptionOutcome | None = None
        self.draws: list[int] = []
        """The ``num_nodes`` of every start-offset draw since the caller last cleared it."""
        self.arithmetic_reprieve = True
        """Decide reprieves from the node's totals where only resources can change the answer
        (``_reprieve_from_totals``); False runs the Filter plugins for every pod (tests compare)."""

    # --- helpers the Evaluator delegates to ---------------------------------------------------

    def calculate_num_candidates(self, num_nodes: int) -> int:
        """``calculateNumCandidates``: max(N·pct/100, absolute), at most N."""
        n = num_nodes * self.min_candidate_nodes_percentage // 100
        n = max(n, self.min_candidate_nodes_absolute)
        return min(n, num_nodes)

    def offset_and_num_candidates(self, num_nodes: int) -> tuple[int, int]:
        """``GetOffsetAndNumCandidates``: a random start offset (``rand.Int31n``) and the count."""
        self.draws.append(num_nodes)
        return self.rng.randrange(num_nodes), self.calculate_num_candidates(num_nodes)

    def pod_eligible_to_preempt_others(
        self, pod: PodInfo, nominated_status: Status | None
    ) -> tuple[bool, str]:
        """``PodEligibleToPreemptOthers``.

        Victims are deleted at once in the simulation, so no pod is ever "terminating" on the
        nominated node; the nominated-node check therefore always lets the pod try again.
        """
        if pod.preemption_policy == "Never":
            return False, "not eligible due to preemptionPolicy=Never."
        return True, ""

    @property
    def framework(self) -> Framework:
        assert self.handle is not None and self.handle.framework is not None
        return self.handle.framework

    def filter_with_nominated_pods(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int
    ) -> Status:
        """``RunFilterPluginsWithNominatedPods`` on one node (two passes when pods are added)."""
        return run_filter_with_nominated_pods(self.framework, state, pod, snapshot, slot, self.nominated_pods)

    def select_victims_on_node(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int
    ) -> tuple[list[PodInfo], int, Status]:
        """``SelectVictimsOnNode``: remove every lower-priority pod, then reprieve greedily."""
        fwk = self.framework
        node = snapshot.node(slot)
        original = list(node.pods.values())
        original_ports = snapshot.used_ports_of(slot)
        potential = [p for p in original if p.priority < pod.priority]
        if not potential:
            return [], 0, Status.unresolvable(NO_VICTIMS_MESSAGE)
        try:
            for victim in potential:
                snapshot.remove_pod(victim.key)
                status = fwk.run_pre_filter_extension_remove_pod(state, pod, victim, slot)
                if not status.is_success():
                    return [], 0, status
            status = self.filter_with_nominated_pods(state, pod, snapshot, slot)
            if not status.is_success():
                return [], 0, status
            ordered = more_important_first(potential, self.now_key)
            violating, non_violating = filter_pods_with_pdb_violation(ordered, self.pdbs)
            victims: list[PodInfo] = []
            num_violating = 0
            fits_with = (self._reprieve_from_totals(state, pod, snapshot, slot)
                         if self.arithmetic_reprieve else None)

            def reprieve(candidate: PodInfo) -> bool:
                if fits_with is not None:
                    fits = fits_with(candidate)
                    if not fits:
                        victims.append(candidate)
                    return fits
                snapshot.add_pod(candidate, node.name)
                add_status = fwk.run_pre_filter_extension_add_pod(state, pod, candidate, slot)
                if not add_status.is_success():
                    raise _DryRunError(add_status)
                fits = self.filter_with_nominated_pods(state, pod, snapshot, slot).is_success()
                if not fits:
                    snapshot.remove_pod(candidate.key)
                    remove_status = fwk.run_pre_filter_extension_remove_pod(state, pod, candidate, slot)
                    if not remove_status.is_success():
                        raise _DryRunError(remove_status)
                    victims.append(candidate)
                return fits

            for candidate in violating:
                if not reprieve(candidate):
                    num_violating += 1
            for candidate in non_violating:
                reprieve(candidate)
            return victims, num_violating, SUCCESS
        except _DryRunError as exc:
            return [], 0, exc.status
        finally:
            _restore_node(snapshot, node.name, original, original_ports)

    def _reprieve_from_totals(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int
                          ) -> Callable[[PodInfo], bool] | None:
        """The reprieve check as arithmetic, when only NodeResourcesFit's verdict on the node can
        change as pods come back: every other Filter plugin that runs reads the node alone
        (InterPodAffinity and PodTopologySpread returned Skip, no PreFilter extension runs),
        the pod asks for no host ports and no nominated pod counts on the node.  Then
        ``fits_with(candidate)`` answers what ``RunFilterPluginsWithNominatedPods`` would with
        the candidate back on the node (``fitsRequest``: pod count, then each checked resource),
        keeping the candidate's requests when it stays; None means: run the plugins."""
        fwk = self.framework
        skipped = state.skip_filter_plugins
        for plugin in fwk.plugins(PRE_FILTER):
            if plugin.name not in skipped and plugin.pre_filter_extensions() is not None:  # type: ignore[attr-defined]
                return None
        fit: NodeResourcesFit | None = None
        for plugin in fwk.plugins(FILTER):
            if plugin.name in skipped or plugin.name in _POD_INDEPENDENT_FILTERS:
                continue
            if plugin.name == "NodePorts" and not pod.host_ports:
                continue
            if isinstance(plugin, NodeResourcesFit) and fit is None:
                fit = plugin
                continue
            return None
        if counted_nominated_pods(pod, snapshot, slot, self.nominated_pods):
            return None
        if fit is None:
            return lambda _candidate: True
        columns = fit.checked_resources(pod, snapshot)
        checked = [(name, request) for name, _col, request in columns]
        free = [int(snapshot.allocatable_of(col)[slot]) - int(snapshot.requested_of(col)[slot])
                for _name, col, _request in columns]
        room = [int(snapshot.allowed_pods[slot]) - int(snapshot.pod_count[slot])]

        def fits_with(candidate: PodInfo) -> bool:
            if room[0] - 1 <= 0:  # "Too many pods": pods on the node >= allowed
                return False
            requests = candidate.requests
            for i, (name, request) in enumerate(checked):
                if free[i] - requests.get(name, 0) < request:
                    return False
            room[0] -= 1
            for i, (name, _request) in enumerate(checked):
                free[i] -= requests.get(name, 0)
            return True

        return fits_with

    def dry_run_preemption(
        self,
        state: CycleState,
        pod: PodInfo,
        snapshot: Snapshot,
        potential_slots: Sequence[int],
        offset: int,
        num_candidates: int,
    ) -> tuple[list[Candidate], dict[str, Status], list[Status]]:
        """``DryRunPreemption``: visit nodes from ``offset`` until enough candidates are found."""
        non_violating: list[Candidate] = []
        violating: list[Candidate] = []
        statuses: dict[str, Status] = {}
        errors: list[Status] = []
        count = len(potential_slots)
        # Listeners see only the net effect of the dry run: none, every node is put back.
        with snapshot.muted():
            for i in range(count):
                slot = potential_slots[(offset + i) % count]
                name = snapshot.node(slot).name
                victims, num_violations, status = self.select_victims_on_node(state.clone(), pod, snapshot,
                                                                              slot)
                if status.is_success() and victims:
                    candidate = Candidate(name, victims, num_violations, visit=i)
                    (non_violating if num_violations == 0 else violating).append(candidate)
                    if non_violating and len(non_violating) + len(violating) >= num_candidates:
                        break
                    continue
                if status.is_success():
                    status = Status.error(f'expected at least one victim pod on node "{name}"')
                if status.code is Code.ERROR:
                    errors.append(status)
                statuses[name] = status
        return non_violating + violating, statuses, errors

    def preempt(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot, node_statuses: Mapping[str, Status]
    ) -> tuple[PreemptionOutcome, Status]:
        """``Evaluator.Preempt`` (without the PostFilter's "preemption: " prefix)."""
        outcome = PreemptionOutcome()
        ok, message = self.pod_eligible_to_preempt_others(pod, node_statuses.get(pod.nominated_node_name))
        if not ok:
            return outcome, Status.unschedulable(message)

        # findCandidates / nodesWherePreemptionMightHelp
        order = [int(s) for s in snapshot.order().tolist()]
        if not order:
            return outcome, Status.error("no nodes available")
        potential: list[int] = []
        statuses: dict[str, Status] = {}
        for slot in order:
            name = snapshot.node(slot).name
            status = node_statuses.get(name)
            if status is not None and status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                statuses[name] = Status.unresolvable(NOT_HELPFUL_MESSAGE)
                continue
            potential.append(slot)
        candidates: list[Candidate] = []
        errors: list[Status] = []
        if potential:
            offset, num_candidates = self.offset_and_num_candidates(len(potential))
            candidates, dry_statuses, errors = self.dry_run_preemption(
                state, pod, snapshot, potential, offset, num_candidates
            )
            dry_statuses.update(statuses)
            statuses = dry_statuses
        outcome.candidates = candidates
        outcome.node_statuses = statuses
        if errors and not candidates:
            return outcome, Status.error(", ".join(e.message() for e in errors))
        if not candidates:
            return outcome, Status.unschedulable(fit_error_message(len(statuses), statuses))
        best = (
            pick_one_node_for_preemption(candidates, self.now_key) if len(candidates) > 1 else candidates[0]
        )
        assert best is not None
        outcome.nominated_node = best.node
        outcome.victims = list(best.victims)
        return outcome, SUCCESS

    def post_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot, node_statuses: Mapping[str, Status]
    ) -> tuple[PostFilterResult | None, Status]:
        """``DefaultPreemption.PostFilter``: prefix any message with "preemption: "."""
        outcome, status = self.preempt(state, pod, snapshot, node_statuses)
        self.last_outcome = outcome
        if status.is_success():
            return PostFilterResult(outcome.nominated_node, [v.key for v in outcome.victims]), status
        result = PostFilterResult("") if status.code is Code.UNSCHEDULABLE else None
        message = status.message()
        if message:
            status = Status(status.code, (f"preemption: {message}",), status.plugin)
        return result, status


class _DryRunError(Exception):
    def __init__(self, status: Status) -> None:
        super().__init__(status.message())
        self.status = status


def _restore_node(
    snapshot: Snapshot, node_name: str, original: Sequence[PodInfo], ports: frozenset[HostPort]
) -> None:
    """Put back exactly the pods and used host ports a dry run found on the node.

    Upstream's dry run works on a clone of the NodeInfo; the set of used ports is restored
    verbatim because removing and re-adding pods does not give back the same set (a port two
    pods shared may already have been dropped by an earlier removal).
    """
    slot = snapshot.slot_of(node_name)
    if slot is None:
        return
    node = snapshot.node(slot)
    wanted = {p.key: p for p in original}
    for key, pod in list(node.pods.items()):
        if wanted.get(key) is not pod:
            snapshot.remove_pod(key)
    for key, pod in wanted.items():
        if key not in node.pods:
            snapshot.add_pod(pod, node_name)  # the victims
    # Reprieved pods came back at the end: put every pod in its old place.
    snapshot.reorder_pods(slot, list(wanted))
    snapshot.restore_used_ports(slot, ports)


def counted_nominated_pods(pod: PodInfo, snapshot: Snapshot, slot: int, nominated_pods: NominatedPods
                           ) -> list[PodInfo]:
    """The pods nominated to the node that Filter counts for ``pod``: equal or higher
    priority, not the pod itself, not already bound."""
    return [p for p in nominated_pods(snapshot.node(slot).name)
            if p.priority >= pod.priority and p.key != pod.key and p.key not in snapshot.pods]


def run_filter_with_nominated_pods(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    snapshot: Snapshot,
    slot: int,
    nominated_pods: NominatedPods,
) -> Status:
    """``RunFilterPluginsWithNominatedPods`` for one node.

    Pass 1 adds the node's nominated pods of equal or higher priority (not the pod itself);
    when any were added and pass 1 succeeded, pass 2 runs the filters without them.
    """
    node_name = snapshot.node(slot).name
    nominated = counted_nominated_pods(pod, snapshot, slot, nominated_pods)
    if not nominated:
        return fwk.run_filter_plugins_on_node(state, pod, snapshot, slot)
    first_state = state.clone()
    saved_ports = snapshot.used_ports_of(slot)
    added: list[PodInfo] = []
    with snapshot.muted():  # the nominated pods are gone again at the end
        try:
            for other in nominated:
                snapshot.add_pod(_as_bound_copy(other), node_name)
                added.append(other)
                status = fwk.run_pre_filter_extension_add_pod(first_state, pod, snapshot.pods[other.key],
                                                              slot)
                if not status.is_success():
                    return status
            status = fwk.run_filter_plugins_on_node(first_state, pod, snapshot, slot)
        finally:
            for other in added:
                snapshot.remove_pod(other.key)
            snapshot.restore_used_ports(slot, saved_ports)
    if not status.is_success():
        return status
    return fwk.run_filter_plugins_on_node(state, pod, snapshot, slot)


def _as_bound_copy(pod: PodInfo) -> PodInfo:
    """A shallow copy of a pending pod to account on a node without touching the original."""
    return replace(pod, extra=dict(pod.extra))
