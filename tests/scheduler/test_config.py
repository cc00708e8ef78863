"""KubeSchedulerConfiguration v1: defaults, merging, MultiPoint expansion, args, validation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_simkube.config.scheduler import (
    DefaultPreemptionArgs,
    InterPodAffinityArgs,
    NodeResourcesFitArgs,
    PodTopologySpreadArgs,
    ResourceSpec,
    default_scheduler_config,
    load_scheduler_config,
    num_feasible_nodes_to_find,
    parse_scheduler_config,
    parse_scheduler_config_text,
)
from pytest_simkube.errors import ConfigError
from tests.conftest import SCHEDULER_VECTORS, require_reference

HEADER = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration"}


def _config(**fields: Any) -> dict[str, Any]:
    return {**HEADER, **fields}


def _profile(**fields: Any) -> dict[str, Any]:
    return _config(profiles=[{"schedulerName": "default-scheduler", **fields}])


def _vector_files() -> list[Path]:
    if not SCHEDULER_VECTORS.exists():
        return []
    return sorted(SCHEDULER_VECTORS.glob("*/*.json.gz"))


def _load(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


# --------------------------------------------------------------------------- conformance


@pytest.mark.parametrize("path", _vector_files(), ids=lambda p: p.name.split(".")[0])
def test_effective_plugins_match_vectors(path: Path) -> None:
    """Every vector's config (or the default) yields exactly the plugins kube-scheduler used."""
    require_reference(path)
    case = _load(path)
    expected = case["output"].get("plugins")
    text = case["input"].get("config")
    config = parse_scheduler_config_text(text, case["id"]) if text else default_scheduler_config()
    if expected is None:
        # run/ vectors record no plugin lists; their config must still parse into one profile.
        assert config.profile("default-scheduler") is not None
        return
    summary = config.profiles[0].plugins_summary()
    assert {k: v for k, v in summary.items() if k in expected} == expected
    assert set(expected) <= set(summary)


def test_vectors_cover_configs() -> None:
    require_reference(SCHEDULER_VECTORS)
    with_config = [p for p in _vector_files() if _load(p)["input"].get("config")]
    assert len(with_config) >= 5


# --------------------------------------------------------------------------- defaults


def test_defaults() -> None:
    config = default_scheduler_config()
    assert config.pod_initial_backoff_seconds == 1
    assert config.pod_max_backoff_seconds == 10
    assert config.percentage_of_nodes_to_score == 0
    assert config.parallelism == 16
    prof = config.profile("default-scheduler")
    assert prof is not None
    assert prof.plugins["queueSort"] == ("PrioritySort",)
    assert prof.plugins["preEnqueue"] == ("SchedulingGates",)
    assert prof.plugins["bind"] == ("DefaultBinder",)
    assert prof.plugins["postFilter"] == ("DefaultPreemption",)
    assert prof.score_weights == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "VolumeBinding": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }
    fit = prof.args("NodeResourcesFit")
    assert isinstance(fit, NodeResourcesFitArgs)
    assert fit.scoring_strategy.type == "LeastAllocated"
    assert fit.scoring_strategy.resources == (ResourceSpec("cpu", 1), ResourceSpec("memory", 1))
    assert prof.args("DefaultPreemption") == DefaultPreemptionArgs(10, 100)
    assert prof.args("InterPodAffinity") == InterPodAffinityArgs(1)
    assert prof.args("PodTopologySpread") == PodTopologySpreadArgs((), "System")


def test_args_partially_given_are_defaulted() -> None:
    config = parse_scheduler_config(
        _profile(
            pluginConfig=[
                {
                    "name": "NodeResourcesFit",
                    "args": {"scoringStrategy": {"type": "MostAllocated", "resources": [{"name": "cpu"}]}},
                },
                {"name": "DefaultPreemption", "args": {"minCandidateNodesAbsolute": 5}},
            ]
        ),
        "cfg.yaml",
    )
    prof = config.profiles[0]
    fit = prof.args("NodeResourcesFit")
    assert isinstance(fit, NodeResourcesFitArgs)
    assert fit.scoring_strategy.type == "MostAllocated"
    assert fit.scoring_strategy.resources == (ResourceSpec("cpu", 1),)
    assert prof.args("DefaultPreemption") == DefaultPreemptionArgs(10, 5)


