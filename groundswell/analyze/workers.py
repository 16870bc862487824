"""The pure half of the pipeline (normalise, then the pure stages) and the process pool for it.

Normalising (jieba) and the pure stages are most of the CPU time of a batch and
need nothing but the item and read-only models, so large batches are spread over
one worker process per core. Each worker builds its models once and reloads the
schemes only when the main process says their version changed. Small batches
(a push of one post) run in the calling process: a round trip to a worker would
cost more than it saves and alerts wait for them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context

from sqlalchemy import Connection, Engine, select

from groundswell.analyze.query import SchemeMatcher
from groundswell.analyze.schemes import Scheme, compile_schemes, scheme_words
from groundswell.analyze.sentiment import SentimentAnalyzer, load_analyzer
from groundswell.analyze.stages import (
    EventTermsStage,
    FingerprintStage,
    SchemeStage,
    SentimentStage,
    Stage,
    run_stages,
)
from groundswell.analyze.tokenize import add_words, warm_up
from groundswell.models import Post, RawItem, Rejected
from groundswell.normalize.post import Normaliser
from groundswell.runtime import tune_garbage_collector
from groundswell.settings import Settings
from groundswell.store.database import make_engine
from groundswell.store.posts import known_dedup_keys
from groundswell.store.schemes import list_schemes, schemes_version
from groundswell.store.tables import sources

__all__ = [
    "POOL_MIN_ITEMS",
    "AnalysisPool",
    "PureAnalysis",
    "load_pure_analysis",
    "load_sentiment",
]

# Batches smaller than this are analysed in the calling process.
POOL_MIN_ITEMS = 200

# Workers run at a lower CPU priority than the process that owns them. With one
# worker per core there are more busy processes than cores, and the owner (the
# stateful stages and the store, or the web server) is the one the others wait
# for: at equal priority the scheduler could give it less than a whole core.
WORKER_NICENESS = 5


@dataclass
class PureAnalysis:
    """Everything the pure stages need; one per process, rebuilt when schemes change."""

    normaliser: Normaliser
    sentiment: SentimentAnalyzer
    matcher: SchemeMatcher
    source_names: dict[int, str]
    schemes_version: str

    def stages(self) -> list[Stage]:
        return [
            SentimentStage(self.sentiment),
            SchemeStage(self.matcher, self.source_names),
            FingerprintStage(),
            EventTermsStage(),
        ]

    def prepare(
        self,
        engine: Engine,
        source_id: int,
        items: list[RawItem],
        collected_at: datetime | None,
    ) -> tuple[list[Post], list[Rejected]]:
        """Normalise, then analyse the posts not stored yet (re-polled items are skipped)."""
        batch, bad = self.normaliser.normalise(items, source_id, collected_at)
        with engine.connect() as conn:
            known = known_dedup_keys(conn, source_id, [p.dedup_key for p in batch])
            if source_id not in self.source_names:  # a source added since the models loaded
                self.source_names.update(_source_names(conn))
        run_stages(self.stages(), [p for p in batch if p.dedup_key not in known])
        return batch, bad


def load_pure_analysis(
    settings: Settings,
    engine: Engine,
    normaliser: Normaliser,
    sentiment: SentimentAnalyzer | None = None,
) -> PureAnalysis:
    with engine.connect() as conn:
        version = schemes_version(conn)
        schemes = list_schemes(conn, enabled_only=True)
        names = _source_names(conn)
    return PureAnalysis(
        normaliser=normaliser,
        sentiment=sentiment or load_sentiment(settings),
        matcher=_compile(schemes),
        source_names=names,
        schemes_version=version,
    )


def _source_names(conn: Connection) -> dict[int, str]:
    return {r.id: r.name for r in conn.execute(select(sources.c.id, sources.c.name))}


def load_sentiment(settings: Settings) -> SentimentAnalyzer:
    from pathlib import Path

    path = Path(settings.sentiment_model_path) if settings.sentiment_model_path else None
    return load_analyzer(settings.sentiment_backend, path=path)


def _compile(schemes: list[Scheme]) -> SchemeMatcher:
    matcher = compile_schemes(schemes)
    add_words(word for scheme in schemes for word in scheme_words(scheme))
    return matcher


# --- the worker side -------------------------------------------------------------

_worker: tuple[Settings, Engine, PureAnalysis] | None = None


def _init_worker(settings: Settings, pseudonym_key: str) -> None:
    global _worker
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    tune_garbage_collector()
    warm_up()
    engine = make_engine(settings.database_url)
    normaliser = Normaliser(pseudonym_key, max_text_chars=settings.max_text_chars)
    _worker = (settings, engine, load_pure_analysis(settings, engine, normaliser))


def _prepare_in_worker(
    source_id: int, items: list[RawItem], collected_at: datetime | None, version: str
) -> tuple[list[Post], list[Rejected]]:
    global _worker
    assert _worker is not None, "worker not initialised"
    settings, engine, pure = _worker
    if pure.schemes_version != version:
        pure = load_pure_analysis(settings, engine, pure.normaliser, pure.sentiment)
        _worker = (settings, engine, pure)
    return pure.prepare(engine, source_id, items, collected_at)


def _worker_pid(delay: float) -> int:
    time.sleep(delay)  # busy for a moment, so the next task goes to another worker
    return os.getpid()


class AnalysisPool:
    """Worker processes for the pure half; results come back in submission order."""

    def __init__(self, settings: Settings, pseudonym_key: str) -> None:
        processes = settings.analysis_processes or os.cpu_count() or 1
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=get_context("spawn"),  # no forked SQLAlchemy pools or locks
            initializer=_init_worker,
            initargs=(settings, pseudonym_key),
        )

    def start(self, timeout: float = 120.0) -> None:
        """Start every worker and wait until each has loaded its models.

        Workers otherwise start with the first large batch, which then waits for
        them (a few seconds: jieba's dictionary, the sentiment model, the schemes).
        """
        deadline = time.monotonic() + timeout
        ready: set[int] = set()
        while len(ready) < self.processes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(ready)} of {self.processes} analysis workers started")
            tasks = [self._executor.submit(_worker_pid, 0.2) for _ in range(self.processes)]
            ready.update(task.result(timeout=timeout) for task in tasks)

    def prepare_many(
        self,
        source_id: int,
        batches: Iterable[tuple[list[RawItem], list[Rejected]]],
        collected_at: datetime | None,
        version: str,
    ) -> Iterator[tuple[list[Post], list[Rejected]]]:
        """Keep every worker busy (two batches each in flight) and yield in order.

        Each batch's already-rejected items travel beside it, to be stored with it.
        """
        pending: list[tuple[Future[tuple[list[Post], list[Rejected]]], list[Rejected]]] = []
        for items, rejected in batches:
            future = self._executor.submit(
                _prepare_in_worker, source_id, items, collected_at, version
            )
            pending.append((future, rejected))
            if len(pending) >= 2 * self.processes:
                yield _joined(*pending.pop(0))
        while pending:
            yield _joined(*pending.pop(0))

    @property
    def broken(self) -> bool:
        """A worker died; the pool takes no more work and must be replaced."""
        return bool(getattr(self._executor, "_broken", False))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _joined(
    future: Future[tuple[list[Post], list[Rejected]]], rejected: list[Rejected]
) -> tuple[list[Post], list[Rejected]]:
    batch, bad = future.result()
    return batch, [*rejected, *bad]
