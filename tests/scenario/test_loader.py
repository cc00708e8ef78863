"""Loading scenarios: the happy path with every default, and each error naming file, line and key."""

from __future__ import annotations

import pytest

from pytest_simkube.config.scheduler import SchedulerConfiguration
from pytest_simkube.errors import ConfigError, ScenarioError
from pytest_simkube.scenario import (
    DEFAULT_PROVISION_DELAY_SECONDS,
    NODE_GROUP_LABEL,
    load_scenario,
    parse_scenario,
)
from tests.scenario.scenario_files import SCENARIO, write_scenario_folder


def test_realistic_scenario_loads_with_resolved_paths_and_defaults(tmp_path):
    path = write_scenario_folder(tmp_path)
    scenario = load_scenario(path)
    assert scenario.name == "checkout-burst"
    assert scenario.description.startswith("Checkout scales")
    assert scenario.path == path
    assert scenario.trace_path == (tmp_path / "traces" / "shop.sktrace").resolve()
    assert scenario.duration_seconds == 7200.0
    assert scenario.seed == 7

    general, gpu = scenario.cluster.node_groups
    assert (general.name, general.min_size, general.max_size) == ("general-m5-2xl", 3, 50)
    assert general.price_per_hour == 0.384
    assert general.provision_delay_seconds == 45.0
    assert general.template.cpu_millis == 8000
    assert general.template.memory_bytes == 32 * 2**30
    assert general.template.pods == 110
    assert general.zones == ["us-east-1a", "us-east-1b"]
    assert (gpu.min_size, gpu.zones) == (0, None)
    assert gpu.provision_delay_seconds == DEFAULT_PROVISION_DELAY_SECONDS
    assert gpu.template.extended == {"nvidia.com/gpu": 1}
    assert gpu.autoscaling.scale_down_unneeded_time == 120.0
    assert gpu.autoscaling_options(scenario.config.autoscaler).scale_down_utilization_threshold == 0.5
    assert general.autoscaling_options(scenario.config.autoscaler).scale_down_unneeded_time == 300.0
    assert gpu.template.taints == [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]

    (system,) = scenario.cluster.nodes
    assert system["metadata"]["name"] == "system"
    assert system["spec"]["taints"] == [{"key": "dedicated", "value": "system", "effect": "NoSchedule"}]
    assert len(scenario.cluster.initial_nodes()) == 1 + 3

    assert isinstance(scenario.config.scheduler, SchedulerConfiguration)
    assert scenario.config.scheduler_path == (tmp_path / "config" / "kube-scheduler.yaml").resolve()
    autoscaler = scenario.config.autoscaler
    assert autoscaler.scale_down_unneeded_time == 300.0
    assert autoscaler.scan_interval == 10.0  # default
    (patch,) = scenario.config.patches
    assert patch.target == "apps/v1 Deployment shop/checkout"
    patch_file = (tmp_path / "patches/requests.yaml").resolve()
    assert scenario.config.files() == [scenario.config.scheduler_path, patch_file]

    assert [e.text for e in scenario.expectations] == [
        "pods.unschedulable == 0", "pods.pending_seconds.p99 <= 30s", "nodes.peak <= 40",
        "cost.node_hours <= baseline * 1.05"]
    expected_lines = [line_of(SCENARIO, "- " + e.text) for e in scenario.expectations]
    assert [e.line for e in scenario.expectations] == expected_lines
    assert scenario.expectations[0].line == 35
    assert scenario.expectations[0].source == str(path)


def test_load_trace_applies_the_patches(tmp_path):
    scenario = load_scenario(write_scenario_folder(tmp_path))
    patched = scenario.load_trace()
    raw = scenario.load_trace(patched=False)
    cpu = [obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
           for event in patched.events for obj in event.applied_objs if obj["metadata"]["name"] == "checkout"]
    assert cpu == ["1200m", "1200m"]
    assert raw.events[0].applied_objs[0]["spec"]["template"]["spec"]["containers"][0]["resources"][
        "requests"]["cpu"] == "500m"


