"""The Simulation: virtual clock, event queue, seeded RNG per component, the RunRecord.

Everything the engine does happens inside a callback popped from one queue, so there are
no threads and no wall clock: same inputs and seed give the same sequence of callbacks and
therefore the same RunRecord, byte for byte.

Each component draws from its own ``numpy.random.Generator`` derived from the run seed
and a stable hash of the component's name (``SeedSequence(seed, spawn_key=(crc32(name),))``),
so adding a component or changing how often one draws never perturbs another's stream.

Run rule (how a replay ends): events run in (time, sequence) order up to ``window_end``
(the trace's last event or the scenario's ``duration`` cut). After that the run *drains*:
it stops before the first event at which no foreground event is queued (controller syncs,
scheduling cycles, nodes booting, pods starting) and either no pod is waiting to be
scheduled or nothing has changed for ``quiet_seconds`` (those pods are stuck); in any case
at ``window_end + drain_limit``. Background events - periodic scans, retry timers - never
extend a run by themselves, and pods do not finish during the drain (the trace is over:
their run-time timers are dropped), so finished pods are not replaced again and again. The recorded duration
is ``max(window_end, time of the last change)``; a retry that fails again is no change.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from pytest_simkube.engine.events import Event, EventQueue
from pytest_simkube.runrecord import Record, RunHeader, RunRecord


class Simulation:
    def __init__(self, seed: int, header: RunHeader | None = None) -> None:
        self.seed = seed
        self.now = 0.0
        self.queue = EventQueue()
        self.run = RunRecord(header or RunHeader(scenario="", seed=seed))
        self.components: dict[str, Any] = {}
        self.last_change = 0.0
        self._rngs: dict[str, np.random.Generator] = {}
        self.stopped = False

    # -- scheduling -------------------------------------------------------------------
    def at(self, t: float, callback: Callable[..., Any], *args: Any, background: bool = False) -> Event:
        """Run ``callback(*args)`` at virtual time ``t`` (never in the past)."""
        return self.queue.schedule(max(t, self.now), callback, *args, background=background)

    def after(self, delay: float, callback: Callable[..., Any], *args: Any,
              background: bool = False, window_only: bool = False) -> Event:
        return self.queue.schedule(self.now + max(delay, 0.0), callback, *args, background=background,
                                   window_only=window_only)

    def every(self, interval: float, callback: Callable[[], Any], *, first: float | None = None) -> None:
        """Run ``callback()`` every ``interval`` seconds as a background timer."""

        def tick() -> None:
            callback()
            self.after(interval, tick, background=True)

        self.at(self.now + interval if first is None else first, tick, background=True)

    def cancel(self, event: Event | None) -> None:
        self.queue.cancel(event)

    # -- components and randomness ---------------------------------------------------
    def register(self, name: str, component: Any) -> Any:
        if name in self.components:
            raise ValueError(f"component {name!r} registered twice")
        self.components[name] = component
        return component

    def rng(self, component: str) -> np.random.Generator:
        """The component's own seeded generator (same name -> same stream)."""
        gen = self._rngs.get(component)
        if gen is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(component.encode()),))
            gen = self._rngs[component] = np.random.Generator(np.random.PCG64(seq))
        return gen

    # -- the record -------------------------------------------------------------------
    def emit(self, record: Record, *, change: bool = True) -> None:
        """Append to the RunRecord; ``change=False`` for records that only repeat a state
        (a pod failing to schedule again), which must not keep a drain going."""
        self.run.records.append(record)
        if change:
            self.last_change = self.now

    def t(self) -> float:
        """``now`` rounded to microseconds, the precision records carry."""
        return round(self.now, 6)

    # -- the loop ---------------------------------------------------------------------
    def run_until_quiet(self, window_end: float, *, quiet_seconds: float = 900.0,
                        drain_limit: float = 3600.0,
                        progress: Callable[[Simulation], None] | None = None,
                        progress_every: int = 20000,
                        waiting: Callable[[], bool] | None = None) -> float:
        """Process events per the run rule above; returns the recorded duration.

        ``waiting()`` tells whether pods are still waiting to be scheduled."""
        hard_stop = window_end + drain_limit
        queue = self.queue
        processed = 0
        while not self.stopped:
            t = queue.peek_time()
            if t is None:
                break
            if t > window_end:
                if t > hard_stop:
                    return hard_stop
                if queue.foreground == 0 and (
                    waiting is None or not waiting() or t >= self.last_change + quiet_seconds
                ):
                    break
            event = queue.pop()
            assert event is not None
            if event.window_only and event.t > window_end:
                continue
            self.now = event.t
            event.callback(*event.args)
            processed += 1
            if progress is not None and processed % progress_every == 0:
                progress(self)
        return max(window_end, self.last_change)
