"""Kubernetes label selectors: the API form, the kubectl string form, and matching.

Upstream: k8s.io/apimachinery/pkg/labels/selector.go (Requirement, internalSelector, Parse)
and pkg/apis/meta/v1/helpers.go (LabelSelectorAsSelector). Semantics reproduced exactly:

- a *nil* ``LabelSelector`` matches nothing, an *empty* one (no matchLabels, no
  matchExpressions) matches everything;
- ``NotIn`` and ``!=`` match objects that do not have the key at all;
- ``Exists``/``DoesNotExist`` take no values, ``In``/``NotIn`` need at least one;
- requirements are ANDed and kept sorted by key (that is also the ``str()`` order);
- ``Gt``/``Lt`` exist in the string syntax (``replicas>2``) as upstream, but an API
  ``LabelSelector`` rejects them: numeric comparisons belong to node selector requirements.

Compiled selectors are immutable and hashable, so callers can cache per-selector results
(e.g. matching-pod counts per topology domain).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.errors import InputError

IN = "in"
NOT_IN = "notin"
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"

# LabelSelectorRequirement operators of the API form -> internal operator.
_API_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}

_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME_HELP = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
              "with an alphanumeric character")


class LabelSelectorError(ValueError):
    """An invalid selector; ``subpath`` is where inside the selector (``matchExpressions[1].values``).

    Callers that know the file turn it into an :class:`InputError` with :meth:`to_input_error`.
    """

    def __init__(self, subpath: str, problem: str) -> None:
        self.subpath = subpath
        self.problem = problem
        super().__init__(f"{subpath}: {problem}" if subpath else problem)

    def to_input_error(self, error_type: type[InputError], source: str | None,
                       where: str | None) -> InputError:
        """The same problem as ``error_type(source, where + subpath, problem)``."""
        path = ".".join(p for p in (where, self.subpath) if p)
        return error_type(source, path or None, self.problem)


def validate_label_key(key: object, subpath: str = "key") -> str:
    """A qualified name: ``[prefix/]name``, name ≤ 63 chars, prefix a DNS subdomain ≤ 253 chars.

    Upstream: apimachinery/pkg/util/validation/validation.go IsQualifiedName.
    """
    if not isinstance(key, str):
        raise LabelSelectorError(subpath, f"label key must be a string, got {type(key).__name__}")
    prefix, slash, name = key.rpartition("/")
    if not slash:
        name = key
    elif key.count("/") > 1:
        raise LabelSelectorError(subpath, f"invalid label key {key!r}: a qualified name must consist of "
                                          "an optional DNS subdomain prefix, '/' and a name")
    elif not prefix:
        raise LabelSelectorError(subpath, f"invalid label key {key!r}: prefix part must be non-empty")
    elif len(prefix) > 253 or not _DNS1123_SUBDOMAIN_RE.match(prefix):
        raise LabelSelectorError(subpath, f"invalid label key {key!r}: prefix part must be a lowercase "
                                          "DNS subdomain of at most 253 characters")
    if not name:
        raise LabelSelectorError(subpath, f"invalid label key {key!r}: name part must be non-empty")
    if len(name) > 63:
        raise LabelSelectorError(subpath, f"invalid label key {key!r}: name part must be no more than "
                                          "63 characters")
    if not _NAME_RE.match(name):
        raise LabelSelectorError(subpath, f"invalid label key {key!r}: name part {_NAME_HELP}")
    return key


def validate_label_value(value: object, subpath: str = "value") -> str:
    """A label value: empty, or ≤ 63 chars of ``[-A-Za-z0-9_.]`` starting/ending alphanumeric."""
    if not isinstance(value, str):
        raise LabelSelectorError(subpath, f"label value must be a string, got {type(value).__name__}")
    if value and (len(value) > 63 or not _NAME_RE.match(value)):
        raise LabelSelectorError(subpath, f"invalid label value {value!r}: a valid label value must be "
                                          f"an empty string or be at most 63 characters and {_NAME_HELP}")
    return value


_KIND_IN, _KIND_NOT_IN, _KIND_EXISTS, _KIND_NOT_EXISTS, _KIND_GT, _KIND_LT = range(6)
_KINDS = {IN: _KIND_IN, EQUALS: _KIND_IN, DOUBLE_EQUALS: _KIND_IN,
          NOT_IN: _KIND_NOT_IN, NOT_EQUALS: _KIND_NOT_IN,
          EXISTS: _KIND_EXISTS, DOES_NOT_EXIST: _KIND_NOT_EXISTS,
          GREATER_THAN: _KIND_GT, LESS_THAN: _KIND_LT}


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``key operator values`` clause; ``values`` is sorted and de-duplicated."""

    key: str
    operator: str
    values: tuple[str, ...] = ()
    _kind: int = field(init=False, repr=False, compare=False, default=0)
    _set: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        # Matching runs for every pod added to a cluster: decide the operator once.
        object.__setattr__(self, "_kind", _KINDS.get(self.operator, _KIND_IN))
        object.__setattr__(self, "_set", frozenset(self.values))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Upstream Requirement.Matches, operator by operator."""
        kind = self._kind
        if kind == _KIND_IN:
            value = labels.get(self.key)
            return value is not None and value in self._set
        if kind == _KIND_NOT_IN:
            value = labels.get(self.key)
            return value is None or value not in self._set
        if kind == _KIND_EXISTS:
            return self.key in labels
        if kind == _KIND_NOT_EXISTS:
            return self.key not in labels
        # Gt / Lt: both sides must parse as integers, otherwise no match.
        value = labels.get(self.key)
        if value is None:
            return False
        try:
            have, bound = int(value), int(self.values[0])
        except ValueError:
            return False
        return have > bound if kind == _KIND_GT else have < bound

    def __str__(self) -> str:
        op = self.operator
        if op == EXISTS:
            return self.key
        if op == DOES_NOT_EXIST:
            return f"!{self.key}"
        if op in (IN, NOT_IN):
            return f"{self.key} {op} ({','.join(self.values)})"
        symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op)
        return f"{self.key}{symbol}{self.values[0]}"


def make_requirement(key: str, operator: str, values: Iterable[str] = (), subpath: str = "") -> Requirement:
    """Validated Requirement (upstream labels.NewRequirement)."""
    vals = list(values)
    validate_label_key(key, _join(subpath, "key"))
    if operator in (IN, NOT_IN):
        if not vals:
            raise LabelSelectorError(_join(subpath, "values"),
                                     "for 'in', 'notin' operators, values set can't be empty")
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            raise LabelSelectorError(_join(subpath, "values"),
                                     "exact-match compatibility requires one single value")
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if vals:
            raise LabelSelectorError(_join(subpath, "values"),
                                     "values set must be empty for exists and does not exist")
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            raise LabelSelectorError(_join(subpath, "values"),
                                     "for 'Gt', 'Lt' operators, exactly one value is required")
        try:
            int(vals[0])
        except ValueError:
            raise LabelSelectorError(_join(subpath, "values"),
                                     f"for 'Gt', 'Lt' operators, the value must be an integer, "
                                     f"got {vals[0]!r}") from None
    else:
        raise LabelSelectorError(_join(subpath, "operator"), f"operator {operator!r} is not recognized")
    for i, value in enumerate(vals):
        validate_label_value(value, _join(subpath, f"values[{i}]"))
    return Requirement(key, operator, tuple(sorted(set(vals))))


@dataclass(frozen=True, slots=True)
class Selector:
    """A compiled selector: the AND of its requirements, or the selector that matches nothing.

    Selectors key caches of match counts, so the hash is computed once.
    """

    requirements: tuple[Requirement, ...] = ()
    matches_nothing: bool = False
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.requirements, self.matches_nothing)))

    def __hash__(self) -> int:
        return self._hash

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.matches_nothing:
            return False
        if labels is None:
            labels = {}
        for requirement in self.requirements:  # noqa: SIM110 - a plain loop is ~2x faster than all()
            if not requirement.matches(labels):
                return False
        return True

    def is_empty(self) -> bool:
        """True when it matches everything (upstream ``Selector.Empty()``)."""
        return not self.matches_nothing and not self.requirements

    def add(self, *requirements: Requirement) -> Selector:
        """A new selector with more requirements ANDed in (upstream ``Selector.Add``)."""
        if self.matches_nothing:
            return self
        return Selector(_sorted(self.requirements + tuple(requirements)))

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = Selector()
NOTHING = Selector(matches_nothing=True)


def _sorted(requirements: Iterable[Requirement]) -> tuple[Requirement, ...]:
    # Upstream sorts requirements by key only (stable), keeping insertion order among equal keys.
    return tuple(sorted(requirements, key=lambda r: r.key))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """``key=value`` for each entry (upstream ``labels.SelectorFromSet``; Service selectors, nodeSelector).

    An empty or missing set gives the selector that matches everything, as upstream.
    """
    if not labels:
        return EVERYTHING
    if not isinstance(labels, Mapping):
        raise LabelSelectorError("", f"a label set must be a mapping, got {type(labels).__name__}")
    return Selector(_sorted(
        make_requirement(str(k), EQUALS, [v if isinstance(v, str) else str(v)], subpath=str(k))
        for k, v in labels.items()
    ))


def label_selector_as_selector(selector: Mapping[str, Any] | None) -> Selector:
    """Compile an API ``LabelSelector`` (upstream ``metav1.LabelSelectorAsSelector``).

    ``None`` -> matches nothing; ``{}`` -> matches everything. Raises
    :class:`LabelSelectorError` naming the field inside the selector.
    """
    if selector is None:
        return NOTHING
    if not isinstance(selector, Mapping):
        raise LabelSelectorError("", f"a label selector must be a mapping, got {type(selector).__name__}")
    unknown = sorted(set(selector) - {"matchLabels", "matchExpressions"})
    if unknown:
        raise LabelSelectorError(unknown[0], "unknown field in a label selector "
                                             "(expected matchLabels and/or matchExpressions)")
    match_labels = selector.get("matchLabels") or {}
    match_expressions = selector.get("matchExpressions") or []
    if not match_labels and not match_expressions:
        return EVERYTHING
    if not isinstance(match_labels, Mapping):
        raise LabelSelectorError("matchLabels", f"must be a mapping, got {type(match_labels).__name__}")
    if not isinstance(match_expressions, list):
        raise LabelSelectorError("matchExpressions",
                                 f"must be a list, got {type(match_expressions).__name__}")
    requirements: list[Requirement] = []
    for key, value in match_labels.items():
        where = f"matchLabels.{key}"
        validate_label_value(value, where)
        requirements.append(make_requirement(key, EQUALS, [value], subpath=where))
    for i, expr in enumerate(match_expressions):
        where = f"matchExpressions[{i}]"
        if not isinstance(expr, Mapping):
            raise LabelSelectorError(where, f"must be a mapping, got {type(expr).__name__}")
        operator = expr.get("operator")
        if operator not in _API_OPERATORS:
            raise LabelSelectorError(f"{where}.operator",
                                     f"{operator!r} is not a valid label selector operator "
                                     f"(expected one of In, NotIn, Exists, DoesNotExist)")
        values = expr.get("values") or []
        if not isinstance(values, list):
            raise LabelSelectorError(f"{where}.values", f"must be a list, got {type(values).__name__}")
        requirements.append(make_requirement(expr.get("key"), _API_OPERATORS[operator], values, where))
    return Selector(_sorted(requirements))


def compile_label_selector(selector: Mapping[str, Any] | None, *, error_type: type[InputError],
                           source: str | None, where: str | None) -> Selector:
    """:func:`label_selector_as_selector`, raising ``error_type(source, where…, problem)`` on bad input."""
    try:
        return label_selector_as_selector(selector)
    except LabelSelectorError as exc:
        raise exc.to_input_error(error_type, source, where) from None


# ---------------------------------------------------------------- string syntax (kubectl -l)

_TOKEN_RE = re.compile(r"\s*(?:(?P<op>==|!=|=|!|\(|\)|,|>|<)|(?P<ident>[^\s!=(),<>]+))")


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, column) tokens; kinds: op, ident, end. ``in``/``notin`` stay idents here."""
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while True:
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:]
            if rest.strip():
                raise LabelSelectorError("", f"unexpected character {rest.strip()[0]!r} at column {pos + 1}")
            tokens.append(("end", "", len(text) + 1))
            return tokens
        kind = "op" if match.group("op") else "ident"
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()


