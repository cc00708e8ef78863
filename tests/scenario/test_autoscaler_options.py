"""cluster-autoscaler options: flag names, defaults (config/flags/flags.go), errors, flags out."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_simkube.config.autoscaler import (
    OPTION_SPECS,
    AutoscalerOptions,
    option_names,
    parse_autoscaler_options,
    parse_node_group_options,
)
from pytest_simkube.errors import ConfigError


def test_defaults_are_cluster_autoscalers():
    options = parse_autoscaler_options(None, "s.yaml")
    assert options.scan_interval == 10.0
    assert options.expander == "least-waste"  # flags.go: expander.LeastWasteExpanderName
    assert options.scale_down_utilization_threshold == 0.5
    assert options.scale_down_unneeded_time == 600.0
    assert options.scale_down_unready_time == 1200.0
    assert options.scale_down_delay_after_add == 600.0
    assert options.scale_down_delay_after_delete == 0.0
    assert options.effective_scale_down_delay_after_delete == options.scan_interval
    assert options.scale_down_delay_after_failure == 180.0
    assert options.max_nodes_total == 0
    assert options.max_empty_bulk_delete == 10
    assert options.max_scale_down_parallelism == 10
    assert options.max_drain_parallelism == 1
    assert options.scale_down_enabled is True
    assert options.max_node_provision_time == 900.0
    assert options.new_pod_scale_up_delay == 0.0
    assert options.skip_nodes_with_system_pods is True
    assert options.skip_nodes_with_local_storage is True
    assert options.balance_similar_node_groups is False
    assert options.ignore_daemonsets_utilization is False
    assert options.cores_total == (0, 320000)
    assert options.memory_total == (0, 6400000)
    assert options.expendable_pods_priority_cutoff == -10


def test_option_table_and_dataclass_agree():
    names = {field.name for field in dataclasses.fields(AutoscalerOptions)}
    defaults = AutoscalerOptions()
    for spec in OPTION_SPECS.values():
        assert spec.attribute in names
        assert getattr(defaults, spec.attribute) == spec.default, spec.flag


def test_both_spellings_are_accepted_and_mean_the_same():
    kebab = parse_autoscaler_options({"scale-down-unneeded-time": "5m", "max-nodes-total": 80}, "s.yaml")
    camel = parse_autoscaler_options({"scaleDownUnneededTime": "5m", "maxNodesTotal": 80}, "s.yaml")
    assert kebab == camel
    assert kebab.scale_down_unneeded_time == 300.0
    assert "scaleDownUnneededTime" in option_names() and "scale-down-unneeded-time" in option_names()


def test_to_flags_emits_only_what_was_set_as_real_ca_flags():
    options = parse_autoscaler_options(
        {
            "expander": "priority,least-waste",
            "scaleDownUnneededTime": "90s",
            "scan-interval": "15s",
            "balanceSimilarNodeGroups": True,
            "scaleDownUtilizationThreshold": 0.65,
            "cores-total": "0:640",
            "expanderPriorities": {10: [".*"], 50: ["^gpu-.*"]},
        },
        "s.yaml",
    )
    assert options.to_flags() == [
        "--scan-interval=15s",
        "--expander=priority,least-waste",
        "--scale-down-unneeded-time=1m30s",
        "--scale-down-utilization-threshold=0.65",
        "--cores-total=0:640",
        "--balance-similar-node-groups=true",
    ]
    every = options.to_flags(include_defaults=True)
    assert len(every) == len(OPTION_SPECS)
    assert "--scale-down-delay-after-add=10m0s" in every
    assert "--max-nodes-total=0" in every
    assert options.expanders == ("priority", "least-waste")
    configmap = options.priority_expander_configmap()
    assert configmap["metadata"]["name"] == "cluster-autoscaler-priority-expander"
    assert configmap["data"]["priorities"] == "50:\n  - '^gpu-.*'\n10:\n  - '.*'\n"


@pytest.mark.parametrize(
    ("mapping", "where", "message"),
    [
        (
            {"scaleDownUneededTime": "5m"},
            "line 12, key 'config.autoscaler.scaleDownUneededTime'",
            "unknown cluster-autoscaler option 'scaleDownUneededTime' "
            "(did you mean 'scaleDownUnneededTime'?)",
        ),
        (
            {"scale-down-unneded-time": "5m"},
            "config.autoscaler.scale-down-unneded-time",
            "(did you mean 'scale-down-unneeded-time'?)",
        ),
        (
            {"expander": "least_waste"},
            "config.autoscaler.expander",
            "unknown expander 'least_waste' (did you mean 'least-waste'?)",
        ),
        ({"expander": "priority"}, "config.autoscaler.expander", "needs 'expanderPriorities'"),
        ({"scanInterval": "10x"}, "config.autoscaler.scanInterval", "unknown unit 'x' in duration '10x'"),
        ({"scanInterval": "0s"}, "config.autoscaler.scanInterval", "scan interval must be positive"),
        ({"maxNodesTotal": "80"}, "config.autoscaler.maxNodesTotal", "expected an integer, got '80'"),
        ({"scaleDownEnabled": "yes please"}, "config.autoscaler.scaleDownEnabled", "expected true or false"),
        (
            {"scaleDownUtilizationThreshold": 1.5},
            "config.autoscaler.scaleDownUtilizationThreshold",
            "must be between 0 and 1",
        ),
        (
            {"coresTotal": "8:4"},
            "config.autoscaler.coresTotal",
            "max size must be greater or equal to min size",
        ),
        ({"coresTotal": "8"}, "config.autoscaler.coresTotal", "expected '<min>:<max>'"),
        ({"scanInterval": "10s", "scan-interval": "20s"}, "config.autoscaler.scan-interval", "given twice"),
        ({"estimator": "oracle"}, "config.autoscaler.estimator", "unknown estimator 'oracle'"),
        (
            {"expanderPriorities": {"high": ["a"]}},
            "config.autoscaler.expanderPriorities.high",
            "priority must be an integer",
        ),
        (
            {"expanderPriorities": {10: ["("]}},
            "config.autoscaler.expanderPriorities.10[0]",
            "invalid regular expression '('",
        ),
        (
            {"maxDrainParallelism": 20},
            "config.autoscaler.maxDrainParallelism",
            "cannot exceed max-scale-down-parallelism",
        ),
    ],
)
def test_bad_options_name_file_line_and_key(mapping, where, message):
    lines = {"config.autoscaler.scaleDownUneededTime": 12}
    with pytest.raises(ConfigError) as info:
        parse_autoscaler_options(mapping, "scenarios/a.simkube.yaml", lines=lines)
    assert info.value.source == "scenarios/a.simkube.yaml"
    assert info.value.where == where
    assert message in info.value.message


def test_not_a_mapping():
    with pytest.raises(ConfigError, match="expected a mapping of cluster-autoscaler options, got a list"):
        parse_autoscaler_options(["expander"], "s.yaml")


def test_node_group_overrides_fall_back_to_the_cluster_wide_options():
    cluster = parse_autoscaler_options(
        {"scaleDownUnneededTime": "5m", "maxNodeProvisionTime": "10m"}, "s.yaml"
    )
    overrides = parse_node_group_options(
        {"scaleDownUtilizationThreshold": 0.7, "scaleDownUnneededTime": "1m", "zeroOrMaxNodeScaling": True},
        "s.yaml",
        "cluster.nodeGroups[0].autoscaling",
    )
    resolved = overrides.resolve(cluster)
    assert resolved.scale_down_utilization_threshold == 0.7
    assert resolved.scale_down_unneeded_time == 60.0
    assert resolved.max_node_provision_time == 600.0  # cluster-wide
    assert resolved.scale_down_unready_time == 1200.0  # CA default
    assert resolved.ignore_daemonsets_utilization is False
    assert resolved.zero_or_max_node_scaling is True
    assert overrides.to_dict() == {
        "scaleDownUtilizationThreshold": 0.7,
        "scaleDownUnneededTime": "1m0s",
        "zeroOrMaxNodeScaling": True,
    }
    assert parse_node_group_options(None, "s.yaml", "x").resolve(cluster).scale_down_unneeded_time == 300.0


def test_node_group_override_errors():
    lines = {"cluster.nodeGroups[0].autoscaling.scaleDownUneededTime": 21}
    with pytest.raises(ConfigError) as info:
        parse_node_group_options(
            {"scaleDownUneededTime": "1m"}, "s.yaml", "cluster.nodeGroups[0].autoscaling", lines=lines
        )
    assert info.value.where == "line 21, key 'cluster.nodeGroups[0].autoscaling.scaleDownUneededTime'"
    assert "did you mean 'scaleDownUnneededTime'?" in info.value.message
    # Same hints as every other unknown key in a scenario, including a wrong letter case.
    with pytest.raises(ConfigError,
                       match=r"'SCALEDOWNUNNEEDEDTIME' \(did you mean 'scaleDownUnneededTime'\?\)"):
        parse_node_group_options({"SCALEDOWNUNNEEDEDTIME": "1m"}, "s.yaml", "g")
    with pytest.raises(ConfigError, match=r"unknown expander 'MOST-PODS' \(did you mean 'most-pods'\?\)"):
        parse_autoscaler_options({"expander": "MOST-PODS"}, "s.yaml", "config.autoscaler")
    with pytest.raises(ConfigError, match="must be between 0 and 1"):
        parse_node_group_options({"scaleDownUtilizationThreshold": 2}, "s.yaml", "g")
    with pytest.raises(ConfigError, match="expected true or false"):
        parse_node_group_options({"zeroOrMaxNodeScaling": "yes"}, "s.yaml", "g")
