"""Whole-pipeline benchmark: normalise, analyse (sentiment, schemes, reposts, events), store.

    python -m bench.pipeline [--n 40000] [--schemes 200] [--processes 0] [--backend sqlite]

Real posts from ../shared/data (half Weibo/Chinese, half English, interleaved in
batches as sources would hand them over) go through `Pipeline.ingest_many`, the
path `groundswell import` takes, into a fresh database with `--schemes`
monitoring schemes built from the data's own frequent words. It runs twice:
with the worker pool (one process per core unless `--processes` says) and the
writer process, and with everything in one process, the baseline. CPU time is
reported per post for the main process, the workers, the writer and in all.
Target: >= 2,000 posts/s on 2 cores. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from bench import data
from bench.ingest import DEFAULT_POSTGRES, log, scratch_database
from groundswell.analyze.tokenize import query_tokens
from groundswell.context import Desk
from groundswell.models import SourceBatch
from groundswell.settings import load_settings
from groundswell.store.posts import StoreResult, count_posts
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source

TARGET = 2000  # posts/s, whole pipeline, this 2-core machine


@cache  # computed once, before any run adds scheme words to jieba: same schemes each run
def frequent_words(lang: str, n_texts: int, top: int) -> list[str]:
    """Words that real posts use often enough for schemes to match a fair share."""
    counts: Counter[str] = Counter()
    for text in data.texts(lang, n_texts):
        counts.update(w for w in sorted(set(query_tokens(text))) if len(w) >= 2 and not w.isdigit())
    # Skip the very top (function words), keep the next band.
    return [w for w, _ in counts.most_common(top + 60)[60:]]


def add_schemes(desk: Desk, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    words = {lang: frequent_words(lang, 5000, 400) for lang in ("zh", "en")}
    with desk.engine.begin() as conn:
        for i in range(count):
            vocab = words["zh" if i % 2 else "en"]
            add_scheme(
                conn,
                f"scheme {i}",
                subject_words=rng.sample(vocab, 3),
                event_words=rng.sample(vocab, 4) if i % 3 == 0 else [],
                exclusion_words=rng.sample(vocab, 1) if i % 4 == 0 else [],
            )


def mixed_batches(n: int, batch_size: int) -> Iterator[SourceBatch]:
    """Alternate Chinese and English batches, n posts in all."""
    half = n // 2
    zh = data.iter_items("zh", half, batch_size)
    en = data.iter_items("en", n - half, batch_size)
    for pair in itertools.zip_longest(zh, en):
        for items in pair:
            if items:
                yield SourceBatch(items=items)


def run(url: str, n: int, schemes: int, processes: int, batch_size: int) -> dict[str, Any]:
    settings = load_settings(database_url=url, pseudonym_key="bench", analysis_processes=processes)
    desk = Desk.open(settings)
    add_schemes(desk, schemes)
    with desk.engine.begin() as conn:
        source_id = add_source(conn, f"bench-{processes}", "file", {"path": "x"}).id
    desk.pipeline.pure()  # load models before the clock starts, as a running desk has
    desk.pipeline.start_workers()  # and its workers: they live as long as the desk
    helpers_before = _helpers_cpu_seconds(desk)
    total = StoreResult()
    collector = _CollectorTime()
    start = time.perf_counter()
    cpu_start = time.process_time()  # this process only: the stateful stages and the store
    load_before = os.getloadavg()[0]
    with collector:
        for result in desk.pipeline.ingest_many(source_id, mixed_batches(n, batch_size)):
            total += result
    elapsed = time.perf_counter() - start
    main_cpu = time.process_time() - cpu_start
    helpers_after = _helpers_cpu_seconds(desk)
    with desk.engine.connect() as conn:
        stored = count_posts(conn, source_id)
        matched = conn.exec_driver_sql("SELECT count(DISTINCT post_id) FROM post_matches").scalar()
        stories = conn.exec_driver_sql("SELECT count(*) FROM stories WHERE posts > 1").scalar()
        events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
    desk.close()
    return {
        "processes": processes or os.cpu_count(),
        "n": n,
        "stored": stored,
        "seconds": round(elapsed, 2),
        "posts_per_s": round(n / elapsed),
        # Less noisy than posts/s on a shared machine; with the pool, the bottleneck.
        "main_cpu_us_per_post": round(main_cpu / n * 1e6),
        # Main process, workers and writer together: what two cores must supply per post. It
        # moves with the machine's speed far less than posts/s does.
        "total_cpu_us_per_post": (
            round((main_cpu + sum(helpers_after.values()) - sum(helpers_before.values())) / n * 1e6)
            if helpers_before is not None and helpers_after is not None
            else None
        ),
        # The same, per helper process kind: analysis workers (all) and the writer.
        **{
            f"{kind}_cpu_us_per_post": round((helpers_after[kind] - helpers_before[kind]) / n * 1e6)
            for kind in (helpers_after or {})
            if helpers_before is not None and kind in helpers_before
        },
        # Time the main process spent in the cyclic garbage collector (part of main_cpu).
        "main_gc_us_per_post": round(collector.seconds / n * 1e6),
        "posts_matched": matched,
        "stories_with_reposts": stories,
        "events": events,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


class _CollectorTime:
    """Seconds spent in garbage collections while in the `with` block (this process)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> _CollectorTime:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)


def _helpers_cpu_seconds(desk: Desk) -> dict[str, float] | None:
    """User + system CPU of the live workers and writer, by kind (Linux /proc; None elsewhere)."""
    pipeline = desk.pipeline  # the benchmark looks inside on purpose
    parts = {"workers": pipeline._pool, "writer": pipeline._writer}
    if not Path("/proc/self/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: dict[str, float] = {}
    for kind, part in parts.items():
        if part is None:
            continue
        seconds[kind] = 0.0
        for pid in list(part._executor._processes):  # type: ignore[attr-defined]
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            seconds[kind] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return seconds


def python_loop_seconds(steps: int = 10_000_000) -> float:
    """Seconds a plain Python loop of `steps` additions takes on one core (best of 3)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(steps):
            total += i
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline")
    parser.add_argument("--n", type=int, default=40_000)
    parser.add_argument("--schemes", type=int, default=200)
    parser.add_argument("--processes", type=int, default=0, help="0: one per core")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-baseline", action="store_true", help="Skip the 1-process run.")
    args = parser.parse_args(argv)
    runs: dict[str, Any] = {}
    cases = [("pool", args.processes)] + ([] if args.no_baseline else [("one_process", 1)])
    for label, processes in cases:
        with scratch_database(args.backend, args.postgres_url) as url:
            log(f"pipeline: {label}, {args.n:,} posts, {args.schemes} schemes, {args.backend}")
            runs[label] = run(url, args.n, args.schemes, processes, args.batch_size)
            print(f"{label}: {runs[label]['posts_per_s']:,} posts/s {runs[label]}")
    result = {
        "bench": "pipeline",
        "backend": args.backend,
        "cores": os.cpu_count(),
        "target_posts_per_s": TARGET,
        # This machine's own speed at the time, after the runs: figures from runs whose
        # loop times differ by more than a few per cent are not comparable.
        "python_loop_seconds": python_loop_seconds(),
        **runs,
    }
    if "one_process" in runs:
        pool, single = runs["pool"]["posts_per_s"], runs["one_process"]["posts_per_s"]
        result["speedup"] = round(pool / single, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
