"""The loaded scenario: frozen, typed, every path resolved and every default filled in.

Engines, the pytest plugin and the CLI all read these objects, never the YAML, so the
defaults live in exactly one place (the loader) and ``simkube scenario show`` can print
what a run will really use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simkube.config.autoscaler import AutoscalerOptions, NodeGroupAutoscalingOptions
from pytest_simkube.expect.model import Expectation
from pytest_simkube.kube.duration import format_duration
from pytest_simkube.scenario.nodes import NODE_GROUP_LABEL, NodeTemplate, build_node

if TYPE_CHECKING:
    from pytest_simkube.config.scheduler import SchedulerConfiguration
    from pytest_simkube.scenario.patches import Patch
    from pytest_simkube.trace.model import Trace

DEFAULT_PROVISION_DELAY_SECONDS = 60.0
"""Scale-up request -> node Ready. About a minute is what a cloud VM takes to boot and
register with the API server (EC2/GCE instance launch plus kubelet start)."""


@dataclass(frozen=True, slots=True)
class NodeGroupSpec:
    """An autoscaled node group: identical nodes between ``min_size`` and ``max_size``."""

    name: str
    min_size: int
    max_size: int
    template: NodeTemplate
    price_per_hour: float = 0.0
    provision_delay_seconds: float = DEFAULT_PROVISION_DELAY_SECONDS
    zones: list[str] | None = None
    autoscaling: NodeGroupAutoscalingOptions = field(default_factory=NodeGroupAutoscalingOptions)
    """Per-group overrides of the cluster-wide autoscaler options (``NodeGroupGetOptions``)."""

    def autoscaling_options(self, defaults: AutoscalerOptions) -> NodeGroupAutoscalingOptions:
        """This group's effective scale-down and provisioning options."""
        return self.autoscaling.resolve(defaults)

    def node_name(self, index: int) -> str:
        return f"{self.name}-{index}"

    def zone_for(self, index: int) -> str | None:
        """Zones are assigned round-robin by node index, like a regional group spreading nodes."""
        return self.zones[index % len(self.zones)] if self.zones else None

    def node_manifest(self, index: int) -> dict[str, Any]:
        """The v1.Node for the group's ``index``-th node (``<group>-<index>``)."""
        name = self.node_name(index)
        return build_node(name, self.template, zone=self.zone_for(index),
                          extra_labels={NODE_GROUP_LABEL: self.name}, provider_id=f"simkube://{name}")

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "name": self.name,
            "min": self.min_size,
            "max": self.max_size,
            "price": self.price_per_hour,
            "provisionDelay": format_duration(self.provision_delay_seconds),
            "template": self.template.to_dict(),
        }
        if self.zones:
            result["zones"] = list(self.zones)
        if self.autoscaling.to_dict():
            result["autoscaling"] = self.autoscaling.to_dict()
        return result


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """Static nodes (full v1.Node manifests) and autoscaled node groups."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    node_groups: list[NodeGroupSpec] = field(default_factory=list)

    def node_group(self, name: str) -> NodeGroupSpec | None:
        return next((group for group in self.node_groups if group.name == name), None)

    def initial_nodes(self) -> list[dict[str, Any]]:
        """Static nodes plus each group's first ``min_size`` nodes: the cluster at time zero."""
        nodes = list(self.nodes)
        for group in self.node_groups:
            nodes.extend(group.node_manifest(index) for index in range(group.min_size))
        return nodes


@dataclass(frozen=True, slots=True)
class ProposedConfig:
    """The change under test: scheduler configuration, autoscaler options, manifest patches."""

    scheduler: SchedulerConfiguration | None = None
    """The proposed KubeSchedulerConfiguration, or None for kube-scheduler's defaults."""
    scheduler_path: Path | None = None
    autoscaler: AutoscalerOptions = field(default_factory=AutoscalerOptions)
    patches: list[Patch] = field(default_factory=list)

    def files(self) -> list[Path]:
        """Every config file the scenario depends on (what a baseline ref must provide)."""
        files = [self.scheduler_path] if self.scheduler_path else []
        for patch in self.patches:
            if patch.path not in files:
                files.append(patch.path)
        return [path for path in files if path is not None]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One ``*.simkube.yaml`` file, loaded and validated."""

    name: str
    path: Path
    trace_path: Path
    duration_seconds: float | None
    seed: int
    cluster: ClusterSpec
    config: ProposedConfig
    expectations: list[Expectation]
    description: str | None = None

    def load_trace(self, *, patched: bool = True) -> Trace:
        """Read the trace; with ``patched`` (the default) the config's patches are applied."""
        from pytest_simkube.scenario.patches import apply_patches
        from pytest_simkube.trace import read_trace  # the trace reader is optional at load time

        trace = read_trace(self.trace_path)
        return apply_patches(trace, self.config.patches) if patched else trace

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario (defaults included), as ``simkube scenario show`` prints it."""
        config: dict[str, Any] = {
            "scheduler": str(self.config.scheduler_path) if self.config.scheduler_path
            else ("inline" if self.config.scheduler is not None else "kube-scheduler defaults"),
            "schedulerProfiles": _scheduler_summary(self.config.scheduler),
            "autoscaler": self.config.autoscaler.to_dict(),
            "patches": [patch.describe() for patch in self.config.patches],
        }
        return {
            "name": self.name,
            "path": str(self.path),
            "description": self.description,
            "trace": str(self.trace_path),
            "duration": format_duration(self.duration_seconds) if self.duration_seconds is not None
            else "trace length + drain",
            "seed": self.seed,
            "cluster": {
                "nodes": [node["metadata"]["name"] for node in self.cluster.nodes],
                "nodeGroups": [group.to_dict() for group in self.cluster.node_groups],
            },
            "config": config,
            "expect": [exp.text for exp in self.expectations],
        }


def _scheduler_summary(scheduler: SchedulerConfiguration | None) -> list[dict[str, Any]]:
    """Each profile's effective settings: what ``show`` prints instead of the raw file."""
    from pytest_simkube.config.scheduler import default_scheduler_config

    config = scheduler if scheduler is not None else default_scheduler_config()
    profiles = []
    for profile in config.profiles:
        summary: dict[str, Any] = {
            "schedulerName": profile.scheduler_name,
            "percentageOfNodesToScore": config.percentage_for(profile),
            "podInitialBackoffSeconds": config.pod_initial_backoff_seconds,
            "podMaxBackoffSeconds": config.pod_max_backoff_seconds,
            "filter": list(profile.plugins.get("filter", ())),
            "score": {name: profile.score_weights[name] for name in profile.plugins.get("score", ())},
        }
        fit = profile.args("NodeResourcesFit")
        strategy = getattr(fit, "scoring_strategy", None)
        if strategy is not None:
            weights = ", ".join(f"{r.name}: {r.weight}" for r in strategy.resources)
            summary["nodeResourcesFitScoring"] = f"{strategy.type} ({weights})"
        profiles.append(summary)
    return profiles
