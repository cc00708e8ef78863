"""The RunRecord: the timeline every engine writes and metrics/expectations/reports read."""

from __future__ import annotations

from pytest_simkube.runrecord.jsonl import (
    RunRecordError,
    dumps,
    loads,
    read_run_record,
    write_run_record,
)
from pytest_simkube.runrecord.records import (
    POD_DELETE_REASONS,
    RECORD_TYPES,
    NodeAdded,
    NodeReady,
    NodeRemoved,
    PodCreated,
    PodDeleted,
    PodFinished,
    PodRunning,
    PodScheduled,
    PodUnschedulable,
    Record,
    ScaleDown,
    ScaleUp,
)
from pytest_simkube.runrecord.run_record import FORMAT_VERSION, EngineStats, RunHeader, RunRecord

__all__ = [
    "FORMAT_VERSION", "POD_DELETE_REASONS", "RECORD_TYPES", "EngineStats", "NodeAdded", "NodeReady",
    "NodeRemoved", "PodCreated", "PodDeleted", "PodFinished", "PodRunning", "PodScheduled",
    "PodUnschedulable", "Record", "RunHeader", "RunRecord", "RunRecordError", "ScaleDown", "ScaleUp",
    "dumps", "loads", "read_run_record", "write_run_record",
]
