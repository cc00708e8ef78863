"""Synthesise realistic SimKube traces from a small workload spec.

Recorded traces are scarce and private; a spec of a few dozen lines ("300 web
Deployments following the day, batch Jobs arriving at 12 an hour, a nightly CronJob")
gives a reproducible, shareable trace of any size for a CI gate or a benchmark. The
output is an ordinary SimKube v2 trace: the rest of the product (and SimKube itself)
cannot tell it from an exported one.

    spec = load_spec("scenarios/specs/web-and-batch.yaml")
    result = synthesize(spec, seed=7)
    write_trace(result.trace, "web-and-batch.sktrace")

Same spec and seed give the same trace, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pytest_simkube.trace.model import Trace
from pytest_simkube.trace.synth.loader import load_spec, parse_spec, spec_from_dict
from pytest_simkube.trace.synth.recorder import SynthStats, TraceRecorder
from pytest_simkube.trace.synth.spec import SynthSpec
from pytest_simkube.trace.synth.workloads import (
    GroupContext,
    PriorityTable,
    generate_cronjobs,
    generate_deployments,
    generate_jobs,
    generate_pods,
    generate_priority_classes,
)

__all__ = [
    "SynthResult",
    "SynthSpec",
    "SynthStats",
    "load_spec",
    "parse_spec",
    "spec_from_dict",
    "synthesize",
    "synthesize_file",
]


@dataclass(frozen=True, slots=True)
class SynthResult:
    trace: Trace
    stats: SynthStats
    seed: int


def synthesize(spec: SynthSpec, *, seed: int | None = None) -> SynthResult:
    """Generate the trace a spec describes; ``seed`` overrides the spec's own.

    Objects in the returned trace share read-only sub-structures (see
    :mod:`pytest_simkube.trace.synth.recorder`): copy one before editing it in place.
    """
    effective = spec if seed is None else replace(spec, seed=seed)
    recorder = TraceRecorder(effective.start_ts, effective.end_ts)
    generate_priority_classes(effective, recorder)
    priorities = PriorityTable.of(effective)
    for group in effective.workloads:
        ctx = GroupContext(effective, group, recorder)
        if group.kind == "Deployment":
            generate_deployments(ctx)
        elif group.kind == "Job":
            generate_jobs(ctx)
        elif group.kind == "CronJob":
            generate_cronjobs(ctx)
        else:
            generate_pods(ctx, priorities)
    return SynthResult(recorder.build(), recorder.stats, effective.seed)


def synthesize_file(path: str | Path, *, seed: int | None = None) -> SynthResult:
    """Load a spec file and generate its trace."""
    return synthesize(load_spec(path), seed=seed)
