"""Spike checks per second: window_counts + volume_spike + negative_share_rise.

Run as `python -m bench.spikes` from the project root. Builds 1,000 synthetic
schemes (rates log-uniform from 0.1 to 200 posts/hour, negative-binomial hourly
counts, 30% negative) and times one full sweep per window (the hour against the 12
before, the day against the 14 before), the way alert evaluation would run every
minute. A check is one (scheme, window) pair: counting from post times, then both
tests. The counting-only and test-only rates are printed as well.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from groundswell.analyze.spikes import (
    DAILY,
    HOURLY,
    WindowCounts,
    WindowSpec,
    negative_share_rise,
    volume_spike,
    window_counts,
)

NOW = datetime(2026, 8, 1, 12, tzinfo=UTC)


def scheme_posts(
    rng: np.random.Generator, spec: WindowSpec, rate_per_hour: float
) -> tuple[list[datetime], list[bool]]:
    """Post times over the current and baseline windows, with 'is negative' flags."""
    windows = spec.baseline_windows + 1
    per_window = rate_per_hour * spec.window / timedelta(hours=1)
    counts = rng.negative_binomial(5, 5 / (5 + per_window), windows)
    start = NOW - spec.window * windows
    offsets = np.concatenate(
        [(w + rng.random(c)) * spec.window.total_seconds() for w, c in enumerate(counts)]
    )
    times = [start + timedelta(seconds=float(s)) for s in offsets]
    return times, list(rng.random(len(times)) < 0.3)


def sweep(schemes: list[tuple[list[datetime], list[bool]]], spec: WindowSpec) -> list[WindowCounts]:
    return [window_counts(times, NOW, spec, flags) for times, flags in schemes]


def test_all(counts: list[WindowCounts]) -> None:
    for c in counts:
        volume_spike(c)
        negative_share_rise(c)


def best_of(repeat: int, fn: object, *args: object) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; best is kept")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    rates = np.exp(rng.uniform(np.log(0.1), np.log(200.0), args.schemes))
    result: dict[str, object] = {
        "schemes": args.schemes,
        "repeat": args.repeat,
        "unit": "checks/s, one core",
    }
    for spec in (HOURLY, DAILY):
        schemes = [scheme_posts(rng, spec, float(r)) for r in rates]
        posts = sum(len(t) for t, _ in schemes)
        counting = best_of(args.repeat, sweep, schemes, spec)
        counts = sweep(schemes, spec)
        testing = best_of(args.repeat, test_all, counts)
        total = counting + testing
        print(
            f"{spec.name}: {args.schemes} schemes, {posts:,} posts; sweep {total * 1000:.0f} ms "
            f"(counting {counting * 1000:.0f} ms, tests {testing * 1000:.0f} ms)"
        )
        result[spec.name] = {
            "posts": posts,
            "checks_per_s": round(args.schemes / total),
            "counting_per_s": round(args.schemes / counting),
            "tests_per_s": round(args.schemes / testing),
            "sweep_ms": round(total * 1000),
        }
    result["load_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
