"""Reading a plugin's args whichever form the profile hands over.

The registry passes ``pluginConfig`` args as a dict with upstream camelCase keys; the
configuration loader (:mod:`pytest_simkube.config.scheduler`) produces typed frozen
dataclasses with snake_case fields.  Plugins accept both so neither side has to convert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plugin_arg(args: Any, camel: str, snake: str, default: Any) -> Any:
    """``args[camel]`` for a dict, ``args.snake`` for a typed args object; ``default`` when unset."""
    if args is None:
        return default
    value = args.get(camel, default) if isinstance(args, Mapping) else getattr(args, snake, default)
    return default if value is None else value
