"""Strict YAML reading that remembers where every key came from.

Scenario authors need errors like ``line 14, key 'cluster.nodeGroups[1].template.cpu'``.
PyYAML's composed node tree knows the lines; this module turns it into plain Python
values plus a ``{key path: line}`` map, rejects duplicate keys (which plain YAML loading
silently resolves to the last one), and offers the small checks every loader here
repeats: mapping with known keys (with "did you mean"), typed scalars, durations,
quantities.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from pytest_simkube.errors import InputError, ScenarioError
from pytest_simkube.kube.duration import DurationError, parse_duration
from pytest_simkube.kube.quantity import QuantityError, quantity_milli_value, quantity_value

# libyaml's loader when PyYAML was built with it: same nodes and marks, several times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def child_path(parent: str, key: object) -> str:
    """``cluster`` + ``nodeGroups`` -> ``cluster.nodeGroups``; ints become ``[i]``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def parse_yaml_documents(
    text: str, source: str, error: type[InputError] = ScenarioError
) -> list[tuple[Any, dict[str, int]]]:
    """Every document in ``text`` as ``(value, lines)``; syntax errors name the line."""
    loader = _SafeLoader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            lines: dict[str, int] = {}
            _check_and_index(node, "", lines, source, error)
            value = loader.construct_document(node)
            documents.append((value, lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise error(source, where, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise error(source, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return documents


def _check_and_index(node: yaml.Node, path: str, lines: dict[str, int], source: str,
                     error: type[InputError]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise error(source, f"line {key_node.start_mark.line + 1}",
                            "mapping keys must be plain scalars")
            key = key_node.value
            if key == "<<":
                continue  # merge keys: their content is indexed where it was defined
            line = key_node.start_mark.line + 1
            if key in seen:
                raise error(source, f"line {line}, key '{child_path(path, key)}'",
                            f"duplicate key {key!r} (first given on line {seen[key]})")
            seen[key] = line
            sub = child_path(path, key)
            lines[sub] = line
            _check_and_index(value_node, sub, lines, source, error)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_and_index(item, child_path(path, index), lines, source, error)


@dataclass
class Reader:
    """Typed, located access to one parsed document; every failure is an ``error`` naming a line."""

    source: str
    lines: Mapping[str, int] = field(default_factory=dict)
    error: type[InputError] = ScenarioError

    def line(self, path: str) -> int | None:
        probe = path
        while True:
            if probe in self.lines:
                return self.lines[probe]
            if not probe:
                return None
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""

    def where(self, path: str) -> str:
        line = self.line(path)
        if not path:
            return f"line {line}" if line else ""
        return f"line {line}, key '{path}'" if line else path

    def fail(self, path: str, message: str) -> InputError:
        return self.error(self.source, self.where(path) or None, message)

    # -- structure ---------------------------------------------------------------------------

    def mapping(self, value: Any, path: str, allowed: Iterable[str], required: Iterable[str] = (),
                what: str = "mapping") -> dict[str, Any]:
        """``value`` as a dict with only ``allowed`` keys and all ``required`` ones."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a {what}, got {describe(value)}")
        allowed = list(allowed)
        for key in value:
            if not isinstance(key, str):
                raise self.fail(child_path(path, key), f"keys must be strings, got {key!r}")
            if key not in allowed:
                raise self.fail(child_path(path, key), unknown_key_message(key, allowed))
        for key in required:
            if key not in value or value[key] is None:
                raise self.fail(path, f"missing required key {key!r}")
        return value

    def sequence(self, value: Any, path: str, what: str = "list") -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"expected a {what}, got {describe(value)}")
        return value

    # -- scalars -----------------------------------------------------------------------------

    def string(self, value: Any, path: str, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {describe(value)}")
        if not allow_empty and not value.strip():
            raise self.fail(path, "must not be empty")
        return value

    def integer(self, value: Any, path: str, *, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {describe(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(path, f"must be >= {minimum}, got {value}")
        return value

    def number(self, value: Any, path: str, *, minimum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(path, f"expected a number, got {describe(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(path, f"must be >= {minimum:g}, got {value:g}")
        return float(value)

    def duration(self, value: Any, path: str) -> float:
        try:
            return parse_duration(value)
        except DurationError as exc:
            raise self.fail(path, str(exc)) from None

    def quantity(self, value: Any, path: str, *, milli: bool = False, positive: bool = False) -> int:
        """A Kubernetes quantity as an int (millis for CPU); rejects negatives."""
        try:
            amount = quantity_milli_value(value) if milli else quantity_value(value)
        except QuantityError as exc:
            raise self.fail(path, str(exc)) from None
        if amount < 0 or (positive and amount == 0):
            raise self.fail(path, f"must be {'positive' if positive else 'non-negative'}, got {value!r}")
        return amount

    def string_map(self, value: Any, path: str) -> dict[str, str]:
        mapping = self.mapping(value, path, allowed=value.keys() if isinstance(value, dict) else ())
        for key, item in mapping.items():
            if not isinstance(item, str):
                raise self.fail(child_path(path, key), f"values must be strings (quote it: '{item}'), "
                                                       f"got {describe(item)}")
        return dict(mapping)


def unknown_key_message(key: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if not hint:
        lowered = {name.lower(): name for name in allowed}
        hint = [lowered[key.lower()]] if key.lower() in lowered else []
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else f" (known keys: {', '.join(allowed)})"
    return f"unknown key {key!r}{suggestion}"


def describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
