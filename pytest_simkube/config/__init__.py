"""The proposed configuration under test: scheduler, autoscaler and manifest patches.

``pytest_simkube.config.scheduler`` holds the KubeSchedulerConfiguration v1 model;
``pytest_simkube.config.autoscaler`` the cluster-autoscaler options. Import them from
their modules; this package re-exports only the autoscaler names, so importing it never
pulls in the scheduler model.
"""

from __future__ import annotations

from pytest_simkube.config.autoscaler import (
    OPTION_SPECS,
    AutoscalerOptions,
    NodeGroupAutoscalingOptions,
    default_autoscaler_options,
    parse_autoscaler_options,
    parse_node_group_options,
)

__all__ = [
    "OPTION_SPECS",
    "AutoscalerOptions",
    "NodeGroupAutoscalingOptions",
    "default_autoscaler_options",
    "parse_autoscaler_options",
    "parse_node_group_options",
]
