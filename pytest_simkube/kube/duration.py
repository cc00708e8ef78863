"""Durations as Kubernetes and its tools write them: Go ``time.Duration`` strings.

Scenario files, autoscaler flags and expectations all carry durations (``45s``,
``10m``, ``1h30m``, ``500ms``). Parsing them exactly like Go's ``time.ParseDuration``
(Go ``src/time/format.go``) keeps a value that works on the real cluster-autoscaler
command line meaning the same thing here. Plain numbers are accepted as seconds because
YAML users write ``provisionDelay: 45`` and mean it.
"""

from __future__ import annotations

import math
import re

# Go's unitMap (src/time/format.go): ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h.
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_COMPONENT = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


class DurationError(ValueError):
    """Text that is not a duration; the message quotes it the way Go's error does."""


def parse_duration(text: str | int | float, *, allow_negative: bool = False) -> float:
    """Seconds in a Go duration (``"1h30m"`` -> 5400.0) or a plain number of seconds.

    Negative durations are valid Go but meaningless for delays and windows, so they are
    rejected unless ``allow_negative`` is set.
    """
    if isinstance(text, bool):
        raise DurationError(f"durations must be strings like '30s' or numbers of seconds, not {text!r}")
    if isinstance(text, int | float):
        seconds = float(text)
    elif isinstance(text, str):
        seconds = _parse_text(text.strip())
    else:
        raise DurationError(f"durations must be strings like '30s' or numbers of seconds, "
                            f"not {type(text).__name__}")
    if not math.isfinite(seconds):
        raise DurationError(f"duration {text!r} is not finite")
    if seconds < 0 and not allow_negative:
        raise DurationError(f"duration {text!r} is negative")
    return seconds


def _parse_text(text: str) -> float:
    if _PLAIN_NUMBER.match(text):
        return float(text)
    original = text
    sign = 1.0
    if text[:1] in ("+", "-"):
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":  # Go special-cases a bare "0"
        return 0.0
    if not text:
        raise DurationError(f"invalid duration {original!r}")
    total = 0.0
    position = 0
    while position < len(text):
        match = _COMPONENT.match(text, position)
        number, unit = match.group(1), match.group(2)
        if not number or number == ".":
            raise DurationError(f"invalid duration {original!r}")
        if not unit:
            raise DurationError(f"missing unit in duration {original!r} "
                                f"(use one of ns, us, ms, s, m, h)")
        if unit not in _UNIT_SECONDS:
            raise DurationError(f"unknown unit {unit!r} in duration {original!r} "
                                f"(use one of ns, us, ms, s, m, h)")
        total += float(number) * _UNIT_SECONDS[unit]
        position = match.end()
    return sign * total


def format_duration(seconds: float) -> str:
    """Go's ``Duration.String()`` form (``600.0`` -> ``"10m0s"``, ``0.5`` -> ``"500ms"``).

    Used when a value goes back onto a real command line, where Go parses it again.
    """
    nanos = round(seconds * 1e9)
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("\u00b5s", 1_000), ("ns", 1)):
            if nanos >= size:
                return sign + _trim(nanos / size) + unit
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = ""
    if hours:
        text += f"{hours}h"
    if hours or minutes:
        text += f"{minutes}m"
    return sign + text + _trim(rest / 1e9) + "s"


def _trim(value: float) -> str:
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text or "0"
