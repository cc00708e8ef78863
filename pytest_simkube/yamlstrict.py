"""Strict YAML reading that remembers where every value came from.

Scenario files and workload specs are hand-written, so a typo must come back as
``file: line 14, key 'cluster.nodeGroups[1].template.cpu': unknown key ...`` instead of an
ignored setting. ``yaml.safe_load`` throws the lines away, silently keeps the last of two
duplicate keys and accepts any key; this module keeps PyYAML's node marks and offers two
ways to read a document, both reporting through the same messages:

* :func:`parse_yaml_documents` + :class:`Reader`: plain Python values plus a
  ``{key path: line}`` map, for loaders that walk dicts (scenarios, patches, configs);
* :func:`compose_document` + :class:`YamlNode`: the node graph itself, for loaders that
  read a value more than once or reuse anchors (workload specs).

Every failure is an :class:`~pytest_simkube.errors.InputError` of the caller's type
(``ScenarioError``, ``TraceError``...) naming the file, line and key path.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from pytest_simkube.errors import InputError, ScenarioError
from pytest_simkube.kube.duration import DurationError, parse_duration
from pytest_simkube.kube.quantity import QuantityError, quantity_milli_value, quantity_value

T = TypeVar("T")
Fail = Callable[[str], InputError]
"""Turns a message into the located error to raise."""

# libyaml's loader when PyYAML was built with it: same nodes and marks, several times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


# -- paths and messages (shared by both readers) ---------------------------------------------


def child_path(parent: str, key: object) -> str:
    """``cluster`` + ``nodeGroups`` -> ``cluster.nodeGroups``; ints become ``[i]``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def located(line: int | None, path: str) -> str:
    """``line 12, key 'a.b[2].c'`` (or the parts that are known)."""
    if line is None:
        return path
    return f"line {line}, key '{path}'" if path else f"line {line}"


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option a misspelt ``word`` most likely meant (difflib, then case-insensitive), or None."""
    options = list(options)
    hint = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if hint:
        return hint[0]
    lowered = {name.lower(): name for name in options}
    return lowered.get(word.lower())


def did_you_mean(word: str, options: Iterable[str], otherwise: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest option, else ``otherwise``."""
    hint = closest(word, options)
    return f" (did you mean {hint!r}?)" if hint else otherwise


