"""Parsing ``METRIC OP VALUE`` lines (DESIGN.md §3.5).

VALUE is a number with an optional unit (``30s``, ``2m``, ``1.5h``, ``500ms``, ``5%``) or
an expression of the baseline run (``baseline``, ``baseline * 1.05``, ``baseline + 30s``,
``baseline - 2``, ``baseline + 5%``). Units are checked against the metric's unit, so
``nodes.peak <= 2m`` is an error rather than a bound of 120 nodes.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence

from pytest_simkube.errors import ScenarioError
from pytest_simkube.expect.catalogue import METRICS, suggest_metric
from pytest_simkube.expect.model import COMPARATORS, Bound, Expectation
from pytest_simkube.kube.duration import DurationError, parse_duration

_LINE = re.compile(r"^\s*(?P<metric>[^\s<>=!]+)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>.*?)\s*$")
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PLAIN = re.compile(rf"^{_NUMBER}$")
_PERCENT = re.compile(rf"^({_NUMBER})\s*%$")
_BASELINE = re.compile(r"^baseline(?:\s*(?P<op>[*+-])\s*(?P<operand>.+))?$")
OPERATORS = tuple(COMPARATORS)


class ExpectationSyntaxError(ValueError):
    """An expectation line that cannot be parsed; the message says why."""


def parse_expectation(
    text: str, source: str | None = None, line: int | None = None, where: str | None = None
) -> Expectation:
    """Parse one expectation; bad input raises :class:`ScenarioError` naming file and line."""
    try:
        metric, op, bound = _parse(text)
    except ExpectationSyntaxError as exc:
        shown = text.strip() if isinstance(text, str) else text
        raise ScenarioError(source, _where(line, where), f"expectation {shown!r}: {exc}") from None
    return Expectation(metric=metric, op=op, bound=bound, text=text.strip(), source=source, line=line,
                       where=where)


def parse_expectations(
    items: Sequence[object], source: str | None = None, where: str = "expect",
    lines: Mapping[str, int] | None = None,
) -> list[Expectation]:
    """Parse a scenario's ``expect:`` list; ``lines`` maps ``expect[i]`` to source lines."""
    result = []
    for index, item in enumerate(items):
        path = f"{where}[{index}]"
        line = lines.get(path) if lines else None
        if not isinstance(item, str):
            message = f"expected an expectation string like 'pods.unschedulable == 0', got {item!r}"
            raise ScenarioError(source, _where(line, path), message)
        result.append(parse_expectation(item, source, line, path))
    return result


def _where(line: int | None, path: str | None) -> str | None:
    if line and path:
        return f"line {line}, key '{path}'"
    if line:
        return f"line {line}"
    return path


def _parse(text: str) -> tuple[str, str, Bound]:
    if not isinstance(text, str) or not text.strip():
        raise ExpectationSyntaxError("empty expectation")
    match = _LINE.match(text)
    if not match:
        hint = ""
        for wrong, right in (("=>", ">="), ("=<", "<="), ("<>", "!=")):
            if wrong in text:
                hint = f" (did you mean {right!r}?)"
                break
        else:
            if re.search(r"(?<![<>=!])=(?!=)", text):
                hint = " (use '==' for equality)"
        raise ExpectationSyntaxError(
            f"expected 'METRIC OP VALUE' with OP one of {' '.join(OPERATORS)}{hint}")
    metric, op, value = match.group("metric", "op", "value")
    if value.startswith("="):
        raise ExpectationSyntaxError(f"unknown operator '{op}='; use one of {' '.join(OPERATORS)}")
    info = METRICS.get(metric)
    if info is None:
        suggestion = suggest_metric(metric)
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        raise ExpectationSyntaxError(f"unknown metric {metric!r}{hint}")
    if not value:
        raise ExpectationSyntaxError("missing value after the operator")
    return metric, op, _parse_bound(value, info.unit)


def _parse_bound(text: str, unit: str) -> Bound:
    baseline = _BASELINE.match(text)
    if baseline:
        op, operand = baseline.group("op", "operand")
        if op is None:
            return Bound(text=text, relative=True)
        operand = operand.strip()
        if op == "*":
            if not _PLAIN.match(operand):
                raise ExpectationSyntaxError(f"'baseline * K' needs a plain number K, got {operand!r}")
            factor = _finite(float(operand), operand)
            if factor < 0:
                raise ExpectationSyntaxError(f"'baseline * K' needs K >= 0, got {operand!r}")
            return Bound(text=text, relative=True, factor=factor)
        sign = 1.0 if op == "+" else -1.0
        percent = _PERCENT.match(operand)
        if percent:
            ratio = _finite(float(percent.group(1)), operand) / 100
            return Bound(text=text, relative=True, factor=1.0 + sign * ratio)
        amount = _parse_amount(operand, unit)
        return Bound(text=text, relative=True, offset=sign * amount)
    if re.fullmatch(r"[A-Za-z_]+", text) and difflib.get_close_matches(text, ["baseline"], cutoff=0.7):
        raise ExpectationSyntaxError(f"cannot parse value {text!r} (did you mean 'baseline'?)")
    if "baseline" in text:
        raise ExpectationSyntaxError(
            f"cannot parse {text!r}: use 'baseline', 'baseline * K', 'baseline + X' or 'baseline - X'")
    percent = _PERCENT.match(text)
    if percent:
        if unit != "ratio":
            raise ExpectationSyntaxError(
                f"a percentage only fits ratio metrics, and this metric is in {unit}")
        return Bound(text=text, value=_finite(float(percent.group(1)), text) / 100)
    return Bound(text=text, value=_parse_amount(text, unit))


def _parse_amount(text: str, unit: str) -> float:
    if _PLAIN.match(text):
        return _finite(float(text), text)
    try:
        seconds = parse_duration(text, allow_negative=True)
    except DurationError as exc:
        raise ExpectationSyntaxError(f"cannot parse value {text!r}: {exc}") from None
    if unit != "seconds":
        raise ExpectationSyntaxError(f"value {text!r} is a duration, but this metric is in {unit}")
    return seconds


def _finite(value: float, text: str) -> float:
    if not math.isfinite(value):
        raise ExpectationSyntaxError(f"value {text!r} is not a finite number")
    return value