def test_group_node_manifests(tmp_path):
    general = load_scenario(write_scenario_folder(tmp_path)).cluster.node_groups[0]
    node = general.node_manifest(1)
    assert node["apiVersion"] == "v1" and node["kind"] == "Node"
    assert node["metadata"]["name"] == "general-m5-2xl-1"
    assert node["metadata"]["labels"] == {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "m5.2xlarge",
        "topology.kubernetes.io/zone": "us-east-1b",
        NODE_GROUP_LABEL: "general-m5-2xl",
        "pool": "general",
        "kubernetes.io/hostname": "general-m5-2xl-1",
    }
    assert node["spec"] == {"providerID": "simkube://general-m5-2xl-1"}
    expected = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    assert node["status"] == {"capacity": expected, "allocatable": expected}
    zones = [general.node_manifest(i)["metadata"]["labels"]["topology.kubernetes.io/zone"] for i in range(4)]
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1a", "us-east-1b"]


def test_static_node_shorthand_count_and_full_manifests(tmp_path):
    text = SCENARIO.replace("""    - name: system
      cpu: "4"
      memory: 16Gi
      labels: {role: system}
      taints: [{key: dedicated, value: system, effect: NoSchedule}]
""", """    - {name: worker, count: 3, cpu: 3500m, memory: 15Gi, pods: 58, zone: us-east-1c,
       instanceType: m5.xlarge}
    - apiVersion: v1
      kind: Node
      metadata: {name: legacy, labels: {disk: ssd}}
      status: {capacity: {cpu: "2", memory: 8Gi, pods: "30"}}
""")
    scenario = parse_scenario(text, write_scenario_folder(tmp_path))
    names = [node["metadata"]["name"] for node in scenario.cluster.nodes]
    assert names == ["worker-0", "worker-1", "worker-2", "legacy"]
    worker = scenario.cluster.nodes[1]
    assert worker["status"]["allocatable"] == {"cpu": "3500m", "memory": "15Gi", "pods": "58",
                                               "ephemeral-storage": "100Gi"}
    assert worker["metadata"]["labels"]["topology.kubernetes.io/zone"] == "us-east-1c"
    assert worker["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "m5.xlarge"
    legacy = scenario.cluster.nodes[3]
    assert legacy["status"]["allocatable"] == {"cpu": "2", "memory": "8Gi", "pods": "30"}
    assert legacy["metadata"]["labels"] == {"disk": "ssd", "kubernetes.io/hostname": "legacy"}


def test_minimal_scenario_defaults(tmp_path):
    write_scenario_folder(tmp_path)
    path = tmp_path / "minimal.simkube.yaml"
    path.write_text("trace: traces/shop.sktrace\ncluster:\n  nodes: [{name: n1, cpu: '4', memory: 8Gi}]\n")
    scenario = load_scenario(path)
    assert scenario.name == "minimal"
    assert (scenario.duration_seconds, scenario.seed, scenario.description) == (None, 0, None)
    assert scenario.config.scheduler is None and scenario.config.scheduler_path is None
    assert scenario.config.autoscaler.to_flags() == []
    assert scenario.config.patches == [] and scenario.expectations == []


def test_inline_scheduler_config_and_inline_patch(tmp_path):
    text = SCENARIO.replace("  scheduler: config/kube-scheduler.yaml\n", """  scheduler:
    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    percentageOfNodesToScore: 50
""").replace("  patches: [patches/requests.yaml]\n", """  patches:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: catalog, namespace: shop}
      spec: {replicas: 5}
""")
    scenario = parse_scenario(text, write_scenario_folder(tmp_path))
    assert isinstance(scenario.config.scheduler, SchedulerConfiguration)
    assert scenario.config.scheduler_path is None
    (patch,) = scenario.config.patches
    assert patch.path is None and patch.target == "apps/v1 Deployment shop/catalog"
    events = scenario.load_trace().events
    replicas = [obj["spec"]["replicas"] for event in events for obj in event.applied_objs
                if obj["metadata"]["name"] == "catalog"]
    assert replicas == [5]


def line_of(text: str, marker: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if marker in line)


@pytest.mark.parametrize(
    ("old", "new", "marker", "key", "message"),
    [
        ("seed: 7", "sede: 7", "sede", "sede", "unknown key 'sede' (did you mean 'seed'?)"),
        ("expect:", "expectations:", "expectations:", "expectations",
         "unknown key 'expectations' (did you mean 'expect'?)"),
        ("      min: 3", "      mni: 3", "mni:", "cluster.nodeGroups[0].mni", "(did you mean 'min'?)"),
        ("nodeGroups:", "nodegroups:", "nodegroups:", "cluster.nodegroups", "(did you mean 'nodeGroups'?)"),
        ("      max: 50", "      max: fifty", "max: fifty", "cluster.nodeGroups[0].max",
         "expected an integer, got str 'fifty'"),
        ("      min: 3", "      min: -1", "min: -1", "cluster.nodeGroups[0].min", "must be >= 0, got -1"),
        ("      min: 3", "      min: 60", "min: 60", "cluster.nodeGroups[0].min",
         "min (60) is greater than max (50)"),
        ('        cpu: "8"\n        memory: 61Gi', '        cpu: 8 cores\n        memory: 61Gi', "8 cores",
         "cluster.nodeGroups[1].template.cpu", "quantities must match the regular expression"),
        ("memory: 61Gi", "memory: -61Gi", "-61Gi", "cluster.nodeGroups[1].template.memory",
         "must be positive"),
        ("provisionDelay: 45s", "provisionDelay: 45 sec", "45 sec", "cluster.nodeGroups[0].provisionDelay",
         "unknown unit ' sec' in duration '45 sec'"),
        ("duration: 2h", "duration: 2 hours", "duration:", "duration", "in duration '2 hours'"),
        ("price: 0.384", "price: -1", "price: -1", "cluster.nodeGroups[0].price", "must be >= 0"),
        ("- name: gpu-p3", "- name: general-m5-2xl  # again", "# again", "cluster.nodeGroups[1].name",
         "duplicate node group name 'general-m5-2xl' (also cluster.nodeGroups[0])"),
        ("- name: gpu-p3", "- name: GPU_p3", "GPU_p3", "cluster.nodeGroups[1].name",
         "invalid node group name"),
        ("labels: {pool: general}", "labels: {pool: yes}", "pool: yes",
         "cluster.nodeGroups[0].template.labels.pool",
         "values must be strings (quote it: 'True')"),
        ("effect: NoSchedule}]\n  nodeGroups", "effect: NoSchedul}]\n  nodeGroups", "NoSchedul}",
         "cluster.nodes[0].taints[0].effect",
         "taint effect must be one of NoSchedule, PreferNoSchedule, NoExecute"),
        ("extended: {nvidia.com/gpu: 1}", "extended: {gpu: 1}", "extended:",
         "cluster.nodeGroups[1].template.extended.gpu",
         "domain-qualified"),
        ("seed: 7", "seed: -7", "seed:", "seed", "must be >= 0"),
        ("zones: [us-east-1a, us-east-1b]", "zones: [us-east-1a, us-east-1a]", "zones:",
         "cluster.nodeGroups[0].zones", "zones repeat"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path, old, new, marker, key, message):
    path = write_scenario_folder(tmp_path)
    assert old in SCENARIO
    text = SCENARIO.replace(old, new, 1)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, path)
    error = info.value
    assert error.source == str(path)
    assert error.where == f"line {line_of(text, marker)}, key '{key}'"
    assert message in error.message
    assert str(error).startswith(f"{path}: line ")


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("trace: traces/shop.sktrace", "trace: traces/missing.sktrace", "trace",
         "trace file 'traces/missing.sktrace' not found"),
        ("scheduler: config/kube-scheduler.yaml", "scheduler: config/nope.yaml", "config.scheduler",
         "scheduler configuration file 'config/nope.yaml' not found"),
        ("patches: [patches/requests.yaml]", "patches: [patches/nope.yaml]", "config.patches[0]",
         "patch file 'patches/nope.yaml' not found"),
        ("trace: traces/shop.sktrace", "trace: traces", "trace", "trace path 'traces' is not a file"),
    ],
)
def test_missing_files_are_resolved_relative_to_the_scenario(tmp_path, old, new, key, message):
    path = write_scenario_folder(tmp_path / "deep" / "folder")
    text = SCENARIO.replace(old, new)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, path)
    assert info.value.where == f"line {line_of(text, new.split(':')[0] + ':')}, key '{key}'"
    assert message in info.value.message
    assert str(path.parent) in info.value.message


