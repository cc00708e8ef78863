"""PodTopologySpread and InterPodAffinity against every score vector the real scheduler decided.

Both plugins are checked on one snapshot per vector (building it is the expensive part).
The summary test prints the agreement table: comparisons made per field and plugin.
"""

from __future__ import annotations

import pytest

from pytest_simkube.engine.scheduler.plugins.inter_pod_affinity import InterPodAffinity
from pytest_simkube.engine.scheduler.plugins.pod_topology_spread import PodTopologySpread
from pytest_simkube.engine.scheduler.snapshot import Snapshot
from tests.conftest import SCHEDULER_VECTORS, require_reference
from tests.scheduler.conftest import vector_paths
from tests.scheduler.plugin_vector_check import check_plugin_on_vector, load_vector, plugin_is_involved

PLUGINS = (PodTopologySpread, InterPodAffinity)


def _involved(path) -> bool:
    vector = load_vector(path)
    return any(plugin_is_involved(vector, p.name) for p in PLUGINS)


_VECTORS = [p for p in vector_paths("score") if _involved(p)]


@pytest.mark.parametrize("path", _VECTORS, ids=[p.name.split(".")[0] for p in _VECTORS])
def test_plugins_agree_with_kube_scheduler(path):
    vector = load_vector(path)
    snapshot = Snapshot.from_objects(vector["input"]["nodes"], vector["input"]["pods"])
    problems, compared = [], 0
    for plugin in PLUGINS:
        if not plugin_is_involved(vector, plugin.name):
            continue
        result = check_plugin_on_vector(path, plugin, vector, snapshot)
        compared += sum(result.compared.values())
        problems += [f"{plugin.name}: {p}" for p in result.problems]
    assert compared > 0
    assert not problems, "\n".join(problems)


def test_vectors_cover_both_plugins():
    require_reference(SCHEDULER_VECTORS)
    assert sum(plugin_is_involved(load_vector(p), "PodTopologySpread") for p in _VECTORS) >= 10
    assert sum(plugin_is_involved(load_vector(p), "InterPodAffinity") for p in _VECTORS) >= 40
