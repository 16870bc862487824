"""How a batch flows: normalise, analyse, then store posts, analysis and quarantine at once.

The stages, in order:

1. normalise (canonical URL, clean text, language, search tokens, pseudonym);
2. sentiment, scheme matching, repost fingerprint, event terms: pure, per post,
   run in worker processes for large batches (`groundswell.analyze.workers`);
3. stories (repost merging), then events (clustering): stateful, run here one
   batch at a time, only for posts not stored before;
4. store: posts with their analysis, scheme matches, stories, events with heat
   and quarantined items, in one transaction; for large batches in a writer
   process (`groundswell.store.writer`), while this process analyses the next.

Every step is idempotent: ingesting the same items twice stores and counts them
once. Spikes are detected later, on what was stored (`groundswell.analyze.detect`),
so live and replayed posts are judged the same way.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, wait
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from groundswell.analyze.dedup import StoryIndex
from groundswell.analyze.events import EventClusterer, EventConfig
from groundswell.analyze.stages import EventStage, Stage, StoryStage, run_stages
from groundswell.analyze.workers import POOL_MIN_ITEMS, AnalysisPool, PureAnalysis
from groundswell.analyze.workers import load_pure_analysis as _load_pure
from groundswell.metrics import INGEST_SECONDS
from groundswell.models import Post, RawItem, Rejected, SourceBatch, post_key
from groundswell.normalize.post import Normaliser
from groundswell.runtime import tune_garbage_collector
from groundswell.settings import Settings
from groundswell.store.analysis import load_state, save_state, story_rows
from groundswell.store.database import dumps_json, loads_json, shared_across_processes
from groundswell.store.posts import StoreResult, known_dedup_keys
from groundswell.store.schemes import schemes_version
from groundswell.store.writer import EVENTS_STATE, WRITER_AHEAD, StoreJob, StoreWriter, store_job

__all__ = ["PURE_STAGES", "STATEFUL_STAGES", "Pipeline"]

PURE_STAGES = ("normalise", "sentiment", "schemes", "fingerprint", "event_terms")
STATEFUL_STAGES = ("stories", "events")

# The clusterer's state (megabytes at a busy desk) is saved at most this often, and
# when the pipeline closes:
# a crash loses at most this much of its memory, never a post or an event id.
_STATE_SAVE_SECONDS = 300.0


class Pipeline:
    """The analysis pipeline of one desk: its models, its indexes and its worker pool."""

    def __init__(
        self, settings: Settings, engine: Engine, normaliser: Normaliser, pseudonym_key: str
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.normaliser = normaliser
        self._pseudonym_key = pseudonym_key
        self._lock = threading.RLock()
        self._pure: PureAnalysis | None = None
        self._pool: AnalysisPool | None = None
        self._stories: StoryIndex | None = None
        self._events: EventClusterer | None = None
        self._writer: StoreWriter | None = None
        self._closed = False
        self._state_saved_at = time.monotonic()
        tune_garbage_collector()  # this process will hold the stateful stages' indexes

    # --- the parts, built on first use ----------------------------------------------

    def pure(self) -> PureAnalysis:
        """The pure stages' models, recompiled when a scheme changed."""
        with self._lock:
            with self.engine.connect() as conn:
                version = schemes_version(conn)
            if self._pure is None or self._pure.schemes_version != version:
                sentiment = self._pure.sentiment if self._pure else None
                self._pure = _load_pure(self.settings, self.engine, self.normaliser, sentiment)
            return self._pure

    def stateful_stages(self) -> list[Stage]:
        with self._lock:
            if self._stories is None:
                self._stories = self._restore_stories()
            if self._events is None:
                self._events = self._restore_events()
            return [StoryStage(self._stories), EventStage(self._events)]

    def _restore_stories(self) -> StoryIndex:
        window = timedelta(days=self.settings.story_window_days)
        index = StoryIndex(window=window)
        with self.engine.connect() as conn:
            for row in story_rows(conn, window):
                key = post_key(row.source_id, row.dedup_key)
                index.restore(key, row.fingerprint, row.sort_at, row.story_key or key)
        return index

    def _restore_events(self) -> EventClusterer:
        with self.engine.connect() as conn:
            state = load_state(conn, EVENTS_STATE)
        config = EventConfig(window_hours=self.settings.event_window_hours)
        # Today's tuning and settings, not those the state was saved under.
        return EventClusterer.from_state(state, config) if state else EventClusterer(config)

    # --- ingest ---------------------------------------------------------------------

    def ingest(
        self,
        source_id: int,
        items: list[RawItem],
        rejected: list[Rejected] | None = None,
        *,
        collected_at: datetime | None = None,
    ) -> StoreResult:
        """Normalise, analyse and store one batch from one source."""
        with INGEST_SECONDS.time():
            if len(items) >= POOL_MIN_ITEMS and self._pool_size() > 1:
                batches = [SourceBatch(items=items, rejected=list(rejected or []))]
                total = StoreResult()
                for result in self.ingest_many(source_id, batches, collected_at=collected_at):
                    total += result
                return total
            pure = self.pure()
            batch, bad = pure.prepare(self.engine, source_id, items, collected_at)
            return self._finish(source_id, batch, [*(rejected or []), *bad])

    def ingest_many(
        self,
        source_id: int,
        batches: Iterable[SourceBatch],
        *,
        collected_at: datetime | None = None,
        chunk: int = 1000,
    ) -> Iterator[StoreResult]:
        """Large imports: workers normalise and analyse, this process runs the stateful
        stages, and a writer process stores, all three at once on successive chunks.

        Yields one result per chunk of at most `chunk` items, in order, each once its
        chunk is committed.
        """
        chunks = (part for batch in batches for part in _chunks(batch, chunk))
        if self._pool_size() <= 1:
            pure = self.pure()
            for items, rejected in chunks:
                batch, bad = pure.prepare(self.engine, source_id, items, collected_at)
                yield self._finish(source_id, batch, [*rejected, *bad])
            return
        pool = self._get_pool()
        writer = self._get_writer()
        version = self.pure().schemes_version
        stored: deque[tuple[Future[StoreResult], StoreJob]] = deque()
        try:
            for batch, bad in pool.prepare_many(source_id, chunks, collected_at, version):
                with self._lock:
                    with self.engine.connect() as conn:
                        job = self._analyse(conn, source_id, batch, bad, writer)
                    try:
                        stored.append((writer.submit(job), job))
                    except BaseException:
                        self._not_stored(job)
                        raise
                while stored and (len(stored) > WRITER_AHEAD or stored[0][0].done()):
                    yield self._committed(*stored.popleft())
            while stored:
                yield self._committed(*stored.popleft())
        finally:
            # Stopped early or failed: what was handed over still commits or fails.
            wait([future for future, _ in stored])
            for future, job in stored:
                if future.exception() is not None:
                    self._not_stored(job)

    def _committed(self, future: Future[StoreResult], job: StoreJob) -> StoreResult:
        """The job's result once committed; if it failed, its merges go back to be stored."""
        try:
            return future.result()
        except BaseException:
            self._not_stored(job)
            raise

    def _not_stored(self, job: StoreJob) -> None:
        """A job that will never commit: the next one carries its event merges (and state)."""
        with self._lock:
            if self._events is not None:
                self._events.give_back_merges(job.merges)
            if job.events_state is not None:
                self._state_saved_at = float("-inf")

    def _finish(self, source_id: int, batch: list[Post], bad: list[Rejected]) -> StoreResult:
        """Analyse and store one batch here, in one transaction."""
        with self._lock:
            if self._writer is not None:
                self._writer.wait_all()  # never write beside the writer, nor before it
            with self.engine.begin() as conn:
                return store_job(conn, self._analyse(conn, source_id, batch, bad))

    def _analyse(
        self,
        conn: Connection,
        source_id: int,
        batch: list[Post],
        bad: list[Rejected],
        writer: StoreWriter | None = None,
    ) -> StoreJob:
        """The stateful stages on the batch's new posts; what storing it then needs.

        Call with the lock held: the stages' state moves one batch at a time.
        """
        for item in bad:
            item.source_id = source_id
        stages = self.stateful_stages()
        keys = [p.dedup_key for p in batch]
        known = writer.pending_keys(source_id, keys) if writer else set()
        known |= known_dedup_keys(conn, source_id, keys)
        fresh = _unique([p for p in batch if p.dedup_key not in known])
        fresh = run_stages(stages, fresh)
        for post in fresh:  # the stages' inputs: not stored, not worth sending to the writer
            post.event_terms = post.story_index_keys = None
        assert self._events is not None
        merges = self._events.take_merges()
        for post in fresh:
            if post.event_id:
                post.event_id = self._events.resolve(post.event_id)
        survivors = {self._events.resolve(new) for _, new in merges}
        touched = {p.event_id for p in fresh if p.event_id} | survivors
        summaries = {
            event_id: summary
            for event_id in touched
            if (summary := self._events.get(event_id)) is not None
        }
        return StoreJob(
            source_id=source_id,
            batch_size=len(batch),
            fresh=fresh,
            rejected=bad,
            summaries=summaries,
            merges=list(merges),
            events_state=self._events_state_due(),
        )

    def _events_state_due(self, *, force: bool = False) -> dict[str, Any] | None:
        """The clusterer's state, if it is time to save it (at most every few minutes)."""
        now = time.monotonic()
        if self._events is None or not (force or now - self._state_saved_at > _STATE_SAVE_SECONDS):
            return None
        self._state_saved_at = now
        # A copy: the job is pickled later, on another thread, while the next batch
        # already changes the clusterer.
        return loads_json(dumps_json(self._events.to_state()))

    def _pool_size(self) -> int:
        if not shared_across_processes(self.settings.database_url):
            return 1  # workers and a writer would each open an empty database of their own
        return self.settings.analysis_processes or os.cpu_count() or 1

    def start_workers(self) -> None:
        """Start the analysis workers and the writer now rather than with the first large batch."""
        if self._pool_size() > 1:
            self._get_pool().start()
            self._get_writer().start()

    def _get_pool(self) -> AnalysisPool:
        with self._lock:
            self._check_open()
            if self._pool is not None and self._pool.broken:  # a worker died (e.g. OOM-killed)
                self._pool.close()
                self._pool = None
            if self._pool is None:
                self._pool = AnalysisPool(self.settings, self._pseudonym_key)
            return self._pool

    def _get_writer(self) -> StoreWriter:
        with self._lock:
            self._check_open()
            if self._writer is not None and self._writer.broken:  # its process died
                self._writer.close()
                self._writer = None
            if self._writer is None:
                self._writer = StoreWriter(self.settings.database_url)
            return self._writer

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the pipeline is closed: open the desk again to ingest")

    def close(self) -> None:
        """Store what the writer holds, save the clusterer's state, stop the processes.

        Large batches after this raise instead of starting processes nobody would stop.
        """
        with self._lock:
            self._closed = True
            try:
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
                if self._events is not None:
                    with self.engine.begin() as conn:
                        save_state(conn, EVENTS_STATE, self._events_state_due(force=True))
            finally:
                if self._pool is not None:
                    self._pool.close()
                    self._pool = None


def _chunks(batch: SourceBatch, size: int) -> Iterator[tuple[list[RawItem], list[Rejected]]]:
    """Split a batch; its rejected items go with the first part (or alone, if no items)."""
    if not batch.items:
        if batch.rejected:
            yield [], batch.rejected
        return
    for start in range(0, len(batch.items), size):
        yield batch.items[start : start + size], batch.rejected if start == 0 else []


def _unique(batch: list[Post]) -> list[Post]:
    """One post per key: a batch repeating an item must not count it twice."""
    seen: set[str] = set()
    out = []
    for post in batch:
        if post.dedup_key not in seen:
            seen.add(post.dedup_key)
            out.append(post)
    return out