def test_percentage_global_and_per_profile() -> None:
    config = parse_scheduler_config(
        _config(
            percentageOfNodesToScore=30,
            profiles=[{"schedulerName": "a"}, {"schedulerName": "b", "percentageOfNodesToScore": 70}],
        ),
        "cfg",
    )
    a, b = config.profiles
    assert config.percentage_for(a) == 30
    assert config.percentage_for(b) == 70


def test_num_feasible_nodes_to_find() -> None:
    assert num_feasible_nodes_to_find(50, 0) == 50
    assert num_feasible_nodes_to_find(500, 0) == 230  # the worked example of schedule_one.go
    assert num_feasible_nodes_to_find(6000, 0) == 300  # 5 % floor
    assert num_feasible_nodes_to_find(1000, 1) == 100  # minFeasibleNodesToFind
    assert num_feasible_nodes_to_find(1000, 100) == 1000


# --------------------------------------------------------------------------- plugin merging


def test_multi_point_disable_removes_everywhere() -> None:
    prof = parse_scheduler_config(
        _profile(plugins={"multiPoint": {"disabled": [{"name": "PodTopologySpread"}]}}), "c"
    ).profiles[0]
    for point in ("preFilter", "filter", "preScore", "score"):
        assert "PodTopologySpread" not in prof.plugins[point]


def test_score_disable_keeps_prescore() -> None:
    prof = parse_scheduler_config(
        _profile(plugins={"score": {"disabled": [{"name": "NodeResourcesBalancedAllocation"}]}}), "c"
    ).profiles[0]
    assert "NodeResourcesBalancedAllocation" not in prof.plugins["score"]
    assert "NodeResourcesBalancedAllocation" in prof.plugins["preScore"]


def test_score_star_disables_all_defaults_and_keeps_enabled() -> None:
    prof = parse_scheduler_config(
        _profile(
            plugins={
                "score": {"disabled": [{"name": "*"}], "enabled": [{"name": "ImageLocality", "weight": 7}]}
            }
        ),
        "c",
    ).profiles[0]
    assert prof.plugins["score"] == ("ImageLocality",)
    assert prof.score_weights == {"ImageLocality": 7}
    assert "TaintToleration" in prof.plugins["filter"]


def test_explicit_score_entries_come_first_with_their_weights() -> None:
    prof = parse_scheduler_config(
        _profile(plugins={"score": {"enabled": [{"name": "ImageLocality", "weight": 9}]}}), "c"
    ).profiles[0]
    assert prof.plugins["score"][0] == "ImageLocality"
    assert prof.score_weights["ImageLocality"] == 9
    assert prof.plugins["score"].count("ImageLocality") == 1


def test_multi_point_weight_override() -> None:
    prof = parse_scheduler_config(
        _profile(plugins={"multiPoint": {"enabled": [{"name": "NodeResourcesFit", "weight": 4}]}}), "c"
    ).profiles[0]
    assert prof.score_weights["NodeResourcesFit"] == 4
    # The default entry is replaced in place, so the order stays the default one.
    assert prof.plugins["score"].index("NodeResourcesFit") == 2


# --------------------------------------------------------------------------- validation


