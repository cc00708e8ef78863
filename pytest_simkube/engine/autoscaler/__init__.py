"""The cluster-autoscaler model of the embedded engine (DESIGN.md §4, "Autoscaler").

``attach(api, options)`` is the hook the engine calls when a scenario has node groups: it
starts a :class:`ClusterAutoscaler` that runs every ``scan-interval`` of virtual time over
the engine's cluster API.
"""

from __future__ import annotations

from typing import Any

from pytest_simkube.config.autoscaler import AutoscalerOptions
from pytest_simkube.engine.autoscaler.autoscaler import ClusterAutoscaler
from pytest_simkube.engine.autoscaler.expanders import FILTERS
from pytest_simkube.errors import ConfigError

__all__ = ["ClusterAutoscaler", "attach"]


def attach(api: Any, options: AutoscalerOptions | None = None) -> ClusterAutoscaler:
    """Start the autoscaler on ``api``; expanders the embedded engine cannot run are refused."""
    options = options or AutoscalerOptions()
    for name in options.expanders:
        if name not in FILTERS:
            available = ", ".join(sorted(FILTERS))
            raise ConfigError(None, "config.autoscaler.expander",
                              f"expander {name!r} needs an external service and only runs with the live "
                              f"engine (embedded: {available})")
    return ClusterAutoscaler(api, options).start()
