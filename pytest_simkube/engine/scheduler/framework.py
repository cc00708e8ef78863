"""The scheduling framework: statuses, cycle state, plugin interfaces and a profile runtime.

Modelled on kube-scheduler's ``pkg/scheduler/framework/interface.go`` (Status, Code, the
extension-point interfaces), ``cycle_state.go`` and ``runtime/framework.go`` (running the
plugins of one profile in order).  The one deliberate difference is vectorisation: Filter and
Score plugins are called with an array of candidate node *slots* (see
:mod:`pytest_simkube.engine.scheduler.snapshot`) so that a plugin can decide thousands of
nodes with a few NumPy operations.  Plugins that think per node implement ``filter`` /
``score`` for one slot and inherit the array versions, which loop.

Plugin contract
---------------
* A plugin class has a class attribute ``name`` (the upstream plugin name) and is built by a
  factory ``factory(args, handle)`` registered in :mod:`.plugins` (``args`` is the plugin's
  ``pluginConfig`` args as a plain dict with the upstream camelCase keys, already defaulted by
  the configuration loader, or ``{}``).
* A plugin takes part in an extension point by subclassing the matching interface below and
  being listed for that point in the profile.
* Plugins never mutate the snapshot during a cycle; per-cycle data goes into
  :class:`CycleState` under the plugin's own key.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from pytest_simkube.engine.scheduler.snapshot import Snapshot
    from pytest_simkube.kube.pods import PodInfo

MAX_NODE_SCORE = 100
"""``framework.MaxNodeScore``: every Score plugin's normalised score lies in [0, 100]."""
MIN_NODE_SCORE = 0

# Extension point names, as in KubeSchedulerConfiguration ``plugins``.
PRE_ENQUEUE = "preEnqueue"
QUEUE_SORT = "queueSort"
PRE_FILTER = "preFilter"
FILTER = "filter"
POST_FILTER = "postFilter"
PRE_SCORE = "preScore"
SCORE = "score"
RESERVE = "reserve"
PERMIT = "permit"
PRE_BIND = "preBind"
BIND = "bind"
POST_BIND = "postBind"
EXTENSION_POINTS = (PRE_ENQUEUE, QUEUE_SORT, PRE_FILTER, FILTER, POST_FILTER, PRE_SCORE, SCORE, RESERVE,
                    PERMIT, PRE_BIND, BIND, POST_BIND)


class Code(enum.Enum):
    """``framework.Code``; the value is the upstream ``Code.String()``."""

    SUCCESS = "Success"
    ERROR = "Error"
    UNSCHEDULABLE = "Unschedulable"
    UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"
    WAIT = "Wait"
    SKIP = "Skip"
    PENDING = "Pending"


