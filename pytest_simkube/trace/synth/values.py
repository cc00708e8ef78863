"""Value parsers the spec loader shares: times, name patterns, Kubernetes names and labels.

Each parser raises ``ValueError`` with a short reason; :meth:`YamlNode.parsed` adds the
file, line and key.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from typing import Any

from pytest_simkube.kube.duration import parse_duration
from pytest_simkube.kube.labels import LabelSelectorError, validate_label_key, validate_label_value

PLACEHOLDERS = ("i", "name", "namespace")
"""Names a pattern may use: the workload's index in its group, its name, its namespace."""

# DNS-1123 subdomain (object names) and label (namespaces); apimachinery validation.go.
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def seconds(value: Any) -> float:
    """A non-negative duration (``"90s"``, ``"1h30m"``, ``45``) in seconds."""
    return parse_duration(value)


def positive_seconds(value: Any) -> float:
    result = parse_duration(value)
    if result <= 0:
        raise ValueError(f"duration {value!r} must be greater than zero")
    return result


def timestamp(value: Any) -> int:
    """Unix seconds from a YAML timestamp, an RFC 3339 string or an integer.

    Timestamps without a zone are UTC: a trace must not depend on the machine's zone.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a timestamp, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"timestamp {value} is before 1970")
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an RFC 3339 timestamp such as 2025-01-06T00:00:00Z") from None
    if not isinstance(value, dt.datetime):
        raise ValueError(f"expected a timestamp, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    result = value.timestamp()
    if result != int(result):
        raise ValueError("timestamps are whole seconds in a trace")
    return int(result)


class Pattern:
    """A string with ``{i}``, ``{i:03d}``, ``{name}`` or ``{namespace}`` placeholders.

    Uses Python's format mini-language for the spec after ``:`` (so ``{i:03d}`` pads),
    but only these names: anything else is an error when the spec is loaded, not a
    ``KeyError`` halfway through generating a trace.
    """

    __slots__ = ("fields", "text")

    def __init__(self, text: str, allowed: tuple[str, ...] = PLACEHOLDERS) -> None:
        if not isinstance(text, str):
            raise ValueError(f"expected a string, got {type(text).__name__}")
        fields: set[str] = set()
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise ValueError(f"bad placeholder in {text!r}: {exc}") from None
        for _, field, spec, conversion in parsed:
            if field is None:
                continue
            if field not in allowed:
                raise ValueError(f"unknown placeholder {{{field}}} in {text!r} "
                                 f"(allowed: {', '.join('{' + a + '}' for a in allowed)})")
            if conversion:
                raise ValueError(f"conversions like !{conversion} are not supported in {text!r}")
            sample: Any = 0 if field == "i" else "x"
            try:
                format(sample, spec or "")
            except ValueError as exc:
                raise ValueError(f"bad format {spec!r} for {{{field}}} in {text!r}: {exc}") from None
            fields.add(field)
        self.text = text
        self.fields = frozenset(fields)

    def render(self, **values: Any) -> str:
        return self.text.format(**values) if self.fields or "{" in self.text else self.text


def render_tree(value: Any, values: Mapping[str, Any]) -> Any:
    """Copy a JSON-shaped value, rendering every string through :class:`Pattern`.

    Strings were checked when the spec was loaded, so rendering cannot fail here.
    """
    if isinstance(value, str):
        return value.format(**values) if "{" in value else value
    if isinstance(value, dict):
        return {key: render_tree(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [render_tree(item, values) for item in value]
    return value


def check_patterns(value: Any) -> None:
    """Raise ValueError if any string inside ``value`` has an unknown placeholder."""
    if isinstance(value, str):
        Pattern(value)
    elif isinstance(value, dict):
        for item in value.values():
            check_patterns(item)
    elif isinstance(value, list):
        for item in value:
            check_patterns(item)


def check_object_name(name: str, *, max_length: int, what: str) -> None:
    if len(name) > max_length:
        raise ValueError(f"{what} {name!r} is longer than {max_length} characters")
    if not _DNS1123_SUBDOMAIN.match(name):
        raise ValueError(f"{what} {name!r} must consist of lower case alphanumeric characters, '-' or '.', "
                         f"and must start and end with an alphanumeric character")


def check_dns_label(name: str, what: str) -> str:
    if len(name) > 63 or not _DNS1123_LABEL.match(name):
        raise ValueError(f"{what} {name!r} must be a DNS-1123 label (lower case alphanumeric or '-', "
                         f"at most 63 characters)")
    return name


def check_namespace(name: Any) -> str:
    if not isinstance(name, str):
        raise ValueError(f"expected a string, got {type(name).__name__}")
    return check_dns_label(name, "namespace")


def check_labels(labels: Mapping[str, str]) -> None:
    """apimachinery ``ValidateLabels``: qualified-name keys, values of at most 63 characters."""
    for key, value in labels.items():
        try:
            validate_label_key(key)
            validate_label_value(value)
        except LabelSelectorError as exc:
            raise ValueError(f"label {key}={value!r}: {exc.problem}") from None
