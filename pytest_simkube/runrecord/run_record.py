"""The RunRecord: header (who ran what), the timeline, and wall-clock engine statistics.

The header and timeline are deterministic: the same scenario and seed give the same
bytes. Wall-clock figures (how long the engine took) cannot be, so they live apart in
:class:`EngineStats`, serialised as the *last* line of the file; comparing two runs means
comparing everything before that line (``dumps(record, engine_stats=False)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_simkube.runrecord.records import Record

FORMAT_VERSION = 1


@dataclass(slots=True)
class RunHeader:
    """Scenario identity and run parameters.

    ``complete`` is False when the run was interrupted (Ctrl-C, timeout): metrics of an
    incomplete record describe a prefix of the run only. ``prices`` maps node group ->
    dollars per node-hour so cost can be computed from the record alone.
    """

    scenario: str
    seed: int
    engine: str = "embedded"
    complete: bool = True
    scenario_path: str = ""
    trace: str = ""
    duration: float = 0.0
    """Virtual (or wall) seconds the run covered: the end of the timeline window."""
    prices: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class EngineStats:
    """Non-deterministic facts about the run itself (never part of a byte comparison)."""

    wall_seconds: float = 0.0
    peak_memory_bytes: int = 0


@dataclass(slots=True)
class RunRecord:
    header: RunHeader
    records: list[Record] = field(default_factory=list)
    stats: EngineStats | None = None

    def append(self, record: Record) -> None:
        self.records.append(record)
