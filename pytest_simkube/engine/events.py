"""The discrete-event queue: callbacks ordered by (virtual time, sequence number).

The sequence number makes ties deterministic (first scheduled, first run); heap entries
are ``(t, seq, event)`` tuples, compared in C and never past the unique ``seq``.
Cancelling marks an entry dead instead of searching the heap (lazy deletion), so both
schedule and cancel stay O(log n).

*Background* events (periodic scans, retry timers) never keep a simulation alive on their
own: :meth:`EventQueue.foreground` tells the driver whether anything but them is left.
*Window-only* events (the end of a pod's traced run time) are background events that are
dropped once the replay window is over.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any


class Event:
    """A scheduled callback; keep it to :meth:`cancel` it."""

    __slots__ = ("args", "background", "callback", "cancelled", "seq", "t", "window_only")

    def __init__(self, t: float, seq: int, callback: Callable[..., Any], args: tuple[Any, ...],
                 background: bool, window_only: bool = False) -> None:
        self.t = t
        self.seq = seq
        self.callback = callback
        self.args = args
        self.background = background
        self.window_only = window_only
        self.cancelled = False


class EventQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Event]] = []
        self._seq = 0
        self._foreground = 0

    def schedule(self, t: float, callback: Callable[..., Any], *args: Any, background: bool = False,
                 window_only: bool = False) -> Event:
        event = Event(t, self._seq, callback, args, background or window_only, window_only)
        self._seq += 1
        if not background:
            self._foreground += 1
        heapq.heappush(self._heap, (t, event.seq, event))
        return event

    def cancel(self, event: Event | None) -> None:
        if event is None or event.cancelled:
            return
        event.cancelled = True
        if not event.background:
            self._foreground -= 1

    def peek_time(self) -> float | None:
        """Time of the next live event, or None when the queue is empty."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop(self) -> Event | None:
        heap = self._heap
        while heap:
            event = heapq.heappop(heap)[2]
            if event.cancelled:
                continue
            event.cancelled = True  # an event runs once; a later cancel() is a no-op
            if not event.background:
                self._foreground -= 1
            return event
        return None

    @property
    def foreground(self) -> int:
        """Live events that are not background timers."""
        return self._foreground

    def __len__(self) -> int:
        return sum(1 for _, _, e in self._heap if not e.cancelled)
