"""The rejecting Status of every node a cycle's Filter examined, stored compactly.

kube-scheduler keeps a ``NodeToStatusMap`` (node name -> Status) in the cycle's
``Diagnosis``; on a 1,000-node cluster where most nodes reject a pod that map is built
every cycle, and most cycles never read it (the pod was scheduled) or read only the reason
counts (the ``FitError`` message, the plugins that rejected it).  :class:`NodeStatusMap`
records Filter's verdict arrays as they come (slots plus an index into a small table of
distinct Status objects) and builds the name -> Status dict only when a caller asks for it
(preemption, explanations).  ``status_counts`` answers the counting questions without it.

Names are resolved through the snapshot when the dict is first built, so the map must be
read before the node set changes; :meth:`freeze` resolves them at once for a caller that
keeps the map longer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from pytest_simkube.engine.scheduler.framework import Status

if TYPE_CHECKING:
    from pytest_simkube.engine.scheduler.snapshot import Snapshot


def reason_summary(weighted: Iterable[tuple[Status, int]]) -> str:
    """Reasons counted over nodes (each status with how many nodes it rejected), as
    ``<count> <reason>`` sorted as strings and comma separated (``FitError.Error()``)."""
    per_reason: dict[str, int] = {}
    for status, count in weighted:
        for reason in status.reasons:
            per_reason[reason] = per_reason.get(reason, 0) + count
    return ", ".join(sorted(f"{n} {reason}" for reason, n in per_reason.items()))


class NodeStatusMap(Mapping[str, Status]):
    """Node name -> rejecting Status, in the order the nodes were examined."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._node_set = snapshot.node_set_version
        self._chunks: list[tuple[np.ndarray, np.ndarray, Sequence[Status]]] = []
        self._dict: dict[str, Status] | None = None
        self._counts: Counter[Status] | None = None
        self._plugin_counts: dict[str, int] | None = None
        self._rejecting: frozenset[str] | None = None
        self._reason_summary: str | None = None

    def add_rejections(self, slots: np.ndarray, index: np.ndarray, table: Sequence[Status]) -> None:
        """Record nodes ``slots`` rejected with ``table[index[i]]`` (every index > 0)."""
        if len(slots) == 0:
            return
        self._counts = self._plugin_counts = self._reason_summary = self._rejecting = None
        if self._dict is not None:
            self._dict.update(zip(self._snapshot.node_names(slots.tolist()),
                                  (table[i] for i in index.tolist()), strict=True))
            return
        self._chunks.append((slots, index, table))

    def __setitem__(self, name: str, status: Status) -> None:
        self._counts = self._plugin_counts = self._reason_summary = self._rejecting = None
        self._materialize()[name] = status

    def _materialize(self) -> dict[str, Status]:
        if self._dict is None:
            if self._chunks and self._snapshot.node_set_version != self._node_set:
                raise RuntimeError("node statuses read after the node set changed; freeze() them first")
            built: dict[str, Status] = {}
            for slots, index, table in self._chunks:
                built.update(zip(self._snapshot.node_names(slots.tolist()),
                                 (table[i] for i in index.tolist()), strict=True))
            self._chunks = []
            self._dict = built
            # The counts stay valid: the same statuses, now under their names.
        return self._dict

    def freeze(self) -> NodeStatusMap:
        """Resolve node names now, so the map stays readable after the cluster changes."""
        self._materialize()
        return self

    def status_counts(self) -> Counter[Status]:
        """How many nodes each distinct Status rejected (no names needed; computed once; do
        not modify)."""
        if self._counts is not None:
            return self._counts
        counts: Counter[Status] = Counter()
        if self._dict is not None:
            counts.update(self._dict.values())
        for _slots, index, table in self._chunks:
            per_entry = np.bincount(index, minlength=len(table)).tolist()
            for entry, count in enumerate(per_entry):
                if count:
                    counts[table[entry]] += count
        self._counts = counts
        return counts

    def plugin_counts(self) -> dict[str, int]:
        """Rejected nodes per plugin name, sorted by name (computed once; do not modify:
        records of identical failed cycles share it)."""
        if self._plugin_counts is None:
            per_plugin: Counter[str] = Counter()
            for status, count in self.status_counts().items():
                if status.plugin:
                    per_plugin[status.plugin] += count
            self._plugin_counts = dict(sorted(per_plugin.items()))
        return self._plugin_counts

    def rejecting_plugins(self) -> frozenset[str]:
        """Names of the plugins whose Status rejected some node (computed once)."""
        if self._rejecting is None:
            counts = self.status_counts()
            self._rejecting = frozenset(s.plugin for s in counts if s.plugin and s.is_rejected())
        return self._rejecting

    def reason_summary(self) -> str:
        """``<count> <reason>`` over the nodes, sorted as strings and comma separated: the
        middle of ``FitError.Error()`` (computed once)."""
        if self._reason_summary is None:
            self._reason_summary = reason_summary(self.status_counts().items())
        return self._reason_summary

    def rejections_where(self, wanted: Callable[[Status], bool]) -> tuple[list[int], list[Status]] | None:
        """Slots of the nodes whose Status satisfies ``wanted`` (asked once per distinct
        Status), with those statuses; None when a named node is no longer in the snapshot."""
        verdicts: dict[Status, bool] = {}

        def keep(status: Status) -> bool:
            answer = verdicts.get(status)
            if answer is None:
                answer = verdicts[status] = wanted(status)
            return answer

        found: list[int] = []
        statuses: list[Status] = []
        if self._dict is not None:
            for name, status in self._dict.items():
                if keep(status):
                    slot = self._snapshot.slot_of(name)
                    if slot is None:
                        return None
                    found.append(slot)
                    statuses.append(status)
        for slots, index, table in self._chunks:
            chosen = [i for i, status in enumerate(table) if i and keep(status)]
            if chosen:
                mask = np.isin(index, chosen)
                found.extend(slots[mask].tolist())
                statuses.extend(table[i] for i in index[mask].tolist())
        return found, statuses

    def __getitem__(self, name: str) -> Status:
        return self._materialize()[name]

    def get(self, name: str, default: Status | None = None) -> Status | None:  # type: ignore[override]
        if not name:
            return default  # no node is nameless: no need to resolve names
        return self._materialize().get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._materialize())

    def __len__(self) -> int:
        if self._dict is None:
            return sum(len(slots) for slots, _index, _table in self._chunks)
        return len(self._dict)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"NodeStatusMap({dict(self._materialize())!r})"
