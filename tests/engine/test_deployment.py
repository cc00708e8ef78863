"""Deployment rolling updates honour maxSurge/maxUnavailable (pkg/controller/deployment/rolling.go)."""

from __future__ import annotations

import pytest

from pytest_simkube.engine.controllers.deployment import resolve_fenceposts
from pytest_simkube.runrecord import PodCreated, PodDeleted, PodFinished, PodRunning
from tests.engine.builders import deployment, engine, finish, make_trace, node, records


@pytest.mark.parametrize(
    ("rolling", "replicas", "expected"),
    [
        (None, 10, (3, 2)),  # 25% rounds up for surge, down for unavailable
        (None, 1, (1, 0)),
        ({"maxSurge": 0, "maxUnavailable": 0}, 4, (0, 1)),  # ResolveFenceposts: both 0 -> unavailable 1
        ({"maxSurge": "50%", "maxUnavailable": 2}, 5, (3, 2)),
    ],
)
def test_resolve_fenceposts(rolling, replicas, expected):
    spec = {"strategy": {"type": "RollingUpdate", "rollingUpdate": rolling}} if rolling else {}
    assert resolve_fenceposts(spec, replicas) == expected


def timeline(run, prefix: str) -> list[tuple[float, int, int]]:
    """(t, active pods, running pods) after each change of the Deployment's pods."""
    active: set[str] = set()
    running: set[str] = set()
    out = []
    for r in run.records:
        pod = getattr(r, "pod", "")
        if not pod.startswith(prefix):
            continue
        if isinstance(r, PodCreated):
            active.add(pod)
        elif isinstance(r, PodRunning):
            running.add(pod)
        elif isinstance(r, (PodDeleted, PodFinished)):
            active.discard(pod)
            running.discard(pod)
        out.append((r.t, len(active), len(running)))
    return out


@pytest.mark.parametrize(("surge", "unavailable"), [(1, 0), (0, 1), (2, 1)])
def test_rolling_update_stays_within_surge_and_unavailable(surge, unavailable):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    v1 = deployment("web", 4, strategy=strategy, cpu="100m")
    v2 = deployment("web", 4, strategy=strategy, cpu="200m")
    ctx, driver = engine(make_trace([(0, [v1], []), (60, [v2], [])]), [node("n1", cpu="16")])
    run = finish(ctx, driver)
    during = [(t, a, r) for t, a, r in timeline(run, "default/web-") if t >= 60]
    assert max(a for _, a, _ in during) <= 4 + surge
    assert min(r for _, _, r in during) >= 4 - unavailable
    # The rollout completes: 4 new pods (200m) running, old ones gone.
    live = [p for p in ctx.store.pods.values() if p.active]
    assert len(live) == 4 and all(p.cpu == 200 for p in live)
    assert len(ctx.store.objects["ReplicaSet"]) == 2


def test_recreate_stops_old_pods_before_starting_new_ones():
    strategy = {"type": "Recreate"}
    v1 = deployment("web", 3, strategy=strategy, cpu="100m")
    v2 = deployment("web", 3, strategy=strategy, cpu="200m")
    ctx, driver = engine(make_trace([(0, [v1], []), (60, [v2], [])]), [node("n1", cpu="16")])
    run = finish(ctx, driver)
    last_old_delete = max(r.t for r in records(run, "PodDeleted"))
    new_created = [r.t for r in records(run, "PodCreated") if r.cpu == 200]
    assert len(new_created) == 3 and min(new_created) > last_old_delete


def test_deleting_the_deployment_deletes_its_pods():
    v1 = deployment("web", 2)
    ctx, driver = engine(make_trace([(0, [v1], []), (30, [], [v1])]), [node("n1")])
    run = finish(ctx, driver)
    assert [r.reason for r in records(run, "PodDeleted")] == ["trace", "trace"]
    assert not ctx.store.objects["ReplicaSet"]
