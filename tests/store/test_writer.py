"""The writer process: batches stored in order, keys known while in flight, errors surfaced."""

from __future__ import annotations

import csv
import os
import signal
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from groundswell.context import Desk
from groundswell.models import RawItem, Rejected, SourceBatch
from groundswell.normalize.post import Normaliser
from groundswell.store.posts import known_dedup_keys
from groundswell.store.sources import SourceRecord, add_source
from groundswell.store.tables import events, posts, stories
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
        batch_size=len(batch),
        fresh=batch,
        rejected=bad,
        summaries={},
        merges=[],
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


def test_a_database_error_with_binary_parameters_reaches_the_caller_as_itself(
    sqlite_url: str,
) -> None:
    desk, _ = desk_and_source(sqlite_url)
    job = job_of(9999, [raw("x", "no such source")])  # foreign key
    for post in job.fresh:
        post.fingerprint = b"\x00\x01binary"  # bound as a memoryview, which cannot pickle
    writer = StoreWriter(sqlite_url)
    try:
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            writer.submit(job).result(timeout=60)
    finally:
        writer.close()
    desk.close()


CRISES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "events" / "en"


def crisis_items(n: int) -> list[RawItem]:
    """Real crisis tweets, which make the event clusterer merge events."""
    with (CRISES / "crisislex_t26_dev.csv").open(encoding="utf-8") as handle:
        rows = [r for _, r in zip(range(n), csv.DictReader(handle), strict=False)]
    return [raw(r["id"], r["text"], i // 100) for i, r in enumerate(rows)]


@pytest.mark.parametrize("which", ["weibo", "crises"])
def test_a_failed_job_leaves_no_post_half_analysed_and_a_retry_repairs_all(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """Chunk k fails in the writer after chunk k+1 counted chunk k's posts as in flight."""
    desk, source = desk_and_source(sqlite_url, analysis_processes=2)
    submitted = 0
    real_submit = StoreWriter.submit

    def fail_the_second(self: StoreWriter, job: StoreJob) -> object:
        nonlocal submitted
        submitted += 1
        if submitted == 2:  # its transaction will fail on a foreign key
            job.rejected = [*job.rejected, Rejected("x", {"x": 1}, source_id=999_999)]
        return real_submit(self, job)

    monkeypatch.setattr(StoreWriter, "submit", fail_the_second)
    text = "第{}条：市区暴雨致地铁停运，乘客滞留 {}"
    items = (
        [raw(f"p{i}", text.format(i, i % 7), i) for i in range(550)]
        if which == "weibo"
        else crisis_items(550)
    )
    batches = [SourceBatch(items=items[:400]), SourceBatch(items=items[200:250] + items[400:])]
    with pytest.raises(IntegrityError):
        list(desk.pipeline.ingest_many(source.id, batches, chunk=200))
    monkeypatch.setattr(StoreWriter, "submit", real_submit)
    list(desk.pipeline.ingest_many(source.id, batches, chunk=200))  # the retry
    with desk.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(posts)).scalar()
        unanalysed = conn.execute(
            select(func.count()).select_from(posts).where(posts.c.event_id.is_(None))
        ).scalar()
        story_posts = conn.execute(select(func.sum(stories.c.posts))).scalar()
        event_posts = conn.execute(select(func.sum(events.c.size))).scalar()
        per_event = dict(
            conn.execute(select(posts.c.event_id, func.count()).group_by(posts.c.event_id)).all()
        )
        sizes = dict(conn.execute(select(events.c.id, events.c.size)).all())
    desk.close()
    assert (stored, unanalysed) == (550, 0)
    assert story_posts == event_posts == 550
    assert per_event == sizes  # merges of the failed chunk were stored with a later one
