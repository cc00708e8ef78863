"""Run-time and arrival draws: the distributions the spec names, seeded and vectorised."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_simkube.trace.synth import parse_spec, synthesize
from pytest_simkube.trace.synth.distributions import (
    FixedArrivals,
    IntChoice,
    PoissonArrivals,
    RunTime,
    sample_arrivals,
)

N = 20_000


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_lognormal_median_and_exponential_mean():
    lognormal = RunTime("lognormal", (300.0, 0.6)).sample(rng(), N)
    assert abs(np.median(lognormal) / 300 - 1) < 0.03
    exponential = RunTime("exponential", (600.0,)).sample(rng(), N)
    assert abs(exponential.mean() / 600 - 1) < 0.03


def test_uniform_fixed_and_clamps_in_whole_seconds():
    uniform = RunTime("uniform", (60.0, 120.0)).sample(rng(), N)
    assert uniform.dtype == np.int64 and uniform.min() >= 60 and uniform.max() <= 120
    assert abs(uniform.mean() - 90) < 1
    assert set(RunTime("fixed", (90.5,)).sample(rng(), 5).tolist()) == {90}  # rounded half to even
    clamped = RunTime("exponential", (100.0,), minimum=30, maximum=150).sample(rng(), N)
    assert clamped.min() == 30 and clamped.max() == 150


def test_same_seed_same_draws():
    dist = RunTime("lognormal", (60.0, 1.0))
    assert np.array_equal(dist.sample(rng(7), 100), dist.sample(rng(7), 100))
    assert not np.array_equal(dist.sample(rng(7), 100), dist.sample(rng(8), 100))


def test_fixed_arrivals_repeat_per_stream_inside_each_window():
    window = (np.array([0, 0, 4000]), np.array([7200, 3000, 7200]))
    streams, offsets = sample_arrivals(FixedArrivals((600.0, 3600.0)), rng(), 3, window, 0)
    assert list(zip(streams.tolist(), offsets.tolist(), strict=True)) == [(0, 600), (0, 3600), (1, 600)]


def test_poisson_arrivals_count_and_window():
    window = (np.full(50, 3600), np.full(50, 3600 + 10 * 3600))
    streams, offsets = sample_arrivals(PoissonArrivals(12.0), rng(), 50, window, 0)
    expected = 50 * 12 * 10
    assert abs(offsets.size - expected) < 4 * expected**0.5
    assert offsets.min() >= 3600 and offsets.max() < 3600 + 36000
    assert np.all(np.diff(streams) >= 0)
    for stream in (0, 49):
        assert np.all(np.diff(offsets[streams == stream]) >= 0)


def test_int_choice_draws_uniformly_from_its_values():
    draws = IntChoice((1, 2, 4)).sample(rng(), N)
    counts = np.bincount(draws)
    assert set(draws.tolist()) == {1, 2, 4}
    assert all(abs(counts[v] / N - 1 / 3) < 0.02 for v in (1, 2, 4))


@pytest.mark.parametrize(("runtime", "check"), [
    ("{lognormal: {median: 4m, sigma: 0.5}}", lambda d: abs(np.median(d) / 240 - 1) < 0.08),
    ("{exponential: {mean: 3m}}", lambda d: abs(np.mean(d) / 180 - 1) < 0.08),
])
def test_job_pods_record_the_run_time_distribution(runtime, check):
    result = synthesize(parse_spec(f"""\
duration: 12h
workloads:
  - name: j-{{i}}
    kind: Job
    count: 10
    arrivals: {{poisson: {{perHour: 6}}}}
    runtime: {runtime}
""", "spec.yaml"))
    durations = [lc.duration for by_hash in result.trace.pod_lifecycles.values()
                 for lifecycles in by_hash.values() for lc in lifecycles if lc.end is not None]
    assert len(durations) > 500
    assert check(np.asarray(durations))
