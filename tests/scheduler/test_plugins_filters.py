"""Filter plugins: verdicts and reason strings word for word (kube-scheduler v1.30)."""

from __future__ import annotations

from pytest_simkube.engine.scheduler.framework import Code
from pytest_simkube.kube.pods import parse_pod
from tests.scheduler.cluster_builders import node, pod
from tests.scheduler.plugin_harness import filter_all, plugin, snapshot_of

GPU_TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def test_node_unschedulable_rejects_cordoned_nodes_unless_tolerated():
    snap = snapshot_of([node("a"), node("b", unschedulable=True)])
    verdicts = filter_all("NodeUnschedulable", snap, pod("p"))
    assert verdicts["a"].is_success()
    assert verdicts["b"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert verdicts["b"].reasons == ("node(s) were unschedulable",)
    tolerant = pod(
        "p",
        tolerations=[
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}
        ],
    )
    assert filter_all("NodeUnschedulable", snap, tolerant)["b"].is_success()


def test_node_name():
    snap = snapshot_of([node("a"), node("b")])
    verdicts = filter_all("NodeName", snap, pod("p", nodeName="b"))
    assert verdicts["b"].is_success()
    assert verdicts["a"].reasons == ("node(s) didn't match the requested node name",)


def test_taint_toleration_reports_first_untolerated_blocking_taint():
    taints = [
        {"key": "soft", "value": "x", "effect": "PreferNoSchedule"},
        GPU_TAINT,
        {"key": "team", "value": "b", "effect": "NoExecute"},
    ]
    snap = snapshot_of([node("plain"), node("tainted", taints=taints)])
    verdicts = filter_all("TaintToleration", snap, pod("p"))
    assert verdicts["plain"].is_success()
    assert verdicts["tainted"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert verdicts["tainted"].reasons == ("node(s) had untolerated taint {dedicated: gpu}",)
    gpu_ok = pod("p", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu"}])
    assert filter_all("TaintToleration", snap, gpu_ok)["tainted"].reasons == (
        "node(s) had untolerated taint {team: b}",
    )
    everything = pod("p", tolerations=[{"operator": "Exists"}])
    assert filter_all("TaintToleration", snap, everything)["tainted"].is_success()
    wrong_effect = pod(
        "p",
        tolerations=[
            {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"},
            {"key": "team", "operator": "Exists"},
        ],
    )
    assert not filter_all("TaintToleration", snap, wrong_effect)["tainted"].is_success()


def test_node_ports_conflicts():
    web = [{"containerPort": 80, "hostPort": 8080}]
    snap = snapshot_of(
        [node("a"), node("b"), node("c")],
        [
            pod("x", node_name="a", ports=web),
            pod("y", node_name="b", ports=[{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}]),
            pod("z", node_name="c", ports=[{"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"}]),
        ],
    )
    verdicts = filter_all("NodePorts", snap, pod("p", ports=web))
    assert verdicts["a"].reasons == ("node(s) didn't have free ports for the requested pod ports",)
    assert verdicts["b"].is_success()  # other protocol
    assert not verdicts["c"].is_success()  # 0.0.0.0 conflicts with every address
    specific = pod("p", ports=[{"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.2"}])
    verdicts = filter_all("NodePorts", snap, specific)
    assert not verdicts["a"].is_success() and verdicts["c"].is_success()


def test_node_ports_prefilter_skips_pods_without_host_ports():
    snap = snapshot_of([node("a")])
    from pytest_simkube.engine.scheduler.framework import CycleState

    _result, status = plugin("NodePorts", snap).pre_filter(CycleState(), parse_pod(pod("p")), snap)
    assert status.is_skip()


def _affinity(*terms):
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


def test_node_affinity_selector_and_operators():
    snap = snapshot_of(
        [
            node("a", labels={"zone": "z1", "gen": "5"}),
            node("b", labels={"zone": "z2", "gen": "3"}),
            node("c", labels={"gen": "x"}),
        ]
    )

    def passing(p):
        return sorted(n for n, s in filter_all("NodeAffinity", snap, p).items() if s.is_success())

    assert passing(pod("p", nodeSelector={"zone": "z1"})) == ["a"]
    assert passing(pod("p", nodeSelector={"zone": "nowhere"})) == []
    assert passing(
        pod(
            "p",
            affinity=_affinity(
                {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["z1"]}]}
            ),
        )
    ) == ["b", "c"]
    assert passing(
        pod("p", affinity=_affinity({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}))
    ) == ["c"]
    assert passing(
        pod(
            "p", affinity=_affinity({"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["4"]}]})
        )
    ) == ["a"]
    assert passing(
        pod(
            "p", affinity=_affinity({"matchExpressions": [{"key": "gen", "operator": "Lt", "values": ["4"]}]})
        )
    ) == ["b"]
    # terms are ORed; an empty term matches nothing; a term that fails to parse matches nothing
    assert passing(
        pod(
            "p",
            affinity=_affinity(
                {}, {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z2"]}]}
            ),
        )
    ) == ["b"]
    assert (
        passing(
            pod(
                "p",
                affinity=_affinity(
                    {"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["four"]}]}
                ),
            )
        )
        == []
    )
    failing = filter_all("NodeAffinity", snap, pod("p", nodeSelector={"zone": "z1"}))["b"]
    assert failing.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert failing.reasons == ("node(s) didn't match Pod's node affinity/selector",)


def test_node_affinity_prefilter_narrows_by_metadata_name_and_detects_conflicts():
    from pytest_simkube.engine.scheduler.framework import CycleState

    snap = snapshot_of([node("a"), node("b")])
    p = plugin("NodeAffinity", snap)
    by_name = _affinity({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]})
    result, status = p.pre_filter(CycleState(), parse_pod(pod("p", affinity=by_name)), snap)
    assert status.is_success() and result.node_names == frozenset({"b"})
    conflict = _affinity(
        {
            "matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["a"]},
                {"key": "metadata.name", "operator": "In", "values": ["b"]},
            ]
        }
    )
    _result, status = p.pre_filter(CycleState(), parse_pod(pod("p", affinity=conflict)), snap)
    assert status.reasons == ("pod affinity terms conflict",)
    _result, status = p.pre_filter(CycleState(), parse_pod(pod("p")), snap)
    assert status.is_skip()


def test_node_affinity_added_affinity_is_enforced_first():
    snap = snapshot_of([node("a", labels={"pool": "x"}), node("b", labels={"pool": "y"})])
    args = {
        "addedAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["x"]}]}
                ]
            }
        }
    }
    verdicts = filter_all("NodeAffinity", snap, pod("p", nodeSelector={"pool": "nope"}), args)
    assert verdicts["b"].reasons == ("node(s) didn't match scheduler-enforced node affinity",)
    assert verdicts["a"].reasons == ("node(s) didn't match Pod's node affinity/selector",)