def test_structural_errors(tmp_path):
    path = write_scenario_folder(tmp_path)
    cases = [
        ("", None, "the scenario file is empty"),
        ("a: 1\n---\nb: 2\n", None, "expected exactly one YAML document"),
        ("- just\n- a list\n", "line 1", "expected a scenario mapping, got a list"),
        ("name: x\ncluster: {}\n", "line 1", "missing required key 'trace'"),
        ("trace: traces/shop.sktrace\ncluster: {}\n", "line 2, key 'cluster'", "the cluster has no nodes"),
        ("trace: traces/shop.sktrace\nseed: 1\nseed: 2\n", "line 3, key 'seed'",
         "duplicate key 'seed' (first given on line 2)"),
        ("trace: traces/shop.sktrace\ncluster: {nodes: [\n", "line 3, column 1", "invalid YAML"),
        ("trace: traces/shop.sktrace\nname: 'two words'\n", "line 2, key 'name'", "invalid scenario name"),
        ("trace: traces/shop.sktrace\ncluster: {nodes: [{name: a, cpu: '1', memory: 1Gi}]}\n"
         "expect: [nodes.peek <= 3]\n", "line 3, key 'expect[0]'",
         "unknown metric 'nodes.peek' (did you mean 'nodes.peak'?)"),
    ]
    for text, where, message in cases:
        with pytest.raises(ScenarioError) as info:
            parse_scenario(text, path)
        assert info.value.source == str(path), text
        assert info.value.where == where, text
        assert message in info.value.message, text


