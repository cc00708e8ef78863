"""``simkube schedule``: the vector input forms, kubectl lists, output formats and bad input."""

from __future__ import annotations

import gzip
import json

import pytest
import yaml

from pytest_simkube.cli import main
from tests.conftest import SCHEDULER_VECTORS, require_reference
from tests.scheduler.cluster_builders import node, pod
from tests.scheduler.conftest import load_vector


def _list(*items):
    return {"apiVersion": "v1", "kind": "List", "items": list(items)}


def _k(obj, kind):
    return {"apiVersion": "v1", "kind": kind, **obj}


@pytest.fixture
def cluster_yaml(tmp_path):
    items = [_k(node("a", cpu="2"), "Node"), _k(node("b", cpu="8"), "Node"),
             _k(node("c", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]), "Node"),
             _k(pod("bound", cpu="1", node_name="a"), "Pod"), _k(pod("web", cpu="1500m"), "Pod"),
             _k(pod("huge", cpu="64"), "Pod")]
    done = _k(pod("finished", cpu="8", node_name="b"), "Pod")
    done["status"] = {"phase": "Succeeded"}
    items.append(done)
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(_list(*items)))
    return path


def test_kubectl_list_explains_the_named_pod_as_json(cli, cluster_yaml):
    result = cli.invoke(main, ["schedule", str(cluster_yaml), "--pod", "default/web", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    by_name = {n["name"]: n for n in out["nodes"]}
    assert by_name["a"]["filter"] == {"code": "Unschedulable", "plugin": "NodeResourcesFit",
                                      "reasons": ["Insufficient cpu"]}
    assert by_name["c"]["filter"]["plugin"] == "TaintToleration"
    assert by_name["b"]["feasible"] and by_name["b"]["total"] == sum(
        s["weighted"] for s in by_name["b"]["scores"].values())
    assert out["selected"] == "b" and out["maxNodes"] == ["b"]   # the Succeeded pod does not occupy b


def test_unschedulable_pod_table_shows_the_fit_error(cli, cluster_yaml):
    result = cli.invoke(main, ["schedule", str(cluster_yaml), "--pod", "huge"])
    assert result.exit_code == 0, result.output
    assert ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
            "2 Insufficient cpu.") in result.output.replace("\n", " ")
    assert "NodeResourcesFit: Insufficient cpu" in result.output


def test_pod_file_and_explain_details(cli, cluster_yaml, tmp_path):
    pod_file = tmp_path / "pod.json"
    pod_file.write_text(json.dumps(_k(pod("newcomer", cpu="100m"), "Pod")))
    result = cli.invoke(main, ["schedule", str(cluster_yaml), "--pod-file", str(pod_file), "--explain"])
    assert result.exit_code == 0, result.output
    assert "chosen node:" in result.output
    assert "scores skipped (PreScore said Skip)" in result.output


def test_several_pending_pods_run_in_sequence(cli, cluster_yaml):
    result = cli.invoke(main, ["schedule", str(cluster_yaml), "--format", "json"])
    assert result.exit_code == 0, result.output
    pods = {p["name"]: p for p in json.loads(result.output)["pods"]}
    assert (pods["web"]["status"], pods["web"]["node"]) == ("bound", "b")
    assert pods["huge"]["status"] == "unschedulable"
    assert pods["huge"]["message"].startswith("0/3 nodes are available: 1 node(s) had untolerated taint "
                                              "{dedicated: gpu}, 2 Insufficient cpu.")
    table = cli.invoke(main, ["schedule", str(cluster_yaml)])
    assert table.exit_code == 0 and "default/huge" in table.output


def test_score_vector_input_matches_its_output(cli, tmp_path):
    path = require_reference(SCHEDULER_VECTORS / "score" / "score-0026.json.gz")
    vector = load_vector(path)
    result = cli.invoke(main, ["schedule", str(path), "--format", "json"])   # a whole vector file, gzip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fitError"] == vector["output"]["fitError"]
    plain = tmp_path / "input.json"
    plain.write_text(json.dumps(vector["input"]))
    again = cli.invoke(main, ["schedule", str(plain), "--format", "json"])
    assert json.loads(again.output)["fitError"] == vector["output"]["fitError"]


def test_config_file_changes_the_weights(cli, cluster_yaml, tmp_path):
    config = tmp_path / "sched.yaml"
    config.write_text(yaml.safe_dump({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "profiles": [{"schedulerName": "default-scheduler", "plugins": {"score": {"enabled": [
            {"name": "TaintToleration", "weight": 7}]}}}]}))
    result = cli.invoke(main, ["schedule", str(cluster_yaml), "--pod", "web", "--config", str(config),
                               "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {"name": "TaintToleration", "weight": 7} in json.loads(result.output)["plugins"]["score"]


@pytest.mark.parametrize(("content", "message"), [
    ("nodes: [{metadata: {}}]\n", "nodes[0].metadata.name: a node needs a name"),
    ("{not json", "invalid JSON"),
    ("kind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n  spec: {}\n", "no Node objects found"),
    ("kind: List\nitems:\n- kind: Node\n  metadata: {name: n}\n  status: {allocatable: {cpu: lots}}\n"
     "- kind: Pod\n  metadata: {name: p}\n  spec: {}\n", "status.allocatable.cpu"),
    ("kind: List\nitems:\n- kind: Node\n  metadata: {name: n}\n- kind: Pod\n  metadata: {name: p}\n"
     "  spec: {containers: [{name: c, resources: {requests: {memory: 1Qi}}}]}\n",
     "items[1].spec.containers[0].resources.requests.memory"),
    ("kind: List\nitems:\n- kind: Node\n  metadata: {name: a}\n- kind: Node\n  metadata: {name: b}\n"
     "  spec: {taints: [{key: k, effect: Sometimes}]}\n- kind: Pod\n  metadata: {name: q}\n  spec: {}\n",
     "items[1].spec.taints[0].effect: unsupported taint effect 'Sometimes'"),
    ("kind: List\nitems:\n- kind: Node\n  metadata: {name: a}\n- kind: Pod\n  metadata: {name: p}\n"
     "  spec: {nodeName: zz}\n- kind: Pod\n  metadata: {name: q}\n  spec: {}\n",
     "items[1].spec.nodeName: pod default/p is bound to unknown node 'zz'"),
])
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = cli.invoke(main, ["schedule", str(path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_pod_and_bound_pod_are_errors(cli, cluster_yaml):
    result = cli.invoke(main, ["schedule", str(cluster_yaml), "--pod", "nope"])
    assert result.exit_code == 2 and "no pending pod named 'nope'" in result.output
    result = cli.invoke(main, ["schedule", str(cluster_yaml), "--pod", "bound"])
    assert result.exit_code == 2 and "already bound" in result.output


def test_gzip_json_input(cli, tmp_path):
    data = {"nodes": [node("n")], "pods": [], "pod": pod("p")}
    path = tmp_path / "in.json.gz"
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    result = cli.invoke(main, ["schedule", str(path), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.output)["selected"] == "n"


def _docs_example():
    from tests.conftest import REPO_ROOT

    text = (REPO_ROOT / "docs" / "scheduler.md").read_text(encoding="utf-8")
    block = text.split("```yaml\n# cluster.yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


def test_docs_example_says_what_the_command_does(cli, tmp_path):
    example = _docs_example()
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(example))
    result = cli.invoke(main, ["schedule", str(path), "--pod", "shop/web", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    nodes = {n["name"]: n for n in out["nodes"]}
    assert nodes["small"]["filter"]["reasons"] == ["Insufficient cpu"]
    assert nodes["gpu"]["filter"]["reasons"] == ["node(s) had untolerated taint {dedicated: gpu}"]
    assert out["selected"] == "big"
    example["items"][-1]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "64"
    path.write_text(yaml.safe_dump(example))
    result = cli.invoke(main, ["schedule", str(path), "--pod", "shop/web", "--format", "json"])
    assert json.loads(result.output)["fitError"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu.")


def test_same_input_and_seed_give_byte_identical_output(cli, tmp_path):
    nodes = [node(f"n{i}") for i in range(6)]   # all tied: the seed decides
    path = tmp_path / "tie.json"
    path.write_text(json.dumps({"nodes": nodes, "pods": [], "pod": pod("p")}))
    def run(seed):
        return cli.invoke(main, ["schedule", str(path), "--format", "json", "--seed", str(seed)]).output

    assert run(5) == run(5)
    picks = {json.loads(run(seed))["selected"] for seed in range(12)}
    assert len(picks) > 1


def test_claims_and_dra_are_reported_as_not_modelled(cli, tmp_path):
    wanted = pod("p", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
                 resourceClaims=[{"name": "gpu", "resourceClaimName": "gpu-claim"}])
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"nodes": [node("n")], "pods": [], "pod": wanted}))
    out = json.loads(cli.invoke(main, ["schedule", str(path), "--format", "json"]).output)
    assert {"VolumeBinding", "VolumeZone", "NodeVolumeLimits", "DynamicResources"} <= set(out["notModelled"])
    assert out["selected"] == "n"
    table = cli.invoke(main, ["schedule", str(path)]).output
    assert "not modelled (VolumeBinding)" in table and "not modelled (DynamicResources)" in table
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"nodes": [node("n")], "pods": [], "pod": pod("q")}))
    plain_out = cli.invoke(main, ["schedule", str(plain), "--format", "json"]).output
    assert "notModelled" not in json.loads(plain_out)


def test_run_vector_input_runs_the_sequence(cli, tmp_path):
    path = require_reference(SCHEDULER_VECTORS / "run" / "run-0000.json.gz")
    vector = load_vector(path)
    plain = tmp_path / "run.json"
    plain.write_text(json.dumps(vector["input"]))
    result = cli.invoke(main, ["schedule", str(plain), "--format", "json"])
    assert result.exit_code == 0, result.output
    got = {p["name"]: p["status"] for p in json.loads(result.output)["pods"]}
    want = {p["name"]: p["status"] for p in vector["output"]["result"]["pods"]}
    assert got == want


def _preemption_cluster(tmp_path, *extra):
    """Two full nodes (web-1 on a, batch-1 on b) and two pending pods, one of them important."""
    def bound(name, node_name, app):
        obj = _k(pod(name, cpu="2", node_name=node_name, labels={"app": app}), "Pod")
        obj["status"] = {"startTime": "2024-01-01T00:00:00Z"}
        return obj

    vip = _k(pod("vip-1", cpu="2", priority=100), "Pod")
    items = [_k(node("a", cpu="2"), "Node"), _k(node("b", cpu="2"), "Node"),
             bound("web-1", "a", "web"), bound("batch-1", "b", "batch"), vip,
             _k(pod("late-1", cpu="1"), "Pod"), *extra]
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(_list(*items)))
    return path


def _pdb(app):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": app, "namespace": "default"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}}


def test_run_form_honours_pod_disruption_budgets(cli, tmp_path):
    victims = {}
    for protected in ("web", "batch"):
        path = _preemption_cluster(tmp_path, _pdb(protected))
        result = cli.invoke(main, ["schedule", str(path), "--format", "json"])
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        victims[protected] = [v["pod"] for v in out["victims"]]
        assert {p["name"]: p["status"] for p in out["pods"]}["vip-1"] == "bound"
    assert victims == {"web": ["default/batch-1"], "batch": ["default/web-1"]}


def test_run_form_bad_pdb_names_its_place(cli, tmp_path):
    bad = _pdb("web")
    bad["spec"]["minAvailable"] = "ten"
    path = _preemption_cluster(tmp_path, bad)
    result = cli.invoke(main, ["schedule", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"simkube: error: {path}: items[6].spec.minAvailable: "
                                     "expected an integer or a percentage, got 'ten'")


def test_run_form_passes_namespace_labels_to_namespace_selectors(cli, tmp_path):
    term = {"labelSelector": {"matchLabels": {"app": "web"}},
            "namespaceSelector": {"matchLabels": {"team": "a"}}, "topologyKey": "kubernetes.io/hostname"}
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    items = [_k(node("a"), "Node"), _k(node("b"), "Node"),
             _k(pod("web", node_name="b", namespace="shop", labels={"app": "web"}), "Pod"),
             _k(pod("p1", affinity=affinity), "Pod"), _k(pod("p2", affinity=affinity), "Pod")]
    placements = {}
    for labels in ({"team": "a"}, {"team": "b"}):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": labels}}
        path = tmp_path / "ns.yaml"
        path.write_text(yaml.safe_dump(_list(*items, namespace)))
        result = cli.invoke(main, ["schedule", str(path), "--format", "json"])
        assert result.exit_code == 0, result.output
        placements[labels["team"]] = sorted((p["name"], p["status"], p.get("node"))
                                            for p in json.loads(result.output)["pods"] if p["name"] != "web")
    assert placements["a"] == [("p1", "bound", "b"), ("p2", "bound", "b")]
    assert [status for _, status, _ in placements["b"]] == ["unschedulable", "unschedulable"]


def test_vector_input_namespaces_serve_the_explained_pod(cli, tmp_path):
    term = {"labelSelector": {"matchLabels": {"app": "web"}},
            "namespaceSelector": {"matchLabels": {"team": "a"}}, "topologyKey": "kubernetes.io/hostname"}
    case = {"nodes": [node("a"), node("b")],
            "pods": [pod("web", node_name="b", namespace="shop", labels={"app": "web"})],
            "pod": pod("p", affinity={"podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [term]}})}
    selected = {}
    for team in ("a", "b"):
        path = tmp_path / "case.json"
        path.write_text(json.dumps({**case, "namespaces": {"shop": {"team": team}}}))
        result = cli.invoke(main, ["schedule", str(path), "--format", "json"])
        assert result.exit_code == 0, result.output
        selected[team] = json.loads(result.output).get("selected")
    assert selected == {"a": "b", "b": None}
    path.write_text(json.dumps({**case, "namespaces": 3}))
    result = cli.invoke(main, ["schedule", str(path)])
    assert result.exit_code == 2
    assert "namespaces: expected a list of Namespace objects or a map" in result.stderr