@dataclass(frozen=True)
class Status:
    """Result of one plugin call: a code, human-readable reasons and the plugin that decided.

    ``reasons`` are the exact strings kube-scheduler prints; the fit-error message counts them
    across nodes, so they must match upstream word for word.
    """

    code: Code = Code.SUCCESS
    reasons: tuple[str, ...] = ()
    plugin: str = ""
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        # Statuses are counted per node in fit errors: hash once (an Enum hashes in Python).
        object.__setattr__(self, "_hash", hash((self.code.value, self.reasons, self.plugin)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def unschedulable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls(Code.UNSCHEDULABLE, tuple(reasons), plugin)

    @classmethod
    def unresolvable(cls, *reasons: str, plugin: str = "") -> Status:
        """``UnschedulableAndUnresolvable``: preemption cannot help on this node."""
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, tuple(reasons), plugin)

    @classmethod
    def error(cls, message: str, plugin: str = "") -> Status:
        return cls(Code.ERROR, (message,), plugin)

    @classmethod
    def skip(cls, plugin: str = "") -> Status:
        return _SKIP if not plugin else cls(Code.SKIP, (), plugin)

    def is_success(self) -> bool:
        return self.code is Code.SUCCESS

    def is_skip(self) -> bool:
        return self.code is Code.SKIP

    def is_rejected(self) -> bool:
        """``Status.IsRejected``: Unschedulable, UnschedulableAndUnresolvable or Pending."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING)

    def with_plugin(self, plugin: str) -> Status:
        """This status attributed to ``plugin`` (one shared object per distinct pair)."""
        if self.plugin == plugin:
            return self
        key = (self, plugin)
        named = _NAMED.get(key)
        if named is None:
            if len(_NAMED) >= 65_536:
                _NAMED.clear()
            named = _NAMED[key] = Status(self.code, self.reasons, plugin)
        return named

    def message(self) -> str:
        """``Status.Message``: the reasons joined with ", "."""
        return ", ".join(self.reasons)


SUCCESS = Status()
_NAMED: dict[tuple[Status, str], Status] = {}
_SKIP = Status(Code.SKIP)


class CycleState:
    """Data plugins share within one scheduling cycle (``framework.CycleState``).

    Keys are by convention ``"PreFilter" + plugin name`` etc.  ``skip_filter_plugins`` and
    ``skip_score_plugins`` are filled by the runtime when PreFilter / PreScore return Skip.
    """

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter_plugins: set[str] = set()
        self.skip_score_plugins: set[str] = set()

    def read(self, key: str) -> Any:
        """The value written under ``key``; ``KeyError`` when absent (upstream ErrNotFound)."""
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def clone(self) -> CycleState:
        """Shallow copy of the map; values with a ``clone()`` method are cloned (as upstream)."""
        other = CycleState()
        other._data = {k: (v.clone() if hasattr(v, "clone") else v) for k, v in self._data.items()}
        other.skip_filter_plugins = set(self.skip_filter_plugins)
        other.skip_score_plugins = set(self.skip_score_plugins)
        return other


class Handle:
    """What plugins may reach outside themselves (``framework.Handle``).

    ``snapshot`` is the live node/pod table.  ``framework`` is the profile runtime the plugin
    belongs to (set once the profile is built; DefaultPreemption uses it to re-run filters).
    ``namespace_labels(ns)`` answers namespaceSelector lookups; when a namespace is unknown
    it has only ``kubernetes.io/metadata.name``.
    """

    def __init__(self, snapshot: Snapshot, namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
                 ) -> None:
        self.snapshot = snapshot
        self.framework: Framework | None = None
        self._namespace_labels = dict(namespace_labels or {})
        self.version = 0
        """Bumped when namespace labels change (cached scheduling answers depend on them)."""
        self.objects_version: Callable[[str], Hashable] | None = None
        """``objects_version(namespace)`` changes whenever the objects behind
        ``list_objects`` / ``get_object`` (Services, pod controllers) in that namespace may
        have changed; plugins cache what they read from them only when it is set."""

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        labels = self._namespace_labels.get(namespace)
        if labels is None:
            return {"kubernetes.io/metadata.name": namespace}
        return labels

    def set_namespace_labels(self, namespace: str, labels: Mapping[str, str]) -> None:
        merged = dict(labels)
        merged.setdefault("kubernetes.io/metadata.name", namespace)
        self._namespace_labels[namespace] = merged
        self.version += 1


class Plugin:
    """Base of every plugin.  ``name`` is the upstream name used in configs and messages."""

    name: ClassVar[str] = ""

    def __init__(self, args: Mapping[str, Any] | None = None, handle: Handle | None = None) -> None:
        self.args: Mapping[str, Any] = args or {}
        self.handle = handle


# --- extension point interfaces -------------------------------------------------------------

class PreEnqueuePlugin(Plugin):
    """Gate before the pod may enter activeQ (SchedulingGates)."""

    def pre_enqueue(self, pod: PodInfo) -> Status:
        raise NotImplementedError


class QueueSortPlugin(Plugin):
    """Order of activeQ.  ``a`` and ``b`` have ``.pod`` (PodInfo) and ``.timestamp`` (float)."""

    def less(self, a: Any, b: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class PreFilterResult:
    """``framework.PreFilterResult``: ``node_names`` restricts Filter to these nodes (None = all)."""

    node_names: frozenset[str] | None = None

    def merge(self, other: PreFilterResult | None) -> PreFilterResult:
        if other is None or other.node_names is None:
            return self
        if self.node_names is None:
            return other
        return PreFilterResult(self.node_names & other.node_names)


class PreFilterExtensions:
    """Incremental updates of PreFilter state when preemption adds/removes a pod on a node."""

    def add_pod(self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, slot: int) -> Status:
        return SUCCESS

    def remove_pod(self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, slot: int) -> Status:
        return SUCCESS


class PreFilterPlugin(Plugin):
    """Runs once per cycle before Filter.  Return ``Status.skip()`` to skip this plugin's Filter."""

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                   ) -> tuple[PreFilterResult | None, Status]:
        raise NotImplementedError

    def pre_filter_extensions(self) -> PreFilterExtensions | None:
        return None


