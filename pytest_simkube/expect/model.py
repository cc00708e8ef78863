"""What an expectation is: a metric, a comparison and a bound, remembered with its source line.

The source file and line travel with every expectation so a broken SLO can be reported
where it was written (JUnit case names, GitHub ``::error file=...,line=...`` annotations).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Op = Literal["<=", "<", ">=", ">", "==", "!="]

# Equality on floats computed by different runs would be brittle; 1e-9 relative is far
# below anything a metric can meaningfully distinguish.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(_REL_TOL * max(abs(a), abs(b)), _ABS_TOL)


COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b or _close(a, b),
    "<": operator.lt,
    ">=": lambda a, b: a >= b or _close(a, b),
    ">": operator.gt,
    "==": _close,
    "!=": lambda a, b: not _close(a, b),
}


@dataclass(frozen=True, slots=True)
class Bound:
    """The right-hand side: an absolute value, or an expression of the baseline run's value.

    ``baseline * K`` is ``factor=K``; ``baseline + X`` is ``offset=X``; ``baseline + 5%``
    is ``factor=1.05`` (a percentage next to ``baseline`` is relative to it).
    """

    text: str
    value: float = 0.0
    relative: bool = False
    factor: float = 1.0
    offset: float = 0.0

    def resolve(self, baseline: float | None) -> float:
        """The number to compare against; relative bounds need the baseline's value."""
        if not self.relative:
            return self.value
        if baseline is None:
            raise ValueError(f"bound {self.text!r} needs a baseline value")
        return baseline * self.factor + self.offset


@dataclass(frozen=True, slots=True)
class Expectation:
    """``METRIC OP BOUND`` as written, with where it was written."""

    metric: str
    op: Op
    bound: Bound
    text: str
    source: str | None = None
    line: int | None = None
    where: str | None = None

    @property
    def relative(self) -> bool:
        return self.bound.relative

    @property
    def name(self) -> str:
        """A stable, readable identifier (used as the JUnit test-case name)."""
        return f"{self.metric} {self.op} {self.bound.text}"

    def holds(self, actual: float, bound: float) -> bool:
        return COMPARATORS[self.op](actual, bound)
