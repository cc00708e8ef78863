"""The one place a scenario hands its ``config.scheduler`` to the KubeSchedulerConfiguration model.

``config.scheduler`` is a path (relative to the scenario) or an inline mapping. Either way
the scheduler model validates it with kube-scheduler's own rules; for an inline mapping
its field paths are re-anchored in the scenario file so the error names the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_simkube.errors import ConfigError
from pytest_simkube.scenario.yamldoc import Reader, child_path


def resolve_scheduler_config(reader: Reader, value: Any, path: str,
                             base_dir: Path) -> tuple[Any, Path | None]:
    """``(SchedulerConfiguration | None, file path | None)`` for a scenario's ``config.scheduler``."""
    from pytest_simkube.config.scheduler import load_scheduler_config, parse_scheduler_config

    if value is None:
        return None, None
    if isinstance(value, str):
        file = resolve_file(reader, value, path, base_dir, what="scheduler configuration")
        return load_scheduler_config(file), file
    if isinstance(value, dict):
        try:
            return parse_scheduler_config(value, reader.source), None
        except ConfigError as exc:
            inner = child_path(path, exc.where) if exc.where else path
            raise ConfigError(reader.source, reader.where(inner), exc.message) from None
    raise reader.fail(path, "expected a path to a KubeSchedulerConfiguration file or an inline mapping")


def resolve_file(reader: Reader, value: Any, path: str, base_dir: Path, *, what: str) -> Path:
    """``value`` resolved against the scenario's folder; it must be a readable file."""
    text = reader.string(value, path)
    file = (base_dir / text).resolve() if not Path(text).is_absolute() else Path(text)
    if not file.exists():
        raise reader.fail(path, f"{what} file {text!r} not found (looked at {file})")
    if not file.is_file():
        raise reader.fail(path, f"{what} path {text!r} is not a file ({file})")
    try:
        with file.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise reader.fail(path, f"cannot read {what} file {text!r}: {exc.strerror or exc}") from None
    return file