@dataclass
class FilterVerdicts:
    """Outcome of one Filter plugin over candidate nodes, compact enough for 10,000 nodes.

    ``index[i]`` is 0 when candidate ``i`` passed, else ``k`` meaning ``statuses[k]``.
    ``statuses[0]`` is always :data:`SUCCESS`; failures share Status objects, so a plugin
    that rejects 5,000 nodes for one reason stores one Status.
    """

    index: np.ndarray
    statuses: list[Status] = field(default_factory=lambda: [SUCCESS])
    none_failed: bool = False
    """True when it is known without looking at ``index`` that every candidate passed."""

    @classmethod
    def all_pass(cls, count: int) -> FilterVerdicts:
        return cls(np.zeros(count, dtype=np.int32), [SUCCESS], True)

    @classmethod
    def from_mask(cls, passed: np.ndarray, failure: Status) -> FilterVerdicts:
        """One failure status for every candidate where ``passed`` is False."""
        return cls(np.where(passed, 0, 1).astype(np.int32), [SUCCESS, failure])

    @property
    def passed(self) -> np.ndarray:
        return self.index == 0

    def status(self, i: int) -> Status:
        return self.statuses[int(self.index[i])]


class FilterPlugin(Plugin):
    """Decides whether the pod may run on a node.

    Implement either ``filter`` (one slot) or ``filter_many`` (an int array of slots).  The
    returned statuses need not carry the plugin name; the runtime adds it.
    """

    def filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> Status:
        verdicts = self.filter_many(state, pod, snapshot, np.array([slot], dtype=np.int64))
        return verdicts.status(0)

    def filter_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                    ) -> FilterVerdicts:
        statuses: list[Status] = [SUCCESS]
        positions: dict[Status, int] = {SUCCESS: 0}
        index = np.zeros(len(slots), dtype=np.int32)
        for i, slot in enumerate(slots.tolist()):
            status = self.filter(state, pod, snapshot, slot)
            if status.is_success():
                continue
            pos = positions.get(status)
            if pos is None:
                pos = positions[status] = len(statuses)
                statuses.append(status)
            index[i] = pos
        return FilterVerdicts(index, statuses)


@dataclass
class PostFilterResult:
    """``framework.PostFilterResult`` plus the victims preemption chose (pod keys)."""

    nominated_node_name: str = ""
    victims: list[str] = field(default_factory=list)


class PostFilterPlugin(Plugin):
    """Runs only when no node passed Filter (DefaultPreemption).

    ``node_statuses`` maps node name -> the rejecting Status for every node Filter examined.
    """

    def post_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot,
                    node_statuses: Mapping[str, Status]) -> tuple[PostFilterResult | None, Status]:
        raise NotImplementedError


class PreScorePlugin(Plugin):
    """Runs once before Score with the feasible slots.  ``Status.skip()`` skips its Score."""

    def pre_score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray) -> Status:
        raise NotImplementedError


