"""SimKube traces: the model, reading every layout SimKube wrote, writing v2, hashes, JSON form.

See ``docs/trace-format.md`` for the formats and DESIGN.md §3.1 for the model's role.
"""

from __future__ import annotations

from pytest_simkube.trace.hashing import (
    json_hash,
    object_spec_hash,
    pod_spec_stable_hash,
    siphash13,
    spec_hash,
    stable_pod_spec,
)
from pytest_simkube.trace.jsonform import trace_from_json, trace_to_json
from pytest_simkube.trace.model import (
    CURRENT_FORMAT_VERSION,
    DEFAULT_POD_SPEC_TEMPLATE_PATHS,
    GVK,
    KubeObject,
    OwnerKey,
    PodLifecycle,
    Trace,
    TraceEvent,
    TracerConfig,
    TrackedObjectConfig,
    object_key,
)
from pytest_simkube.trace.reader import SUPPORTED_VERSIONS, loads_trace, read_trace
from pytest_simkube.trace.writer import dumps_trace, write_trace

__all__ = [
    "CURRENT_FORMAT_VERSION",
    "DEFAULT_POD_SPEC_TEMPLATE_PATHS",
    "GVK",
    "SUPPORTED_VERSIONS",
    "KubeObject",
    "OwnerKey",
    "PodLifecycle",
    "Trace",
    "TraceEvent",
    "TracerConfig",
    "TrackedObjectConfig",
    "dumps_trace",
    "json_hash",
    "loads_trace",
    "object_key",
    "object_spec_hash",
    "pod_spec_stable_hash",
    "read_trace",
    "siphash13",
    "spec_hash",
    "stable_pod_spec",
    "trace_from_json",
    "trace_to_json",
    "write_trace",
]