def test_node_resources_fit_reasons():
    snap = snapshot_of(
        [node("small", cpu="1", memory="1Gi"), node("full", pods=1), node("big", cpu="8", memory="32Gi")],
        [pod("x", node_name="full")],
    )
    verdicts = filter_all("NodeResourcesFit", snap, pod("p", cpu="2", memory="2Gi"))
    assert verdicts["small"].code is Code.UNSCHEDULABLE
    assert verdicts["small"].reasons == ("Insufficient cpu", "Insufficient memory")
    assert verdicts["full"].reasons == ("Too many pods",)
    assert verdicts["big"].is_success()


def test_node_resources_fit_extended_resources_and_ignored_groups():
    snap = snapshot_of([node("gpu", extra={"nvidia.com/gpu": "1"}), node("cpu-only")])
    wants_gpu = pod("p")
    wants_gpu["spec"]["containers"][0]["resources"]["requests"]["nvidia.com/gpu"] = "1"
    verdicts = filter_all("NodeResourcesFit", snap, wants_gpu)
    assert verdicts["gpu"].is_success()
    assert verdicts["cpu-only"].reasons == ("Insufficient nvidia.com/gpu",)
    ignored = filter_all("NodeResourcesFit", snap, wants_gpu, {"ignoredResourceGroups": ["nvidia.com"]})
    assert ignored["cpu-only"].is_success()


def test_node_resources_fit_zero_request_pod_checks_only_pod_count():
    snap = snapshot_of([node("tiny", cpu="10m", memory="1Mi", pods=1)])
    assert filter_all("NodeResourcesFit", snap, pod("p", cpu=None, memory=None))["tiny"].is_success()