def _error(data: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_scheduler_config(data, "sched.yaml")
    return info.value


@pytest.mark.parametrize(
    ("config", "where", "message"),
    [
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "NodeResourcesFit",
                        "args": {
                            "scoringStrategy": {
                                "type": "LeastAllocated",
                                "resources": [{"name": "cpu", "weight": 101}],
                            }
                        },
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight",
            "Invalid value: 101: resource weight of cpu not in valid range (0, 100]",
        ),
        (
            _profile(
                pluginConfig=[{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "Bogus"}}}]
            ),
            "profiles[0].pluginConfig[0].args.scoringStrategy.type",
            'Unsupported value: "Bogus": supported values: "LeastAllocated", "MostAllocated", '
            '"RequestedToCapacityRatio"',
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "NodeResourcesFit",
                        "args": {"scoringStrategy": {"type": "RequestedToCapacityRatio"}},
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio",
            "Required value: must be specified when type is RequestedToCapacityRatio",
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "NodeResourcesFit",
                        "args": {
                            "scoringStrategy": {
                                "type": "RequestedToCapacityRatio",
                                "requestedToCapacityRatio": {
                                    "shape": [
                                        {"utilization": 50, "score": 1},
                                        {"utilization": 40, "score": 2},
                                    ]
                                },
                            }
                        },
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization",
            "Invalid value: 40: values must be sorted in increasing order",
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "NodeResourcesFit",
                        "args": {
                            "scoringStrategy": {
                                "type": "RequestedToCapacityRatio",
                                "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 11}]},
                            }
                        },
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[0].score",
            "Invalid value: 11: not in valid range [0, 10]",
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "NodeResourcesFit",
                        "args": {
                            "scoringStrategy": {
                                "type": "MostAllocated",
                                "requestedToCapacityRatio": {"shape": []},
                            }
                        },
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio",
            "Forbidden: must be nil when type is not RequestedToCapacityRatio",
        ),
        (
            _profile(pluginConfig=[{"name": "InterPodAffinity", "args": {"hardPodAffinityWeight": 101}}]),
            "profiles[0].pluginConfig[0].args.hardPodAffinityWeight",
            "Invalid value: 101: not in valid range [0, 100]",
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "DefaultPreemption",
                        "args": {"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0},
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.minCandidateNodesPercentage",
            "Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute",
        ),
        (
            _profile(
                pluginConfig=[{"name": "DefaultPreemption", "args": {"minCandidateNodesPercentage": 120}}]
            ),
            "profiles[0].pluginConfig[0].args.minCandidateNodesPercentage",
            "Invalid value: 120: not in valid range [0, 100]",
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "NodeResourcesBalancedAllocation",
                        "args": {"resources": [{"name": "cpu", "weight": 2}]},
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.resources[0].weight",
            "Invalid value: 2: must be 1",
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "PodTopologySpread",
                        "args": {
                            "defaultConstraints": [
                                {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}
                            ]
                        },
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.defaultingType",
            'Invalid value: "System": when .defaultConstraints are not empty',
        ),
        (
            _profile(
                pluginConfig=[
                    {
                        "name": "PodTopologySpread",
                        "args": {
                            "defaultingType": "List",
                            "defaultConstraints": [
                                {"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}
                            ],
                        },
                    }
                ]
            ),
            "profiles[0].pluginConfig[0].args.defaultConstraints[0].maxSkew",
            "Invalid value: 0: not in valid range (0, inf)",
        ),
        (
            _profile(pluginConfig=[{"name": "DefaultPreemption"}, {"name": "DefaultPreemption"}]),
            "profiles[0].pluginConfig[1]",
            'Duplicate value: "DefaultPreemption"',
        ),
        (
            _config(profiles=[{"schedulerName": "a"}, {"schedulerName": "a"}]),
            "profiles[1].schedulerName",
            'Duplicate value: "profiles[0].schedulerName"',
        ),
        (
            _config(percentageOfNodesToScore=101),
            "percentageOfNodesToScore",
            "Invalid value: 101: not in valid range [0-100]",
        ),
        (
            _config(podInitialBackoffSeconds=0),
            "podInitialBackoffSeconds",
            "Invalid value: 0: must be greater than 0",
        ),
        (
            _config(podInitialBackoffSeconds=5, podMaxBackoffSeconds=2),
            "podMaxBackoffSeconds",
            "Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds",
        ),
        (
            _config(parallelism=0),
            "parallelism",
            "Invalid value: 0: should be an integer value greater than zero",
        ),
        (
            _profile(plugins={"score": {"enabled": [{"name": "NoSuchPlugin"}]}}),
            "profiles[0].plugins.score",
            'ScorePlugin "NoSuchPlugin" does not exist',
        ),
        (
            _profile(plugins={"filter": {"enabled": [{"name": "ImageLocality"}]}}),
            "profiles[0].plugins.filter",
            'plugin "ImageLocality" does not extend FilterPlugin plugin',
        ),
        (
            _profile(plugins={"queueSort": {"disabled": [{"name": "*"}]}}),
            "profiles[0].plugins.queueSort",
            'only one queue sort plugin required for profile with scheduler name "default-scheduler", '
            "but got 0",
        ),
    ],
)
def test_validation_messages(config: dict[str, Any], where: str, message: str) -> None:
    err = _error(config)
    assert err.source == "sched.yaml"
    assert err.where == where
    assert err.message.split(" (and ")[0] == message


