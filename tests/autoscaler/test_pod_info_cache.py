"""PodInfoCache: parsed pods are reused only for the very manifest they were parsed from."""

from __future__ import annotations

from pytest_simkube.engine.autoscaler.simulator import PodInfoCache


def _manifest(milli_cpu: int) -> dict:
    container = {"name": "c", "image": "i", "resources": {"requests": {"cpu": f"{milli_cpu}m"}}}
    return {"metadata": {"name": "web-0", "namespace": "default"}, "spec": {"containers": [container]}}


def test_a_pod_recreated_under_the_same_name_is_read_anew():
    """A StatefulSet's pod comes back with the same name and maybe a new template; the old
    manifest is gone and its memory may hold the new one, so identity, not address, counts."""
    cache = PodInfoCache()
    for milli_cpu in range(100, 300):
        info = cache.get("default/web-0", _manifest(milli_cpu))
        assert info.resources.requests["cpu"] == milli_cpu
        unbound = cache.unbound("default/web-0", _manifest(milli_cpu))
        assert unbound.resources.requests["cpu"] == milli_cpu


def test_the_same_manifest_is_parsed_once():
    cache = PodInfoCache()
    manifest = _manifest(250)
    assert cache.get("default/web-0", manifest) is cache.get("default/web-0", manifest)
