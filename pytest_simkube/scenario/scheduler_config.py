"""The one place a scenario hands its ``config.scheduler`` to the KubeSchedulerConfiguration model.

``config.scheduler`` is a path (relative to the scenario) or an inline mapping. Either way
the scheduler model validates it with kube-scheduler's own rules; for an inline mapping
its field paths are re-anchored in the scenario file so the error names the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_simkube.errors import ConfigError
from pytest_simkube.scenario.config_files import ConfigFiles
from pytest_simkube.yamlstrict import Reader, child_path


def resolve_scheduler_config(reader: Reader, value: Any, path: str,
                             files: ConfigFiles) -> tuple[Any, Path | None]:
    """``(SchedulerConfiguration | None, file path | None)`` for a scenario's ``config.scheduler``."""
    from pytest_simkube.config.scheduler import parse_scheduler_config, parse_scheduler_config_text

    if value is None:
        return None, None
    if isinstance(value, str):
        file = files.resolve(reader, value, path, what="scheduler configuration")
        try:
            text = files.read_text(file)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(files.label(file), None, f"cannot read file: {exc}") from None
        return parse_scheduler_config_text(text, files.label(file)), file
    if isinstance(value, dict):
        try:
            return parse_scheduler_config(value, reader.source), None
        except ConfigError as exc:
            inner = child_path(path, exc.where) if exc.where else path
            raise ConfigError(reader.source, reader.where(inner), exc.message) from None
    raise reader.fail(path, "expected a path to a KubeSchedulerConfiguration file or an inline mapping")