def test_static_node_names_must_not_clash(tmp_path):
    path = write_scenario_folder(tmp_path)
    text = SCENARIO.replace("    - name: system\n", "    - name: general-m5-2xl-7\n")
    with pytest.raises(ScenarioError, match="static node 'general-m5-2xl-7' would clash"):
        parse_scenario(text, path)
    twice = SCENARIO.replace("  nodes:\n", "  nodes:\n    - {name: system, cpu: '2', memory: 4Gi}\n")
    with pytest.raises(ScenarioError, match="node name 'system' is used twice"):
        parse_scenario(twice, path)


def test_autoscaler_errors_carry_the_scenario_line(tmp_path):
    path = write_scenario_folder(tmp_path)
    text = SCENARIO.replace("scale-down-unneeded-time: 5m", "scale-down-unneded-time: 5m")
    with pytest.raises(ConfigError) as info:
        parse_scenario(text, path)
    key = "config.autoscaler.scale-down-unneded-time"
    assert info.value.where == f"line {line_of(text, 'autoscaler:')}, key '{key}'"
    assert "did you mean 'scale-down-unneeded-time'?" in info.value.message


def test_scheduler_config_errors(tmp_path):
    path = write_scenario_folder(tmp_path)
    (tmp_path / "config" / "kube-scheduler.yaml").write_text(
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
        "percentageOfNodesToScore: 150\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.source.endswith("kube-scheduler.yaml")
    assert "percentageOfNodesToScore" in str(info.value)

    inline = SCENARIO.replace("  scheduler: config/kube-scheduler.yaml\n", """  scheduler:
    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    profiles:
      - schedulerName: default-scheduler
        plugins: {score: {enabled: [{name: NodeResourcesFitt}]}}
""")
    with pytest.raises(ConfigError) as info:
        parse_scenario(inline, path)
    assert info.value.source == str(path)
    key = "config.scheduler.profiles[0].plugins.score"
    assert info.value.where == f"line {line_of(inline, 'plugins:')}, key '{key}'"
    assert '"NodeResourcesFitt" does not exist' in info.value.message


def test_patch_that_addresses_nothing_fails_when_the_trace_is_loaded(tmp_path):
    path = write_scenario_folder(tmp_path)
    (tmp_path / "patches" / "requests.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: chekout, namespace: shop}\n"
        "spec: {replicas: 2}\n")
    scenario = load_scenario(path)
    with pytest.raises(ConfigError) as info:
        scenario.load_trace()
    assert info.value.source.endswith("requests.yaml")
    assert info.value.where == "document 1 (line 1)"
    assert "addresses apps/v1 Deployment shop/chekout, which the trace never applies" in info.value.message


def test_yaml_anchors_merge_keys_and_x_extension_keys(tmp_path):
    write_scenario_folder(tmp_path)
    text = """\
trace: traces/shop.sktrace
x-node: &node {cpu: "8", memory: 32Gi}
cluster:
  nodeGroups:
    - &general {name: general, max: 3, template: *node}
    - <<: *general
      name: general-b
"""
    scenario = parse_scenario(text, tmp_path / "anchors.simkube.yaml")
    assert [(g.name, g.max_size, g.template.cpu_millis) for g in scenario.cluster.node_groups] == [
        ("general", 3, 8000), ("general-b", 3, 8000)]
