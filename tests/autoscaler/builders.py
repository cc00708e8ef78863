"""Scenarios with node groups and autoscaler options, run on the kube-scheduler model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_simkube.config.autoscaler import parse_autoscaler_options
from pytest_simkube.engine.context import EngineContext
from pytest_simkube.engine.options import EngineOptions
from pytest_simkube.engine.run import build_engine
from pytest_simkube.runrecord import RunRecord
from pytest_simkube.scenario import ClusterSpec, NodeGroupSpec, NodeTemplate, ProposedConfig, Scenario
from pytest_simkube.trace import Trace
from tests.engine.builders import GIB, container, finish

__all__ = ["GIB", "bare_pod", "build", "container", "group", "kinds", "pdb", "run", "scenario"]


def group(name: str = "g", min_size: int = 1, max_size: int = 10, cpu: int = 4000, memory: int = 16 * GIB,
          delay: float = 45.0, price: float = 0.2, labels: dict | None = None,
          taints: list | None = None) -> NodeGroupSpec:
    template = NodeTemplate(cpu, memory, labels=dict(labels or {}), taints=list(taints or []))
    return NodeGroupSpec(name, min_size, max_size, template, price, delay)


def scenario(groups: list[NodeGroupSpec], nodes: list[dict] | None = None, seed: int = 1,
             **autoscaler: Any) -> Scenario:
    path = Path("/nonexistent/autoscaler.simkube.yaml")
    options = parse_autoscaler_options(autoscaler, None)
    return Scenario("autoscaler", path, path.with_suffix(".sktrace"), None, seed,
                    ClusterSpec(nodes or [], groups), ProposedConfig(autoscaler=options), [])


def build(trace: Trace, groups: list[NodeGroupSpec], nodes: list[dict] | None = None, seed: int = 1,
          **autoscaler: Any) -> tuple[EngineContext, Any]:
    return build_engine(scenario(groups, nodes, seed, **autoscaler), trace, seed, EngineOptions())


def run(trace: Trace, groups: list[NodeGroupSpec], nodes: list[dict] | None = None, seed: int = 1,
        **autoscaler: Any) -> RunRecord:
    ctx, driver = build(trace, groups, nodes, seed, **autoscaler)
    return finish(ctx, driver)


def kinds(record: RunRecord, *names: str) -> list[Any]:
    return [r for r in record.records if r.kind in names]


def bare_pod(name: str, cpu: str = "100m", memory: str = "128Mi", ns: str = "default",
             annotations: dict | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [container(cpu, memory)], **spec}}


def pdb(name: str, app: str, *, ns: str = "default", min_available: Any = None,
        max_unavailable: Any = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": app}}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    if max_unavailable is not None:
        spec["maxUnavailable"] = max_unavailable
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}