def unknown_key_message(key: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    known = ", ".join(allowed)
    return f"unknown key {key!r}{did_you_mean(key, allowed, f' (known keys: {known})')}"


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


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _check_range(value: float, fail: Fail, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise fail(f"must be >= {_number_text(minimum)}, got {_number_text(value)}")
    if maximum is not None and value > maximum:
        raise fail(f"must be <= {_number_text(maximum)}, got {_number_text(value)}")


# -- typed scalar checks (shared by both readers) --------------------------------------------


def as_string(value: Any, fail: Fail, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise fail(f"expected a string, got {describe(value)}")
    if not allow_empty and not value.strip():
        raise fail("must not be empty")
    return value


def as_integer(value: Any, fail: Fail, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"expected an integer, got {describe(value)}")
    _check_range(value, fail, minimum, maximum)
    return value


def as_number(value: Any, fail: Fail, *, minimum: float | None = None,
              maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(f"expected a finite number, got {describe(value)}")
    _check_range(value, fail, minimum, maximum)
    return float(value)


def as_boolean(value: Any, fail: Fail) -> bool:
    if not isinstance(value, bool):
        raise fail(f"expected true or false, got {describe(value)}")
    return value


def as_string_value(value: Any, fail: Fail) -> str:
    """A label / selector value: numbers and booleans must be quoted, as in Kubernetes manifests."""
    if not isinstance(value, str):
        hint = f" (quote it: '{value}')" if isinstance(value, bool | int | float) else ""
        raise fail(f"values must be strings{hint}, got {describe(value)}")
    return value


# -- loading -------------------------------------------------------------------------------


@contextmanager
def _syntax_errors(source: str, error: type[InputError]) -> Iterator[None]:
    """PyYAML's parser and constructor errors as one located ``error``."""
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise error(source, where, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise error(source, None, f"invalid YAML: {exc}") from None


def _check_and_index(node: yaml.Node, path: str, lines: dict[str, int], source: str,
                     error: type[InputError], checked: set[int]) -> None:
    """Record the line of every key path; refuse duplicate keys (YAML keeps the last silently).

    A node reached again through an alias is checked once: that ends recursive anchors and
    keeps "billion laughs" documents linear (their inner paths fall back to the alias's line).
    """
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in checked:
        return
    checked.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise error(source, located(line, path), "mapping keys must be strings, got a "
                            + ("mapping" if isinstance(key_node, yaml.MappingNode) else "list"))
            key = key_node.value
            if key_node.tag == _MERGE_TAG:
                continue  # merge keys: their content is indexed where it was defined
            sub = child_path(path, key)
            if key in seen:
                raise error(source, located(line, sub),
                            f"duplicate key {key!r} (first given on line {seen[key]})")
            seen[key] = line
            lines[sub] = line
            _check_and_index(value_node, sub, lines, source, error, checked)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_and_index(item, child_path(path, index), lines, source, error, checked)


def parse_yaml_documents(
    text: str, source: str, error: type[InputError] = ScenarioError
) -> list[tuple[Any, dict[str, int]]]:
    """Every document in ``text`` as ``(value, lines)``; syntax errors name the line."""
    loader = _SafeLoader(text)
    documents = []
    try:
        with _syntax_errors(source, error):
            while loader.check_node():
                node = loader.get_node()
                lines: dict[str, int] = {}
                _check_and_index(node, "", lines, source, error, set())
                documents.append((loader.construct_document(node), lines))
    finally:
        loader.dispose()
    return documents


def compose_document(text: str, source: str, error: type[InputError] = ScenarioError) -> YamlNode:
    """The single document in ``text`` as a :class:`YamlNode`; empty text is an error."""
    loader = _SafeLoader(text)
    try:
        with _syntax_errors(source, error):
            root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is None:
        raise error(source, None, "the file is empty; expected a mapping")
    _check_and_index(root, "", {}, source, error, set())
    return YamlNode(root, "", source, error)


# -- reading plain values ------------------------------------------------------------------


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
        return located(self.line(path), path)

    def fail(self, path: str, message: str) -> InputError:
        return self.error(self.source, self.where(path) or None, message)

    def _failer(self, path: str) -> Fail:
        return lambda message: self.fail(path, message)

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
                raise self.fail(child_path(path, key), f"mapping keys must be strings, got {describe(key)}")
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

    def string(self, value: Any, path: str, *, allow_empty: bool = False) -> str:
        return as_string(value, self._failer(path), allow_empty=allow_empty)

    def integer(self, value: Any, path: str, *, minimum: int | None = None) -> int:
        return as_integer(value, self._failer(path), minimum=minimum)

    def number(self, value: Any, path: str, *, minimum: float | None = None) -> float:
        return as_number(value, self._failer(path), minimum=minimum)

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
            as_string_value(item, self._failer(child_path(path, key)))
        return dict(mapping)


# -- reading the node graph ----------------------------------------------------------------

_CONSTRUCTOR = SafeConstructor()
"""Builds scalar values; holds no state that matters between calls."""

Pairs = list[tuple[yaml.Node, yaml.Node]]


class YamlNode:
    """One value in the document, with its source file, line, key path and error type."""

    __slots__ = ("error_type", "node", "path", "source")

    def __init__(self, node: yaml.Node, path: str, source: str,
                 error_type: type[InputError] = ScenarioError) -> None:
        self.node = node
        self.path = path
        self.source = source
        self.error_type = error_type

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def where(self) -> str:
        return located(self.line, self.path)

    def error(self, message: str) -> InputError:
        return self.error_type(self.source, self.where(), message)

    def child(self, node: yaml.Node, key: str | int) -> YamlNode:
        return YamlNode(node, child_path(self.path, key), self.source, self.error_type)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    def mapping(self, allowed: Iterable[str] | None = None,
                required: Iterable[str] = ()) -> dict[str, YamlNode]:
        """The entries of a mapping, refusing unknown and missing keys (duplicates fail at load).

        ``allowed=None`` accepts any string key (label maps, resource lists).
        """
        if not self.is_mapping:
            raise self.error(f"expected a mapping, got {self.kind_name()}")
        entries: dict[str, YamlNode] = {}
        key_lines: dict[str, yaml.Node] = {}
        explicit, merged = self._merge_pairs()
        for key_node, value_node in explicit:
            if key_node.tag != _STR_TAG:
                key = YamlNode(key_node, self.path, self.source, self.error_type)
                raise key.error(f"mapping keys must be strings, got {key.kind_name()}")
            entries[key_node.value] = self.child(value_node, key_node.value)
            key_lines[key_node.value] = key_node
        for key_node, value_node in merged:
            # YAML merge keys (<<): explicit keys win, then earlier merge sources.
            if isinstance(key_node, yaml.ScalarNode) and key_node.value not in entries:
                entries[key_node.value] = self.child(value_node, key_node.value)
                key_lines[key_node.value] = key_node
        if allowed is not None:
            allowed = tuple(allowed)
            for key in entries:
                if key not in allowed:
                    # Reported at the key's own line, as Reader does (a block value starts below it).
                    raise self.child(key_lines[key], key).error(unknown_key_message(key, allowed))
        for key in required:
            if key not in entries:
                raise self.error(f"missing required key {key!r}")
        return entries

    def _merge_pairs(self) -> tuple[Pairs, Pairs]:
        """Split a mapping into its own pairs and the pairs merged in with ``<<: *anchor``.

        Unlike PyYAML's ``flatten_mapping`` this leaves the node graph untouched, so a mapping
        can be read more than once and an anchor reused by several workloads.
        """
        explicit: Pairs = []
        merged: Pairs = []
        for key_node, value_node in self.node.value:
            if key_node.tag != _MERGE_TAG:
                explicit.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                inner = YamlNode(source, self.path, self.source, self.error_type)
                if not inner.is_mapping:
                    raise inner.error("'<<' merges only mappings")
                source_explicit, source_merged = inner._merge_pairs()
                merged.extend(source_explicit + source_merged)
        return explicit, merged

    def sequence(self, *, min_items: int = 0) -> list[YamlNode]:
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
        return describe(self.scalar())

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

    def _typed(self) -> Any:
        """The scalar, or an empty dict / list standing for a collection, for the type checks:
        ``expected an integer, got a list`` reads the same as from :class:`Reader`."""
        if self.is_mapping:
            return {}
        if self.is_sequence:
            return []
        return self.scalar()

    def string(self, *, allow_empty: bool = False) -> str:
        return as_string(self._typed(), self.error, allow_empty=allow_empty)

    def integer(self, *, minimum: int | None = None, maximum: int | None = None) -> int:
        return as_integer(self._typed(), self.error, minimum=minimum, maximum=maximum)

    def number(self, *, minimum: float | None = None, maximum: float | None = None) -> float:
        return as_number(self._typed(), self.error, minimum=minimum, maximum=maximum)

    def boolean(self) -> bool:
        return as_boolean(self._typed(), self.error)

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
        return {key: as_string_value(value._typed(), value.error) for key, value in self.mapping().items()}
