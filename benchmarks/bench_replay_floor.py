"""The least a replay of kube-scheduler retries can cost in CPython, whatever the engine.

The production day (``bench_engine.py --case day``) runs about 1.5 million scheduling
cycles, most of them retries of pods that cannot fit, each of which writes a
``PodUnschedulable`` record.  This loop does only the bookkeeping every such retry needs -
pop its timer, look up one stored verdict, append one record, push the timer back 10 s -
and nothing else: no queue rules, no pods created or bound, no autoscaler.  Its time is a
floor under the day's wall time and shows how much of a real-time target it leaves.

Run ``python benchmarks/bench_replay_floor.py [--cycles N] [--pending P]``.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_simkube.runrecord import PodUnschedulable

DAY_SECONDS = 86_400.0


def replay_floor(cycles: int, pending: int) -> float:
    """Seconds for ``cycles`` retries of ``pending`` parked pods, bookkeeping only."""
    reasons = {"NodeResourcesFit": 3}
    message = "0/285 nodes are available: 3 Insufficient cpu."
    pods = [f"batch/etl-{i}" for i in range(pending)]
    timers = [(float(i), i, pods[i]) for i in range(pending)]
    heapq.heapify(timers)
    sequence = itertools.count(pending)
    verdicts = {("default-scheduler", 7, -1): ("world", "verdict")}
    records: list[PodUnschedulable] = []
    start = time.perf_counter()
    for attempt in range(cycles):
        t, _seq, pod = heapq.heappop(timers)
        hit = verdicts.get(("default-scheduler", 7, -1))
        if hit is not None and hit[0] == "world":
            records.append(PodUnschedulable(t, pod, attempt, reasons, message))
        heapq.heappush(timers, (t + 10.0, next(sequence), pod))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1_521_133, help="retries to replay (the day's cycles)")
    parser.add_argument("--pending", type=int, default=5_000, help="pods parked at once")
    args = parser.parse_args()
    wall = replay_floor(args.cycles, args.pending)
    budget = DAY_SECONDS / 10_000
    print(f"{args.cycles:,} retries: {wall:.2f} s of bookkeeping, {args.cycles / wall:,.0f} retries/s; "
          f"a 24 h day at 10,000x real time has {budget:.2f} s in all ({100 * wall / budget:.0f} % used)")


if __name__ == "__main__":
    main()
