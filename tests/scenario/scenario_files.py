"""A realistic scenario folder written into ``tmp_path``: trace, scheduler config, patches, scenario."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_simkube.trace import Trace, TraceEvent, TracerConfig, TrackedObjectConfig, write_trace


def deployment(name: str, namespace: str, replicas: int, cpu: str = "500m") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "shop/app:1.4",
                         "resources": {"requests": {"cpu": cpu, "memory": "512Mi"}},
                         "env": [{"name": "MODE", "value": "prod"}, {"name": "LOG", "value": "info"}]},
                        {"name": "envoy", "image": "envoy:1.30",
                         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
                    ],
                    "tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
                },
            },
        },
    }


def shop_trace() -> Trace:
    """Checkout and catalog Deployments: applied, scaled up, then checkout deleted."""
    tracked = TrackedObjectConfig(("/spec/template",), track_lifecycle=True)
    config = TracerConfig({"apps/v1.Deployment": tracked})
    return Trace(
        config=config,
        events=[
            TraceEvent(1_700_000_000, [deployment("checkout", "shop", 3), deployment("catalog", "shop", 2)]),
            TraceEvent(1_700_000_600, [deployment("checkout", "shop", 8)]),
            TraceEvent(1_700_003_600, [], [deployment("checkout", "shop", 8)]),
        ],
        index={"apps/v1.Deployment": {"shop/checkout": 1, "shop/catalog": 2}},
    )


SCHEDULER_CONFIG = """\
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
            resources:
              - {name: cpu, weight: 1}
              - {name: memory, weight: 1}
"""

REQUESTS_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          resources:
            requests:
              cpu: 1200m
"""

SCENARIO = """\
name: checkout-burst
description: Checkout scales 3 -> 8 under a bin-packing scheduler
trace: traces/shop.sktrace
duration: 2h
seed: 7
cluster:
  nodes:
    - name: system
      cpu: "4"
      memory: 16Gi
      labels: {role: system}
      taints: [{key: dedicated, value: system, effect: NoSchedule}]
  nodeGroups:
    - name: general-m5-2xl
      min: 3
      max: 50
      price: 0.384
      provisionDelay: 45s
      zones: [us-east-1a, us-east-1b]
      template: {cpu: "8", memory: 32Gi, pods: 110, instanceType: m5.2xlarge, labels: {pool: general}}
    - name: gpu-p3
      max: 4
      price: 3.06
      autoscaling: {scaleDownUnneededTime: 2m}
      template:
        cpu: "8"
        memory: 61Gi
        extended: {nvidia.com/gpu: 1}
        taints: [{key: nvidia.com/gpu, effect: NoSchedule}]
config:
  scheduler: config/kube-scheduler.yaml
  autoscaler: {expander: least-waste, scaleDownUtilizationThreshold: 0.5, scale-down-unneeded-time: 5m}
  patches: [patches/requests.yaml]
expect:
  - pods.unschedulable == 0
  - pods.pending_seconds.p99 <= 30s
  - nodes.peak <= 40
  - cost.node_hours <= baseline * 1.05
"""


def write_scenario_folder(root: Path, scenario: str = SCENARIO, name: str = "checkout.simkube.yaml") -> Path:
    """Write the trace, scheduler config and patch, then ``scenario`` as ``root/name``."""
    (root / "traces").mkdir(parents=True, exist_ok=True)
    (root / "config").mkdir(exist_ok=True)
    (root / "patches").mkdir(exist_ok=True)
    write_trace(shop_trace(), root / "traces" / "shop.sktrace")
    (root / "config" / "kube-scheduler.yaml").write_text(SCHEDULER_CONFIG)
    (root / "patches" / "requests.yaml").write_text(REQUESTS_PATCH)
    path = root / name
    path.write_text(textwrap.dedent(scenario))
    return path
