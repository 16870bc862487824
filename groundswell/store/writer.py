"""Storing an analysed batch, in the calling process or in a writer process.

A batch's store step (posts, matches, stories, events with heat, quarantine, in
one transaction) is about a third of the CPU the pipeline's main process spends
on a post; the rest is the stateful stages, which must run one batch at a time
in that process. For large imports the store step runs in one writer process
instead, so the main process analyses batch k+1 while batch k is written.

The writer is one process with one connection, so batches are written in the
order they were analysed, exactly as the main process would have written them;
the main process counts a batch's posts as known from the moment it hands the
batch over (`StoreWriter.pending_keys`), not only once it is committed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from groundswell.analyze.events import EventSummary
from groundswell.models import Post, Rejected
from groundswell.runtime import tune_garbage_collector
from groundswell.store.analysis import save_state, store_analysis
from groundswell.store.database import make_engine
from groundswell.store.posts import StoreResult, store_posts, store_rejected
from groundswell.store.sources import authority_tiers

__all__ = ["EVENTS_STATE", "StoreJob", "StoreWriter", "store_job"]

EVENTS_STATE = "events"  # name of the clusterer's saved state

# Batches an import lets the writer hold beyond the one it collects next. One keeps
# it busy while the main process analyses the next batch: two gave the same
# throughput (alternating runs) and made a push during an import wait longer
# (median ~0.55 s against ~0.45 s, worst ~1.1 s against ~0.9 s).
WRITER_AHEAD = 1


@dataclass
class StoreJob:
    """Everything one batch's store step needs, and nothing of the pipeline's state.

    `fresh` holds the batch's posts that were neither stored nor handed over
    before; the stateful stages ran on them, and only they are stored. The other
    `batch_size - len(fresh)` posts count as duplicates: a post whose first copy
    is in a job that then fails is not stored half-analysed by this one, and a
    retry analyses it afresh. `events_state` is a snapshot, not live state.
    """

    source_id: int
    batch_size: int
    fresh: list[Post]
    rejected: list[Rejected]
    summaries: dict[str, EventSummary]
    merges: list[tuple[str, str]]
    events_state: dict[str, Any] | None = None


def store_job(conn: Connection, job: StoreJob) -> StoreResult:
    """The store step of one batch, in the caller's transaction."""
    result = store_posts(conn, job.fresh)
    result.duplicates += job.batch_size - len(job.fresh)
    tiers = authority_tiers(conn)
    store_analysis(conn, job.fresh, job.summaries, tiers, merges=job.merges)
    result.quarantined = store_rejected(conn, job.rejected)
    if job.events_state is not None:
        save_state(conn, EVENTS_STATE, job.events_state)
    return result


# --- the writer process ------------------------------------------------------------

_engine: Engine | None = None


def _init_writer(database_url: str) -> None:
    global _engine
    tune_garbage_collector()
    _engine = make_engine(database_url)


def _store_in_writer(job: StoreJob) -> StoreResult:
    assert _engine is not None, "writer not initialised"
    try:
        with _engine.begin() as conn:
            return store_job(conn, job)
    except DBAPIError as exc:
        # The caller gets the same error class and database message. Its bound
        # parameters stay here: they may not pickle (fingerprints are memoryviews).
        raise type(exc)(exc.statement, None, exc.orig) from None


def _writer_pid() -> int:
    return os.getpid()


class StoreWriter:
    """One writer process; jobs are committed in the order they were submitted.

    Thread-safe: jobs may come from several threads' imports at once; each caller
    keeps the futures of its own jobs and collects their results in its own order.
    """

    def __init__(self, database_url: str) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=get_context("spawn"),  # no forked SQLAlchemy pools or locks
            initializer=_init_writer,
            initargs=(database_url,),
        )
        self._guard = threading.Lock()
        # Per job not yet done: its future, source and the keys of the posts it stores.
        self._jobs: dict[int, tuple[Future[StoreResult], int, frozenset[str]]] = {}

    def start(self, timeout: float = 60.0) -> int:
        """Start the process now rather than with the first job; returns its pid."""
        return self._executor.submit(_writer_pid).result(timeout=timeout)

    def submit(self, job: StoreJob) -> Future[StoreResult]:
        keys = frozenset(post.dedup_key for post in job.fresh)
        future = self._executor.submit(_store_in_writer, job)
        with self._guard:
            self._jobs[id(future)] = (future, job.source_id, keys)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[StoreResult]) -> None:
        with self._guard:
            self._jobs.pop(id(future), None)

    def pending_keys(self, source_id: int, dedup_keys: Iterable[str]) -> set[str]:
        """Those of `dedup_keys` whose posts a job not yet committed will store.

        Ask before reading the store: a job that commits in between is then in one
        of the two answers, never in neither.
        """
        with self._guard:
            pending = [keys for _, source, keys in self._jobs.values() if source == source_id]
        if not pending:
            return set()
        wanted = set(dedup_keys)
        return set().union(*(wanted & keys for keys in pending))

    def wait_all(self) -> None:
        """Block until every job handed over is committed or has failed."""
        with self._guard:
            futures = [future for future, _, _ in self._jobs.values()]
        wait(futures)

    @property
    def broken(self) -> bool:
        """The process died; a new writer is needed."""
        return bool(getattr(self._executor, "_broken", False))

    def close(self) -> None:
        self.wait_all()
        self._executor.shutdown(wait=True)