class _Parser:
    """Recursive-descent parser for upstream's grammar (labels/selector.go ``Parser``)::

        selector    := requirement ("," requirement)*
        requirement := ["!"] KEY [ ("in" | "notin") "(" [VALUE ("," VALUE)*] ")"
                                  | ("=" | "==" | "!=") [VALUE] | (">" | "<") INTEGER ]
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.pos]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def fail(self, tok: tuple[str, str, int], expected: str) -> LabelSelectorError:
        found = "end of string" if tok[0] == "end" else repr(tok[1])
        return LabelSelectorError("", f"in selector {self.text!r}: found {found} at column {tok[2]}, "
                                      f"expected {expected}")

    def parse(self) -> Selector:
        if self.peek()[0] == "end":
            return EVERYTHING
        requirements = [self.requirement()]
        while True:
            tok = self.take()
            if tok[0] == "end":
                return Selector(_sorted(requirements))
            if tok[1] != ",":
                raise self.fail(tok, "',' or end of string")
            requirements.append(self.requirement())

    def key(self) -> tuple[str, int]:
        tok = self.take()
        if tok[0] != "ident":
            raise self.fail(tok, "a label key")
        return tok[1], tok[2]

    def requirement(self) -> Requirement:
        if self.peek()[1] == "!" and self.peek()[0] == "op":
            self.take()
            key, col = self.key()
            return self.build(key, DOES_NOT_EXIST, [], col)
        key, col = self.key()
        tok = self.peek()
        if tok[0] == "end" or tok[1] == ",":
            return self.build(key, EXISTS, [], col)
        self.take()
        if tok[0] == "ident" and tok[1] in (IN, NOT_IN):
            return self.build(key, tok[1], self.value_set(), col)
        if tok[1] in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS, ">", "<"):
            value = self.peek()
            if value[0] == "ident":
                self.take()
                text = value[1]
            elif tok[1] in (">", "<"):
                raise self.fail(value, "an integer")
            elif value[0] == "end" or value[1] == ",":
                text = ""  # `key=` means the value is the empty string, as upstream
            else:
                raise self.fail(value, "a label value")
            op = {">": GREATER_THAN, "<": LESS_THAN}.get(tok[1], tok[1])
            return self.build(key, op, [text], col)
        raise self.fail(tok, "one of '=', '==', '!=', '>', '<', 'in', 'notin', ',' or end of string")

    def value_set(self) -> list[str]:
        tok = self.take()
        if tok[1] != "(":
            raise self.fail(tok, "'('")
        values: list[str] = []
        expect_value = True
        while True:
            tok = self.take()
            if tok[1] == ")" and tok[0] == "op":
                if expect_value:
                    values.append("")  # "()" and "(a,)" carry an empty value, as upstream
                return values
            if tok[0] == "ident" and expect_value:
                values.append(tok[1])
                expect_value = False
            elif tok[1] == "," and tok[0] == "op":
                if expect_value:
                    values.append("")
                expect_value = True
            else:
                raise self.fail(tok, "a value, ',' or ')'")

    def build(self, key: str, op: str, values: list[str], col: int) -> Requirement:
        try:
            return make_requirement(key, op, values)
        except LabelSelectorError as exc:
            problem = f"in selector {self.text!r} at column {col}: {exc.problem}"
            raise LabelSelectorError("", problem) from None


def parse_selector(text: str) -> Selector:
    """Parse the kubectl string form: ``app=web,tier in (a,b),!canary,env!=prod``.

    Upstream ``labels.Parse``; an empty string matches everything. Raises
    :class:`LabelSelectorError` with the column of the offending token.
    """
    if not isinstance(text, str):
        raise LabelSelectorError("", f"a selector string must be a string, got {type(text).__name__}")
    return _Parser(text).parse()
