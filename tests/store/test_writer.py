"""The writer process: batches stored in order, keys known while in flight, errors surfaced."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from groundswell.context import Desk
from groundswell.models import RawItem, SourceBatch
from groundswell.normalize.post import Normaliser
from groundswell.store.posts import known_dedup_keys
from groundswell.store.sources import SourceRecord, add_source
from groundswell.store.tables import posts, stories
from groundswell.store.writer import StoreJob, StoreWriter
from tests.conftest import make_desk

T0 = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)


def raw(key: str, text: str, minutes: float = 0) -> RawItem:
    return RawItem(
        raw={"id": key},
        external_id=key,
        text=text,
        published_at=T0 + timedelta(minutes=minutes),
    )


def desk_and_source(url: str, **settings: object) -> tuple[Desk, SourceRecord]:
    desk = make_desk(url, **settings)
    with desk.engine.begin() as conn:
        return desk, add_source(conn, "s", "push", {"token": "t" * 20})


def job_of(source_id: int, items: list[RawItem]) -> StoreJob:
    batch, bad = Normaliser(b"k").normalise(items, source_id, T0)
    return StoreJob(
        source_id=source_id,
        batch=batch,
        fresh=batch,
        rejected=bad,
        summaries={},
        merges=[],
        keys=frozenset(p.dedup_key for p in batch),
    )


def test_jobs_commit_in_order_and_their_keys_count_as_known_until_then(sqlite_url: str) -> None:
    desk, source = desk_and_source(sqlite_url)
    writer = StoreWriter(sqlite_url)
    try:
        writer.start()
        jobs = [
            job_of(source.id, [raw(f"{n}-{i}", f"post {n} {i}", n) for i in range(50)])
            for n in range(4)
        ]
        futures = [writer.submit(job) for job in jobs]
        in_flight = writer.pending_keys(source.id, ["3-0", "id:3-0", "id:nope"])
        results = [f.result(timeout=60) for f in futures]
        assert writer.pending_keys(source.id, ["id:3-0"]) == set()
    finally:
        writer.close()
    # Asked before the last job could commit, its key was pending or already stored.
    with desk.engine.connect() as conn:
        stored_ids = list(conn.execute(select(posts.c.external_id).order_by(posts.c.id)).scalars())
        assert known_dedup_keys(conn, source.id, ["id:3-0"]) == {"id:3-0"}
    assert in_flight <= {"id:3-0"}
    assert [r.stored for r in results] == [50, 50, 50, 50]
    assert stored_ids == [f"{n}-{i}" for n in range(4) for i in range(50)]
    desk.close()


def test_a_failed_job_raises_in_the_caller_and_the_writer_goes_on(sqlite_url: str) -> None:
    desk, source = desk_and_source(sqlite_url)
    writer = StoreWriter(sqlite_url)
    try:
        bad = writer.submit(job_of(9999, [raw("x", "no such source")]))  # foreign key
        good = writer.submit(job_of(source.id, [raw("y", "fine")]))
        with pytest.raises(IntegrityError):
            bad.result(timeout=60)
        assert good.result(timeout=60).stored == 1
        assert not writer.broken
    finally:
        writer.close()
    desk.close()


def test_the_pipeline_stores_a_repeated_item_once_while_its_first_copy_is_in_flight(
    db_url: str,
) -> None:
    """Chunk k+1 is analysed before chunk k commits: its repeats must still be duplicates."""
    desk, source = desk_and_source(db_url, analysis_processes=2)
    items = [raw(f"p{i}", f"第{i}条：市区暴雨致地铁停运，乘客滞留 {i}", i) for i in range(600)]
    # Each batch repeats half of the one before it; chunks of 200 keep several in flight.
    batches = [SourceBatch(items=items[start : start + 300]) for start in range(0, 600, 150)]
    results = list(desk.pipeline.ingest_many(source.id, batches, chunk=200))
    with desk.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(posts)).scalar()
        story_posts = conn.execute(select(func.sum(stories.c.posts))).scalar()
    desk.close()
    assert sum(r.stored for r in results) == stored == 600
    assert sum(r.duplicates for r in results) == 1200 - 600 - 150  # the last batch is 150
    assert story_posts == 600  # each post counted in its story once


def test_a_dead_writer_fails_the_import_and_the_next_import_gets_a_new_one(
    sqlite_url: str,
) -> None:
    desk, source = desk_and_source(sqlite_url, analysis_processes=2)
    desk.pipeline.start_workers()
    writer = desk.pipeline._get_writer()
    os.kill(writer.start(), signal.SIGKILL)
    items = [raw(f"p{i}", f"post number {i} about the flood", i) for i in range(400)]
    with pytest.raises(BrokenProcessPool):
        list(desk.pipeline.ingest_many(source.id, [SourceBatch(items=items)], chunk=200))
    results = list(desk.pipeline.ingest_many(source.id, [SourceBatch(items=items)], chunk=200))
    assert desk.pipeline._get_writer() is not writer
    desk.close()
    # Posts analysed for the failed import were never stored; the retry stores them all.
    assert sum(r.stored for r in results) == 400
