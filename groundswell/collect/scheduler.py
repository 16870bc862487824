"""Per-source scheduling: most overdue first, with jitter, spread out after a restart.

A failed collection is recorded in source health with its message and retried
later with backoff; it never stops the other sources.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from groundswell.collect.fetcher import PoliteFetcher
from groundswell.context import Desk
from groundswell.errors import GroundswellError
from groundswell.metrics import RUNS, count_ingest
from groundswell.sources.base import CollectContext
from groundswell.sources.registry import build_source
from groundswell.store.sources import (
    RunOutcome,
    SourceRecord,
    due_sources,
    list_sources,
    next_due_time,
    record_run,
    spread_after_restart,
)

log = logging.getLogger(__name__)
MAX_BACKOFF_FACTOR = 8


def next_due(
    desk: Desk, record: SourceRecord, now: datetime, failures: int, rng: random.Random
) -> datetime:
    """Interval with jitter; failing sources back off (x2 per failure, capped)."""
    interval = record.interval_seconds or desk.settings.default_interval
    interval *= min(2**failures, MAX_BACKOFF_FACTOR) if failures else 1
    jitter = desk.settings.schedule_jitter
    return now + timedelta(seconds=interval * (1 + rng.uniform(-jitter, jitter)))


def describe(exc: BaseException) -> str:
    """A message fit for source health: what failed, never an empty string."""
    if isinstance(exc, GroundswellError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def collect_source(
    desk: Desk,
    fetcher: PoliteFetcher,
    record: SourceRecord,
    *,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RunOutcome:
    """Collect one source once, store what it yields and record the run."""
    rng = rng or random.Random()
    started = clock()
    try:
        source = build_source(record.kind, record.config)
        batch = await source.collect(CollectContext(fetcher=fetcher, state=dict(record.state)))
        if batch.not_modified:
            result = None
        else:
            result = await asyncio.to_thread(
                desk.pipeline.ingest, record.id, batch.items, batch.rejected
            )
        finished = clock()
        outcome = RunOutcome(
            source_id=record.id,
            started_at=started,
            finished_at=finished,
            status="not_modified" if result is None else "ok",
            items=len(batch.items),
            stored=result.stored if result else 0,
            duplicates=result.duplicates if result else 0,
            quarantined=result.quarantined if result else 0,
            state={**record.state, **batch.state},
            next_due_at=next_due(desk, record, finished, 0, rng),
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # any failure is recorded in health, never silent
        finished = clock()
        failures = record.consecutive_failures + 1
        log.warning("source %s failed: %s", record.name, describe(exc))
        outcome = RunOutcome(
            source_id=record.id,
            started_at=started,
            finished_at=finished,
            status="error",
            error=describe(exc)[:2000],
            next_due_at=next_due(desk, record, finished, failures, rng),
        )
    await asyncio.to_thread(_record, desk, outcome)
    RUNS.labels(record.name, outcome.status).inc()
    count_ingest(record.name, outcome.stored, outcome.duplicates, outcome.quarantined)
    return outcome


def _record(desk: Desk, outcome: RunOutcome) -> None:
    with desk.engine.begin() as conn:
        record_run(conn, outcome)


async def collect_round(
    desk: Desk, fetcher: PoliteFetcher, *, names: list[str] | None = None, due_only: bool = False
) -> list[tuple[SourceRecord, RunOutcome]]:
    """Collect every enabled pull source once (or only the due ones), concurrently."""
    with desk.engine.connect() as conn:
        if due_only:
            records = due_sources(conn, datetime.now(UTC), limit=10_000)
        else:
            records = [r for r in list_sources(conn) if r.enabled]
    records = [r for r in records if r.kind != "push" and (names is None or r.name in names)]
    limit = asyncio.Semaphore(desk.settings.max_concurrent_sources)

    async def one(record: SourceRecord) -> tuple[SourceRecord, RunOutcome]:
        async with limit:
            return record, await collect_source(desk, fetcher, record)

    return list(await asyncio.gather(*(one(r) for r in records)))


class Scheduler:
    """Runs forever: wakes for the most overdue sources, collects them, sleeps until the next."""

    def __init__(self, desk: Desk, fetcher: PoliteFetcher, *, max_sleep: float = 5.0) -> None:
        self.desk = desk
        self.fetcher = fetcher
        self.max_sleep = max_sleep
        self.running: dict[int, asyncio.Task[RunOutcome]] = {}
        self.rng = random.Random()

    def spread_overdue(self) -> int:
        """After a restart, start overdue sources at about `max_concurrent_sources` a second.

        The spread is capped at a minute, so a large desk is fully back within it.
        """
        now = datetime.now(UTC)
        with self.desk.engine.begin() as conn:
            overdue = len(due_sources(conn, now, limit=100_000))
            per_second = self.desk.settings.max_concurrent_sources
            window = timedelta(seconds=min(60.0, overdue / per_second))
            return spread_after_restart(conn, now, window)

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.to_thread(self.spread_overdue)
        limit = self.desk.settings.max_concurrent_sources
        while not stop.is_set():
            self.running = {k: t for k, t in self.running.items() if not t.done()}
            free = limit - len(self.running)
            if free > 0:
                for record in await asyncio.to_thread(self._due, free + len(self.running)):
                    if record.id not in self.running and len(self.running) < limit:
                        self.running[record.id] = asyncio.create_task(
                            collect_source(self.desk, self.fetcher, record, rng=self.rng)
                        )
            sleep = await asyncio.to_thread(self._seconds_until_next)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=sleep)
        for task in self.running.values():
            task.cancel()
        await asyncio.gather(*self.running.values(), return_exceptions=True)

    def _due(self, limit: int) -> list[SourceRecord]:
        with self.desk.engine.connect() as conn:
            return due_sources(conn, datetime.now(UTC), limit)

    def _seconds_until_next(self) -> float:
        with self.desk.engine.connect() as conn:
            when = next_due_time(conn)
        if when is None:
            return self.max_sleep
        return max(0.05, min(self.max_sleep, (when - datetime.now(UTC)).total_seconds()))
