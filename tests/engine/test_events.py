"""The discrete-event core: ordering, cancellation, background/window-only events, RNG streams."""

from __future__ import annotations

import numpy as np

from pytest_simkube.engine.events import EventQueue
from pytest_simkube.engine.simulation import Simulation


def test_events_run_by_time_then_scheduling_order():
    sim = Simulation(seed=1)
    seen: list[str] = []
    sim.at(5.0, seen.append, "late")
    sim.at(1.0, seen.append, "first")
    sim.at(1.0, seen.append, "second")
    sim.at(0.5, lambda: sim.after(0.5, seen.append, "scheduled-during-run"))
    sim.run_until_quiet(10.0)
    assert seen == ["first", "second", "scheduled-during-run", "late"]


def test_cancel_and_foreground_count():
    queue = EventQueue()
    a = queue.schedule(1.0, print)
    queue.schedule(2.0, print, background=True)
    assert queue.foreground == 1 and len(queue) == 2
    queue.cancel(a)
    queue.cancel(a)
    assert queue.foreground == 0 and len(queue) == 1
    assert queue.peek_time() == 2.0


def test_background_timers_do_not_keep_a_finished_run_alive():
    sim = Simulation(seed=1)
    ticks: list[float] = []
    sim.every(10.0, lambda: ticks.append(sim.now))
    duration = sim.run_until_quiet(35.0)
    assert ticks == [10.0, 20.0, 30.0]
    assert duration == 35.0


def test_window_only_events_are_dropped_after_the_window():
    sim = Simulation(seed=1)
    fired: list[float] = []
    sim.after(5.0, fired.append, 5.0, window_only=True)
    sim.after(50.0, fired.append, 50.0, window_only=True)
    sim.after(40.0, lambda: None)  # foreground work past the window keeps the drain going
    sim.run_until_quiet(20.0)
    assert fired == [5.0]


def test_component_streams_depend_on_seed_and_name_only():
    a, b = Simulation(seed=3), Simulation(seed=3)
    b.rng("other").random(100)  # drawing elsewhere must not shift "kubelet"
    assert np.array_equal(a.rng("kubelet").random(5), b.rng("kubelet").random(5))
    other_seed = Simulation(seed=4).rng("kubelet").random(5)
    assert not np.array_equal(other_seed, Simulation(seed=3).rng("kubelet").random(5))
