"""Node groups whose scale-up failed are left alone for a while: CA's exponential backoff.

Upstream ``utils/backoff/exponential_backoff.go`` ``Backoff``: the first failure backs the
group off for ``initial-node-group-backoff-duration`` (5m); a failure after that backoff
ended doubles the duration, up to ``max-node-group-backoff-duration`` (30m); failures during
a backoff keep its duration; once ``node-group-backoff-reset-timeout`` (3h) passed since the
last failure, the duration starts over. ``IsBackedOff`` is true until ``backoffUntil``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Entry:
    duration: float
    until: float
    last_failure: float


class ExponentialBackoff:
    """Per node group backoff in virtual seconds."""

    def __init__(self, initial: float, maximum: float, reset_timeout: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self.reset_timeout = reset_timeout
        self._entries: dict[str, _Entry] = {}

    def backoff(self, group: str, now: float) -> float:
        """Register a failed scale-up of ``group`` at ``now``; returns when the backoff ends."""
        duration = self.initial
        entry = self._entries.get(group)
        if entry is not None:
            duration = min(2 * entry.duration, self.maximum) if entry.until < now else entry.duration
            if entry.last_failure + self.reset_timeout < now:
                duration = self.initial
        until = now + duration
        self._entries[group] = _Entry(duration, until, now)
        return until

    def is_backed_off(self, group: str, now: float) -> bool:
        entry = self._entries.get(group)
        return entry is not None and now < entry.until