def test_several_errors_are_all_reported() -> None:
    err = _error(_config(percentageOfNodesToScore=-1, podInitialBackoffSeconds=0))
    assert err.where == "percentageOfNodesToScore"
    assert "podInitialBackoffSeconds: Invalid value: 0" in err.message


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (_config(bogus=1), "bogus"),
        (_config(profiles=[{"schedulerName": "x", "plugin": {}}]), "profiles[0].plugin"),
        (_profile(plugins={"score": {"enable": []}}), "profiles[0].plugins.score.enable"),
        (
            _profile(pluginConfig=[{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"typo": 1}}}]),
            "profiles[0].pluginConfig[0].args.scoringStrategy.typo",
        ),
        (
            _profile(pluginConfig=[{"name": "InterPodAffinity", "args": {"hardPodAffinityWeigth": 1}}]),
            "profiles[0].pluginConfig[0].args.hardPodAffinityWeigth",
        ),
    ],
)
def test_unknown_fields_are_errors(config: dict[str, Any], where: str) -> None:
    err = _error(config)
    assert err.where == where
    assert "unknown field" in err.message


def test_unknown_field_wording() -> None:
    err = _error(_config(percentageOfNodeToScore=5))
    assert err.message == 'strict decoding error: unknown field "percentageOfNodeToScore"'
    err = _error(
        _profile(pluginConfig=[{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"resourcess": []}}}])
    )
    assert err.message == (
        "strict decoding error: decoding args for plugin NodeResourcesFit: "
        'strict decoding error: unknown field "scoringStrategy.resourcess"'
    )


def test_wrong_types_and_header() -> None:
    assert _error({**HEADER, "apiVersion": "kubescheduler.config.k8s.io/v1beta3"}).where == "apiVersion"
    assert _error({**HEADER, "kind": "Pod"}).where == "kind"
    err = _error(_config(percentageOfNodesToScore="ten"))
    assert (err.where, err.message) == ("percentageOfNodesToScore", "expected an integer, got string")
    err = _error(
        _profile(pluginConfig=[{"name": "NodeResourcesFit", "args": {"kind": "InterPodAffinityArgs"}}])
    )
    assert err.where == "profiles[0].pluginConfig[0].args.kind"


def test_load_yaml_and_json_files(tmp_path: Path) -> None:
    data = _profile(pluginConfig=[{"name": "InterPodAffinity", "args": {"hardPodAffinityWeight": 7}}])
    yaml_path = tmp_path / "sched.yaml"
    yaml_path.write_text(yaml.safe_dump(data))
    json_path = tmp_path / "sched.json"
    json_path.write_text(json.dumps(data))
    for path in (yaml_path, json_path):
        prof = load_scheduler_config(path).profiles[0]
        assert prof.args("InterPodAffinity") == InterPodAffinityArgs(7)


def test_load_reports_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        load_scheduler_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: x\n  kind: [\n")
    with pytest.raises(ConfigError) as info:
        load_scheduler_config(bad)
    assert info.value.source == str(bad)
    assert info.value.where is not None and info.value.where.startswith("line ")
    assert str(bad) in str(info.value)
