"""Random draws for pod run times and job arrivals, vectorised with NumPy.

Everything takes a seeded ``numpy.random.Generator`` and draws whole arrays at once, so
a 50,000-pod day costs a handful of NumPy calls rather than 50,000 Python-level draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SECONDS_PER_DAY = 86_400


def hour_of_day(start_ts: int, offsets: np.ndarray) -> np.ndarray:
    """UTC hour of day (float, 0 <= h < 24) at ``start_ts + offsets``."""
    return ((start_ts + offsets) % SECONDS_PER_DAY) / 3600.0


def diurnal_factor(hours: np.ndarray, peak_hour: float | np.ndarray) -> np.ndarray:
    """A daily cosine in [0, 1]: 1 at ``peak_hour``, 0 twelve hours away."""
    return 0.5 * (1.0 + np.cos(2.0 * math.pi * (hours - peak_hour) / 24.0))


@dataclass(frozen=True, slots=True)
class RunTime:
    """How long a pod runs: ``kind`` is fixed, uniform, lognormal or exponential.

    ``params``: fixed (seconds,), uniform (low, high), lognormal (median, sigma),
    exponential (mean,). Draws are clamped to ``[minimum, maximum]`` and rounded to whole
    seconds because lifecycles are recorded in seconds.
    """

    kind: str
    params: tuple[float, ...]
    minimum: float = 1.0
    maximum: float | None = None

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.kind == "fixed":
            draws = np.full(size, self.params[0], dtype=np.float64)
        elif self.kind == "uniform":
            draws = rng.uniform(self.params[0], self.params[1], size)
        elif self.kind == "lognormal":
            median, sigma = self.params
            draws = rng.lognormal(math.log(median), sigma, size)
        elif self.kind == "exponential":
            draws = rng.exponential(self.params[0], size)
        else:  # pragma: no cover - the loader only builds the kinds above
            raise ValueError(f"unknown run-time distribution {self.kind!r}")
        upper = np.inf if self.maximum is None else self.maximum
        return np.rint(np.clip(draws, self.minimum, upper)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class FixedArrivals:
    """Arrivals at fixed offsets (seconds after the trace start), the same for every stream."""

    offsets: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PoissonArrivals:
    """A Poisson process with mean rate ``per_hour``, optionally modulated over the day.

    With ``amplitude`` A and ``peak_hour`` p the rate at hour h is
    ``per_hour * (1 + A * cos(2π (h - p) / 24))``, which keeps the daily mean at ``per_hour``.
    """

    per_hour: float
    peak_hour: float = 0.0
    amplitude: float = 0.0


Arrivals = FixedArrivals | PoissonArrivals


def sample_arrivals(
    arrivals: Arrivals,
    rng: np.random.Generator,
    streams: int,
    window: tuple[np.ndarray, np.ndarray],
    start_ts: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival offsets (whole seconds) for ``streams`` independent streams.

    ``window`` gives each stream's [begin, end) in seconds after the trace start. Returns
    ``(stream_ids, offsets)`` sorted by stream, then time.
    """
    begin, end = window
    if isinstance(arrivals, FixedArrivals):
        times = np.asarray(arrivals.offsets, dtype=np.float64)
        stream_ids = np.repeat(np.arange(streams, dtype=np.int64), len(times))
        offsets = np.tile(times, streams)
    else:
        peak_rate = arrivals.per_hour * (1.0 + arrivals.amplitude)
        lengths = np.maximum(end - begin, 0)
        counts = rng.poisson(peak_rate * lengths / 3600.0)
        stream_ids = np.repeat(np.arange(streams, dtype=np.int64), counts)
        offsets = begin[stream_ids] + rng.random(stream_ids.size) * lengths[stream_ids]
        if arrivals.amplitude > 0:
            # Thinning (Lewis & Shedler): keep each candidate with probability rate(t) / peak.
            relative = 1.0 + arrivals.amplitude * np.cos(
                2.0 * math.pi * (hour_of_day(start_ts, offsets) - arrivals.peak_hour) / 24.0)
            keep = rng.random(offsets.size) * (1.0 + arrivals.amplitude) < relative
            stream_ids, offsets = stream_ids[keep], offsets[keep]
    offsets = np.floor(offsets).astype(np.int64)
    inside = (offsets >= begin[stream_ids]) & (offsets < end[stream_ids])
    stream_ids, offsets = stream_ids[inside], offsets[inside]
    order = np.lexsort((offsets, stream_ids))
    return stream_ids[order], offsets[order]


@dataclass(frozen=True, slots=True)
class IntChoice:
    """An integer that is either fixed or drawn uniformly from a list (completions, parallelism)."""

    values: tuple[int, ...]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if len(self.values) == 1:
            return np.full(size, self.values[0], dtype=np.int64)
        return np.asarray(self.values, dtype=np.int64)[rng.integers(0, len(self.values), size)]