class ScorePlugin(Plugin):
    """Ranks feasible nodes.

    ``score_many`` returns raw scores (int64 array aligned with ``slots``);
    ``normalize_scores`` (``ScoreExtensions.NormalizeScore``) maps them to [0, 100].  The
    default normalisation is the identity, for plugins whose raw score already is in range.
    The runtime checks the range (upstream errors out otherwise) unless the class sets
    ``scores_in_range = True`` because its formula cannot leave [0, 100].
    """

    scores_in_range: ClassVar[bool] = False

    def score(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int) -> int:
        return int(self.score_many(state, pod, snapshot, np.array([slot], dtype=np.int64))[0])

    def score_many(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                   ) -> np.ndarray:
        return np.fromiter((self.score(state, pod, snapshot, s) for s in slots.tolist()), dtype=np.int64,
                           count=len(slots))

    def normalize_scores(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray,
                         scores: np.ndarray) -> np.ndarray:
        """Return a new array (or ``scores`` itself when unchanged); never modify ``scores``."""
        return scores


class ReservePlugin(Plugin):
    def reserve(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        return SUCCESS

    def unreserve(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        return None


class BindPlugin(Plugin):
    """Binds the pod; the simulator's binder records the decision, the caller applies it."""

    def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        raise NotImplementedError


def default_normalize_score(scores: np.ndarray, reverse: bool, max_priority: int = MAX_NODE_SCORE
                            ) -> np.ndarray:
    """``helper.DefaultNormalizeScore`` (framework/plugins/helper/normalize_score.go).

    ``s = max_priority * s / max_raw`` (integer division); ``reverse`` gives ``max - s``.  With
    ``max_raw == 0`` reverse sets every score to ``max_priority``, else leaves them unchanged.
    """
    scores = np.asarray(scores, dtype=np.int64)
    if scores.size == 0:
        return scores
    max_raw = int(scores.max())
    if max_raw == 0:
        return np.full_like(scores, max_priority) if reverse else scores.copy()
    out = max_priority * scores // max_raw
    return max_priority - out if reverse else out


_INTERFACES: dict[str, type[Plugin]] = {
    PRE_ENQUEUE: PreEnqueuePlugin,
    QUEUE_SORT: QueueSortPlugin,
    PRE_FILTER: PreFilterPlugin,
    FILTER: FilterPlugin,
    POST_FILTER: PostFilterPlugin,
    PRE_SCORE: PreScorePlugin,
    SCORE: ScorePlugin,
    RESERVE: ReservePlugin,
    BIND: BindPlugin,
}


@dataclass(frozen=True)
class ProfilePlugins:
    """The effective plugin lists of one profile, in execution order, with score weights.

    ``points`` maps extension point name -> plugin names; ``weights`` the Score weight per
    plugin; ``args`` the defaulted pluginConfig args per plugin.  This is what the
    configuration loader produces from a KubeSchedulerConfiguration profile.
    """

    scheduler_name: str
    points: Mapping[str, Sequence[str]]
    weights: Mapping[str, int]
    args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    percentage_of_nodes_to_score: int | None = None


class FrameworkError(ValueError):
    """A profile names a plugin that is unknown or that does not implement the point."""


class Framework:
    """One profile's instantiated plugins (``frameworkImpl``), in execution order.

    Built with a registry (name -> factory(args, handle)).  Each plugin is instantiated once
    even when it serves several extension points.
    """

    def __init__(self, profile: ProfilePlugins, registry: Mapping[str, Callable[..., Plugin]],
                 handle: Handle) -> None:
        self.profile = profile
        self.profile_name = profile.scheduler_name
        self.handle = handle
        self.percentage_of_nodes_to_score = profile.percentage_of_nodes_to_score
        self.instances: dict[str, Plugin] = {}
        self.points: dict[str, list[Plugin]] = {}
        for point, names in profile.points.items():
            interface = _INTERFACES.get(point)
            plugins: list[Plugin] = []
            for name in names:
                plugin = self.instances.get(name)
                if plugin is None:
                    factory = registry.get(name)
                    if factory is None:
                        raise FrameworkError(f"plugin {name!r} is not registered")
                    plugin = factory(dict(profile.args.get(name) or {}), handle)
                    self.instances[name] = plugin
                if interface is not None and not isinstance(plugin, interface):
                    raise FrameworkError(f"plugin {name!r} does not extend {point}")
                plugins.append(plugin)
            self.points[point] = plugins
        self.score_weights = {p.name: int(profile.weights.get(p.name, 1)) for p in self.points.get(SCORE, [])}
        handle.framework = self

    def plugins(self, point: str) -> list[Plugin]:
        return self.points.get(point, [])

    def plugin_names(self, point: str) -> list[str]:
        return [p.name for p in self.points.get(point, [])]

    # --- runners used by the cycle, preemption and explanations ---------------------------

    def run_pre_enqueue_plugins(self, pod: PodInfo) -> Status:
        for plugin in self.plugins(PRE_ENQUEUE):
            status = plugin.pre_enqueue(pod)  # type: ignore[attr-defined]
            if not status.is_success():
                return status.with_plugin(plugin.name)
        return SUCCESS

    def run_pre_filter_plugins(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                               ) -> tuple[PreFilterResult | None, Status]:
        """``RunPreFilterPlugins``: Skip marks the plugin's Filter as skipped; a rejection stops.

        When PreFilter results narrow the nodes to none, the status is
        UnschedulableAndUnresolvable "node(s) didn't satisfy plugin(s) [...]" as upstream.
        """
        result: PreFilterResult | None = None
        narrowing: list[str] = []
        for plugin in self.plugins(PRE_FILTER):
            out, status = plugin.pre_filter(state, pod, snapshot)  # type: ignore[attr-defined]
            if status.is_skip():
                state.skip_filter_plugins.add(plugin.name)
                continue
            if not status.is_success():
                return None, status.with_plugin(plugin.name)
            if out is not None and out.node_names is not None:
                narrowing.append(plugin.name)
                result = out if result is None else result.merge(out)
                if not result.node_names:
                    # runtime/framework.go RunPreFilterPlugins: Go prints the slice as [A B].
                    message = (f"node(s) didn't satisfy plugin(s) [{' '.join(narrowing)}] simultaneously"
                               if len(narrowing) > 1 else f"node(s) didn't satisfy plugin {narrowing[0]}")
                    return result, Status.unresolvable(message, plugin=plugin.name)
        return result, SUCCESS

    def active_filter_plugins(self, state: CycleState) -> list[Plugin]:
        return [p for p in self.plugins(FILTER) if p.name not in state.skip_filter_plugins]

    def run_filter_plugins(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                           ) -> tuple[np.ndarray, FilterVerdicts]:
        """Run every active Filter plugin over ``slots``, each on the nodes still passing.

        Returns the pass mask and the verdicts: per candidate an index into a table of
        Statuses (0: passed) naming the first plugin that rejected it, which is exactly what
        ``RunFilterPlugins`` yields node by node.  Kept as arrays: the per-node Status is
        looked up only by whoever needs it (:class:`NodeStatusMap`).
        """
        index = np.zeros(len(slots), dtype=np.int32)
        table: list[Status] = [SUCCESS]
        alive: np.ndarray | None = None
        candidates = slots
        for plugin in self.active_filter_plugins(state):
            if candidates.size == 0:
                break
            verdicts = plugin.filter_many(state, pod, snapshot, candidates)  # type: ignore[attr-defined]
            if verdicts.none_failed:
                continue
            failed = np.flatnonzero(verdicts.index)
            if failed.size == 0:
                continue
            base = len(table) - 1
            table.extend(s.with_plugin(plugin.name) for s in verdicts.statuses[1:])
            positions = failed if alive is None else alive[failed]
            index[positions] = verdicts.index[failed] + base
            alive = np.flatnonzero(index == 0)
            candidates = slots[alive]
        return index == 0, FilterVerdicts(index, table)

    def run_filter_plugins_on_node(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slot: int
                                   ) -> Status:
        """``RunFilterPlugins`` for one node: the first rejecting status, or success."""
        for plugin in self.active_filter_plugins(state):
            status = plugin.filter(state, pod, snapshot, slot)  # type: ignore[attr-defined]
            if not status.is_success():
                return status.with_plugin(plugin.name)
        return SUCCESS

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo,
                                         slot: int) -> Status:
        for plugin in self.plugins(PRE_FILTER):
            if plugin.name in state.skip_filter_plugins:
                continue
            ext = plugin.pre_filter_extensions()  # type: ignore[attr-defined]
            if ext is not None:
                status = ext.add_pod(state, pod, pod_to_add, slot)
                if not status.is_success():
                    return status.with_plugin(plugin.name)
        return SUCCESS

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo,
                                            slot: int) -> Status:
        for plugin in self.plugins(PRE_FILTER):
            if plugin.name in state.skip_filter_plugins:
                continue
            ext = plugin.pre_filter_extensions()  # type: ignore[attr-defined]
            if ext is not None:
                status = ext.remove_pod(state, pod, pod_to_remove, slot)
                if not status.is_success():
                    return status.with_plugin(plugin.name)
        return SUCCESS

    def run_post_filter_plugins(self, state: CycleState, pod: PodInfo, snapshot: Snapshot,
                                node_statuses: Mapping[str, Status]
                                ) -> tuple[PostFilterResult | None, Status]:
        """First PostFilter that succeeds wins; otherwise the last rejection is returned."""
        last: Status = Status.unschedulable()
        for plugin in self.plugins(POST_FILTER):
            result, status = plugin.post_filter(state, pod, snapshot, node_statuses)  # type: ignore[attr-defined]
            if status.is_success():
                return result, status.with_plugin(plugin.name)
            if status.code is Code.ERROR:
                return None, status.with_plugin(plugin.name)
            last = status.with_plugin(plugin.name)
        return None, last

    def run_pre_score_plugins(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                              ) -> Status:
        for plugin in self.plugins(PRE_SCORE):
            status = plugin.pre_score(state, pod, snapshot, slots)  # type: ignore[attr-defined]
            if status.is_skip():
                state.skip_score_plugins.add(plugin.name)
                continue
            if not status.is_success():
                return status.with_plugin(plugin.name)
        return SUCCESS

    def active_score_plugins(self, state: CycleState) -> list[Plugin]:
        return [p for p in self.plugins(SCORE) if p.name not in state.skip_score_plugins]

    def run_score_plugins(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, slots: np.ndarray
                          ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``RunScorePlugins``: per active plugin, (raw, normalised) score arrays over ``slots``.

        The weighted sum is ``Σ weight × normalised``; :func:`weighted_total` computes it.
        """
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for plugin in self.active_score_plugins(state):
            raw = np.asarray(plugin.score_many(state, pod, snapshot, slots), dtype=np.int64)  # type: ignore[attr-defined]
            normalized = np.asarray(
                plugin.normalize_scores(state, pod, snapshot, slots, raw),  # type: ignore[attr-defined]
                dtype=np.int64)
            if normalized is raw:
                normalized = raw.copy()
            if getattr(plugin, "scores_in_range", False):
                pass
            elif normalized.size and (normalized.min() < MIN_NODE_SCORE or normalized.max() > MAX_NODE_SCORE):
                raise FrameworkError(f"plugin {plugin.name} returned a score outside [0, 100]")
            out[plugin.name] = (raw, normalized)
        return out

    def weighted_total(self, scores: Mapping[str, tuple[np.ndarray, np.ndarray]], count: int) -> np.ndarray:
        total = np.zeros(count, dtype=np.int64)
        for name, (_raw, normalized) in scores.items():
            total += self.score_weights.get(name, 1) * normalized
        return total

    def run_reserve_plugins(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        for plugin in self.plugins(RESERVE):
            status = plugin.reserve(state, pod, node_name)  # type: ignore[attr-defined]
            if not status.is_success():
                return status.with_plugin(plugin.name)
        return SUCCESS

    def run_bind_plugins(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        for plugin in self.plugins(BIND):
            status = plugin.bind(state, pod, node_name)  # type: ignore[attr-defined]
            if status.is_skip():
                continue
            return status.with_plugin(plugin.name)
        return Status.error("no bind plugin bound the pod")

