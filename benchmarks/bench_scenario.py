"""Scenario loading and patch application speed.

Patches are applied to every applied object of a trace before each run, so their cost
grows with the trace; scenario loading runs once per scenario and per baseline.

    /work/venv/bin/python benchmarks/bench_scenario.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pytest_simkube.scenario import apply_patches, load_scenario
from pytest_simkube.scenario.patches import parse_patch_text
from pytest_simkube.trace import Trace, TraceEvent, TracerConfig, TrackedObjectConfig, write_trace


def deployment(index: int, replicas: int) -> dict:
    name = f"svc-{index}"
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": f"team-{index % 20}", "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [
                {"name": "app", "image": "app:1",
                 "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
                 "env": [{"name": f"E{i}", "value": str(i)} for i in range(5)]},
                {"name": "proxy", "image": "envoy:1", "resources": {"requests": {"cpu": "50m"}}},
            ]}}},
    }


def big_trace(workloads: int, updates: int) -> Trace:
    events = [TraceEvent(1_700_000_000 + step * 60,
                         [deployment(i, 1 + (step + i) % 7) for i in range(workloads)])
              for step in range(updates)]
    config = TracerConfig({"apps/v1.Deployment": TrackedObjectConfig(("/spec/template",))})
    return Trace(config=config, events=events)


def patch_text(count: int) -> str:
    docs = [f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: svc-{i}, namespace: team-{i % 20}}}
spec:
  template:
    spec:
      containers:
        - name: app
          resources: {{requests: {{cpu: 500m}}}}
          env: [{{name: E2, value: changed}}]
""" for i in range(count)]
    return "---\n".join(docs)


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rows = []
    for workloads, updates, patched in ((500, 20, 50), (2000, 25, 200)):
        trace = big_trace(workloads, updates)
        objects = workloads * updates
        patches = parse_patch_text(patch_text(patched), "bench.yaml", None)
        seconds = timed(lambda trace=trace, patches=patches: apply_patches(trace, patches))
        rate = f"{objects / seconds:,.0f} objects/s"
        rows.append((f"apply {patched} patches to {objects:,} objects", seconds, rate))

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_trace(big_trace(10, 2), root / "t.sktrace")
        template = "{cpu: '8', memory: 32Gi}"
        groups = "\n".join(f"    - {{name: group-{i}, min: 1, max: 100, price: 0.2, template: {template}}}"
                           for i in range(50))
        expects = "\n".join(f"  - nodes.peak <= {i}" for i in range(200))
        scenario = root / "big.simkube.yaml"
        scenario.write_text(f"trace: t.sktrace\ncluster:\n  nodeGroups:\n{groups}\nexpect:\n{expects}\n")
        seconds = timed(lambda: load_scenario(scenario))
        rate = f"{1 / seconds:,.0f} loads/s"
        rows.append(("load scenario: 50 node groups, 200 expectations", seconds, rate))

    width = max(len(row[0]) for row in rows)
    print(f"{'case'.ljust(width)}  {'seconds':>9}  throughput")
    for name, seconds, rate in rows:
        print(f"{name.ljust(width)}  {seconds:9.4f}  {rate}")


if __name__ == "__main__":
    main()
