"""Strict, line-aware reading of a YAML document.

``yaml.safe_load`` throws away where a value came from, silently keeps the last of two
duplicate keys and accepts any key it is given. A workload spec is hand-written, so a
typo must come back as ``spec.yaml: line 12, key 'workloads[3].replicas.diurnal.peakHuor':
unknown key ...`` instead of an ignored setting. :class:`SpecNode` wraps the composed
node graph (``yaml.compose``), remembers the dotted path to each value, and offers typed
getters that raise :class:`~pytest_simkube.errors.TraceError` naming file, line and key.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from pytest_simkube.errors import TraceError

T = TypeVar("T")


def compose_document(text: str, source: str) -> SpecNode:
    """Parse ``text`` into a :class:`SpecNode` for its single document root."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise TraceError(source, where, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise TraceError(source, None, f"invalid YAML: {exc}") from None
    if root is None:
        raise TraceError(source, None, "the file is empty; expected a mapping of spec keys")
    return SpecNode(root, "", source)


class SpecNode:
    """One value in the document, with its source file, line and dotted path."""

    __slots__ = ("node", "path", "source")

    def __init__(self, node: yaml.Node, path: str, source: str) -> None:
        self.node = node
        self.path = path
        self.source = source

    # -- error reporting -------------------------------------------------------------------

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def where(self) -> str:
        return f"line {self.line}, key '{self.path}'" if self.path else f"line {self.line}"

    def error(self, message: str) -> TraceError:
        return TraceError(self.source, self.where(), message)

    def child(self, node: yaml.Node, key: str | int) -> SpecNode:
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else key
        return SpecNode(node, path, self.source)

    # -- structure -------------------------------------------------------------------------

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    def mapping(self, allowed: Iterable[str] | None = None,
                required: Iterable[str] = ()) -> dict[str, SpecNode]:
        """The entries of a mapping, refusing duplicate, unknown and missing keys.

        ``allowed=None`` accepts any string key (label maps, resource lists).
        """
        if not self.is_mapping:
            raise self.error(f"expected a mapping, got {self.kind_name()}")
        entries: dict[str, SpecNode] = {}
        key_nodes: dict[str, yaml.Node] = {}
        allowed_set = None if allowed is None else tuple(allowed)
        explicit, merged = _resolve_merge_keys(self)
        for key_node, value_node in explicit:
            key_spec = SpecNode(key_node, self.path, self.source)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise key_spec.error(f"mapping keys must be strings, got {key_spec.kind_name()}")
            key = key_node.value
            if key in entries:
                raise self.child(key_node, key).error(
                    f"duplicate key {key!r} (first given on line {entries[key].line})")
            entries[key] = self.child(value_node, key)
            key_nodes[key] = key_node
        for key_node, value_node in merged:
            # YAML merge keys (<<): explicit keys win, then earlier merge sources.
            if isinstance(key_node, yaml.ScalarNode) and key_node.value not in entries:
                entries[key_node.value] = self.child(value_node, key_node.value)
                key_nodes[key_node.value] = key_node
        if allowed_set is not None:
            for key in entries:
                if key not in allowed_set:
                    hint = difflib.get_close_matches(key, allowed_set, n=1)
                    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                    raise self.child(key_nodes[key], key).error(
                        f"unknown key {key!r}{suggestion} (allowed: {', '.join(sorted(allowed_set))})")
        for key in required:
            if key not in entries:
                raise self.error(f"missing required key {key!r}")
        return entries

    def sequence(self, *, min_items: int = 0) -> list[SpecNode]:
        if not self.is_sequence:
            raise self.error(f"expected a list, got {self.kind_name()}")
        items = [self.child(item, index) for index, item in enumerate(self.node.value)]
        if len(items) < min_items:
            raise self.error(f"expected at least {min_items} item(s), got {len(items)}")
        return items

    def kind_name(self) -> str:
        if self.is_mapping:
            return "a mapping"
        if self.is_sequence:
            return "a list"
        value = self.scalar()
        if value is None:
            return "null"
        return f"{type(value).__name__} {value!r}"

    # -- scalars ---------------------------------------------------------------------------

    def scalar(self) -> Any:
        """The Python value of a scalar node as YAML 1.1 resolves it (int, str, datetime...)."""
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error(f"expected a single value, got {'a mapping' if self.is_mapping else 'a list'}")
        try:
            return _CONSTRUCTOR.construct_object(self.node, deep=True)
        except ConstructorError as exc:
            raise self.error(f"cannot read value: {exc.problem}") from None
        finally:
            # The constructor memoises by node; forget them so loaded documents can be freed.
            _CONSTRUCTOR.constructed_objects.clear()
            _CONSTRUCTOR.recursive_objects.clear()

    def string(self, *, allow_empty: bool = False) -> str:
        value = self.scalar()
        if not isinstance(value, str):
            raise self.error(f"expected a string, got {self.kind_name()}")
        if not allow_empty and not value:
            raise self.error("must not be empty")
        return value

    def integer(self, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.scalar()
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected an integer, got {self.kind_name()}")
        _check_range(self, value, minimum, maximum)
        return value

    def number(self, *, minimum: float | None = None, maximum: float | None = None) -> float:
        value = self.scalar()
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {self.kind_name()}")
        if not math.isfinite(value):
            raise self.error(f"expected a finite number, got {value!r}")
        _check_range(self, value, minimum, maximum)
        return float(value)

    def boolean(self) -> bool:
        value = self.scalar()
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {self.kind_name()}")
        return value

    def choice(self, options: Iterable[str]) -> str:
        options = tuple(options)
        value = self.string()
        if value not in options:
            raise self.error(f"expected one of {', '.join(options)}, got {value!r}")
        return value

    def parsed(self, parse: Callable[[Any], T], what: str) -> T:
        """Run ``parse`` on the scalar value, turning its ValueError into a located error."""
        value = self.scalar()
        try:
            return parse(value)
        except ValueError as exc:
            raise self.error(f"invalid {what}: {exc}") from None

    def verify(self, check: Callable[[], object], what: str) -> None:
        """Run a check about this value; its ValueError becomes a located error."""
        try:
            check()
        except ValueError as exc:
            raise self.error(f"invalid {what}: {exc}") from None

    def string_map(self) -> dict[str, str]:
        """A mapping of string keys to string values (labels, node selectors)."""
        result: dict[str, str] = {}
        for key, value in self.mapping().items():
            scalar = value.scalar()
            if isinstance(scalar, bool) or scalar is None or not isinstance(scalar, str | int | float):
                raise value.error(f"expected a string value, got {value.kind_name()}")
            if not isinstance(scalar, str):
                raise value.error(f"expected a string value, got {value.kind_name()}; quote it")
            result[key] = scalar
        return result


def _check_range(node: SpecNode, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise node.error(f"must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise node.error(f"must be <= {maximum}, got {value}")


_CONSTRUCTOR = SafeConstructor()
"""Builds scalar values; holds no state that matters between calls."""
_MERGE_TAG = "tag:yaml.org,2002:merge"


Pairs = list[tuple[yaml.Node, yaml.Node]]


def _resolve_merge_keys(spec: SpecNode) -> tuple[Pairs, Pairs]:
    """Split a mapping into its own pairs and the pairs merged in with ``<<: *anchor``.

    Unlike PyYAML's ``flatten_mapping`` this leaves the node graph untouched, so a mapping
    can be read more than once and an anchor reused by several workloads.
    """
    explicit: Pairs = []
    merged: Pairs = []
    for key_node, value_node in spec.node.value:
        if key_node.tag != _MERGE_TAG:
            explicit.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise SpecNode(source, spec.path, spec.source).error("'<<' merges only mappings")
            inner = SpecNode(source, spec.path, spec.source)
            source_explicit, source_merged = _resolve_merge_keys(inner)
            merged.extend(source_explicit + source_merged)
    return explicit, merged
