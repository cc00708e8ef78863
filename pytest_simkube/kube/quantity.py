"""Kubernetes ``resource.Quantity`` parsing, exact to apimachinery's rules.

Upstream: k8s.io/apimachinery/pkg/api/resource/quantity.go (ParseQuantity, MilliValue,
Value). A quantity is ``<signed decimal number><suffix>`` where the suffix is a binary SI
suffix (Ki..Ei), a decimal SI suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent
(e3, E-2). Values are kept as exact fractions; ``Value`` and ``MilliValue`` round *up*
(towards +inf) as apimachinery does, so "1.5m" CPU is 2 millicores.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([a-zA-Z]*|[eE][+-]?[0-9]+)$")


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity; the message quotes it."""


def parse_quantity(text: str | int | float) -> Fraction:
    """Exact value of a quantity (``"100m"`` -> 1/10, ``"1Gi"`` -> 1073741824)."""
    if isinstance(text, bool):
        raise QuantityError(f"quantities must be strings or numbers, not {text!r}")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise QuantityError(f"quantity {text!r} is not finite")
        return Fraction(str(text))
    if not isinstance(text, str):
        raise QuantityError(f"quantities must be strings or numbers, not {type(text).__name__}")
    match = _QUANTITY.match(text.strip())
    if not match:
        raise QuantityError(f"quantities must match the regular expression "
                            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}")
    number, suffix = match.groups()
    value = Fraction(number)
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix in _DECIMAL:
        return value * _DECIMAL[suffix]
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        exponent = int(suffix[1:])
        return value * (Fraction(10) ** exponent)
    raise QuantityError(f"unknown quantity suffix {suffix!r} in {text!r}")


def quantity_value(text: str | int | float) -> int:
    """``Quantity.Value()``: whole units, rounded up (memory bytes, pods, GPUs)."""
    return math.ceil(parse_quantity(text))


def quantity_milli_value(text: str | int | float) -> int:
    """``Quantity.MilliValue()``: thousandths, rounded up (CPU millicores)."""
    return math.ceil(parse_quantity(text) * 1000)


def format_cpu_millis(millis: int) -> str:
    """Canonical short form of a CPU amount: ``"250m"`` or ``"2"``."""
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def format_bytes(value: int) -> str:
    """Canonical binary form of a byte amount (``"512Mi"``), exact, no rounding."""
    for suffix, factor in sorted(_BINARY.items(), key=lambda item: -item[1]):
        if value and value % factor == 0:
            return f"{value // factor}{suffix}"
    return str(value)
