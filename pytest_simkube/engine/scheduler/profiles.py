"""Turning a KubeSchedulerConfiguration profile into a runnable :class:`Framework`.

The configuration loader (``pytest_simkube.config.scheduler``) yields typed, defaulted args;
plugins read args as dicts with the upstream camelCase keys (the form users write in
``pluginConfig``), so this module converts one into the other and instantiates the plugins
from the registry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pytest_simkube.config.scheduler import Profile, SchedulerConfiguration, default_scheduler_config
from pytest_simkube.engine.scheduler.framework import Framework, Handle, ProfilePlugins
from pytest_simkube.engine.scheduler.plugins import REGISTRY
from pytest_simkube.engine.scheduler.snapshot import Snapshot


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def args_to_dict(args: Any) -> Any:
    """Typed args (dataclasses, tuples) -> plain camelCase dicts and lists.

    ``ScoringStrategy.shape`` becomes ``requestedToCapacityRatio.shape`` as in the v1 API.
    """
    if dataclasses.is_dataclass(args) and not isinstance(args, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(args):
            value = getattr(args, f.name)
            if f.name == "shape":
                if value is not None:
                    out["requestedToCapacityRatio"] = {"shape": args_to_dict(value)}
                continue
            out[_camel(f.name)] = args_to_dict(value)
        return out
    if isinstance(args, (list, tuple)):
        return [args_to_dict(v) for v in args]
    if isinstance(args, Mapping):
        return {k: args_to_dict(v) for k, v in args.items()}
    return args


def profile_plugins(profile: Profile, config: SchedulerConfiguration) -> ProfilePlugins:
    return ProfilePlugins(
        scheduler_name=profile.scheduler_name,
        points={point: tuple(names) for point, names in profile.plugins.items()},
        weights=dict(profile.score_weights),
        args={name: args_to_dict(a) for name, a in profile.plugin_args.items()},
        percentage_of_nodes_to_score=config.percentage_for(profile),
    )


def build_framework(snapshot: Snapshot, profile: Profile | None = None,
                    config: SchedulerConfiguration | None = None,
                    namespace_labels: Mapping[str, Mapping[str, str]] | None = None) -> Framework:
    """A Framework for ``profile`` (default: the configuration's first profile) over ``snapshot``."""
    config = config or default_scheduler_config()
    profile = profile or config.profiles[0]
    handle = Handle(snapshot, namespace_labels)
    return Framework(profile_plugins(profile, config), REGISTRY, handle)
