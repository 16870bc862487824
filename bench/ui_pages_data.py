"""Building the UI pages benchmark's database: an analysed sample of real posts, then copies.

`--sample` real posts from ../shared/data go through `Pipeline.ingest_many`,
dated as a live stream at the year's rate (so the story and event stages see a
real stream), then SQL `INSERT ... SELECT` replicates them with their matches,
stories and events until N posts exist, spread evenly over the last 365 days
across six sources of uneven size. Every copy is a real INSERT into posts, so
the FTS5 triggers (SQLite) and the generated tsvector + GIN index (PostgreSQL)
index it as they index ingested posts. See bench/ui_pages.py.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from bench.ingest import log
from bench.pipeline import frequent_words, mixed_batches
from groundswell.accounts.users import create_user
from groundswell.context import Desk
from groundswell.models import SourceBatch
from groundswell.store.posts import StoreResult
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from groundswell.store.tables import posts as posts_table

ADMIN, PASSWORD = "bench-admin", "bench admin password 2026"
SPAN = timedelta(days=365)
# Six sources of uneven size: weights 6:5:4:3:2:1 over a cycle of 21 posts.
SOURCES = ["weibo", "wechat", "news-portal", "douyin", "forum", "gov-press"]
SOURCE_CASE = (
    "CASE WHEN {r} < 6 THEN 1 WHEN {r} < 11 THEN 2 WHEN {r} < 15 THEN 3"
    " WHEN {r} < 18 THEN 4 WHEN {r} < 20 THEN 5 ELSE 6 END"
)
# Columns copied as they are; the others are rewritten per copy below.
REWRITTEN = {"id", "source_id", "dedup_key", "published_at", "collected_at", "sort_at"}
REWRITTEN |= {"story_key", "event_id"}


def _time_sql(dialect: str, seconds: str) -> str:
    """A UTC timestamp `seconds` after the epoch, as each backend stores UtcDateTime."""
    if dialect == "sqlite":  # SQLAlchemy's SQLite format: naive UTC, microseconds
        return f"strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000'"
    return f"to_timestamp({seconds})"


def _g(c: int, sample: int) -> str:
    """Global position (0 .. N-1, oldest first) of sample row b.k in copy c."""
    return f"({c * sample} + b.k - 1)"


def _when(dialect: str, g: str, extra: int = 0) -> str:
    # Evenly spread, with up to 5 minutes of deterministic jitter (ids are not quite in time order).
    return _time_sql(dialect, f"(:start + {g} * :step - ((b.k * 7919) % 300) + {extra})")


def _sample_map(conn: Connection) -> int:
    """bench_sample: sample posts numbered k = 1..S in id order; returns S."""
    conn.execute(text("CREATE TABLE bench_sample (k BIGINT PRIMARY KEY, post_id BIGINT NOT NULL)"))
    conn.execute(
        text(
            "INSERT INTO bench_sample (k, post_id)"
            " SELECT row_number() OVER (ORDER BY id), id FROM posts"
        )
    )
    return int(conn.execute(text("SELECT count(*) FROM bench_sample")).scalar_one())


def _place_sample(conn: Connection, dialect: str, sample: int, times: dict[str, float]) -> None:
    """Copy 0 is the sample itself: move it to the start of the year, spread its sources."""
    g = _g(0, sample)
    source = SOURCE_CASE.format(r=f"({g} % 21)")
    conn.execute(
        text(
            f"UPDATE posts SET source_id = {source}, sort_at = {_when(dialect, g)},"
            f" collected_at = {_when(dialect, g, 60)},"
            f" published_at = CASE WHEN posts.published_at IS NULL THEN NULL"
            f" ELSE {_when(dialect, g)} END"
            " FROM bench_sample b WHERE b.post_id = posts.id"
        ),
        times,
    )
    conn.execute(
        text(
            "UPDATE post_matches SET sort_at ="
            " (SELECT p.sort_at FROM posts p WHERE p.id = post_matches.post_id)"
        )
    )


def _copy(
    conn: Connection, dialect: str, c: int, sample: int, rows: int, id_base: int,
    times: dict[str, float],
) -> None:  # fmt: skip
    """Copy c of the first `rows` sample posts (ids id_base + k), their matches and stories."""
    g = _g(c, sample)
    suffix = f"~{c}"
    kept = [col.name for col in posts_table.columns if col.name not in REWRITTEN]
    columns = ", ".join(["id", "source_id", "dedup_key", "published_at", "collected_at"])
    columns += ", sort_at, story_key, event_id, " + ", ".join(kept)
    values = (
        f":id_base + b.k, {SOURCE_CASE.format(r=f'({g} % 21)')}, p.dedup_key || :suffix,"
        f" CASE WHEN p.published_at IS NULL THEN NULL ELSE {_when(dialect, g)} END,"
        f" {_when(dialect, g, 60)}, {_when(dialect, g)},"
        " p.story_key || :suffix, p.event_id || :suffix, " + ", ".join(f"p.{k}" for k in kept)
    )
    params = {"id_base": id_base, "suffix": suffix, "rows": rows, **times}
    join = "FROM bench_sample b JOIN posts p ON p.id = b.post_id WHERE b.k <= :rows"
    conn.execute(text(f"INSERT INTO posts ({columns}) SELECT {values} {join}"), params)
    conn.execute(
        text(
            "INSERT INTO post_matches (post_id, scheme_id, terms, sort_at)"
            f" SELECT :id_base + b.k, m.scheme_id, m.terms, {_when(dialect, g)}"
            " FROM bench_sample b JOIN post_matches m ON m.post_id = b.post_id"
            " WHERE b.k <= :rows"
        ),
        params,
    )
    conn.execute(
        text(
            "INSERT INTO stories (story_key, original_post_id, posts, first_seen, last_seen)"
            " SELECT s.story_key || :suffix, :id_base + b.k, s.posts, s.first_seen, s.last_seen"
            " FROM stories s JOIN bench_sample b ON b.post_id = s.original_post_id"
            " WHERE b.k <= :rows"
        ),
        params,
    )
    event_columns = "title, key_terms, first_seen, last_seen, size, sentiment_mix, sources,"
    event_columns += " reposts, engagement, posts_per_hour, heat, heat_components, updated_at"
    conn.execute(
        text(
            f"INSERT INTO events (id, {event_columns}) SELECT id || :suffix, {event_columns}"
            " FROM events WHERE id IN (SELECT p.event_id FROM bench_sample b"
            " JOIN posts p ON p.id = b.post_id WHERE b.k <= :rows)"
        ),
        {"suffix": suffix, "rows": rows},
    )


def _finish(conn: Connection) -> None:
    """Events and sources as the live stages would have left them after a year."""
    conn.execute(
        text(
            "UPDATE events SET"
            " first_seen = (SELECT min(p.sort_at) FROM posts p WHERE p.event_id = events.id),"
            " last_seen = (SELECT max(p.sort_at) FROM posts p WHERE p.event_id = events.id)"
            " WHERE EXISTS (SELECT 1 FROM posts p WHERE p.event_id = events.id)"
        )
    )
    conn.execute(text("UPDATE events SET updated_at = last_seen"))
    conn.execute(
        text(
            "UPDATE sources SET posts_total ="
            " (SELECT count(*) FROM posts p WHERE p.source_id = sources.id)"
        )
    )


def timed_batches(sample: int, start: datetime, n: int) -> Iterator[SourceBatch]:
    """The sample as it would arrive live, at the year's rate (n posts in 365 days), so the
    event and story stages see a real stream, not texts dated years apart."""
    step = SPAN / n
    i = 0
    for batch in mixed_batches(sample, 500):
        for item in batch.items:
            item.published_at = start + step * i
            i += 1
        yield batch


def add_schemes(desk: Desk, count: int, texts: int) -> None:
    """Schemes on words the data uses often (from `texts` posts per language, as in
    bench/pipeline.py), half Chinese, half English; a third with event words."""
    rng = random.Random(7)
    words = {lang: frequent_words(lang, texts, 200) for lang in ("zh", "en")}
    with desk.engine.begin() as conn:
        for i in range(count):
            vocab = words["zh" if i % 2 else "en"]
            add_scheme(
                conn,
                f"scheme {i}",
                subject_words=rng.sample(vocab, 3),
                event_words=rng.sample(vocab, 4) if i % 3 == 0 else [],
            )


def _as_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def build(desk: Desk, n: int, sample: int, schemes: int, now: datetime) -> dict[str, Any]:
    """Fill the database: schemes, sources, an admin, the analysed sample, then copies."""
    start = time.perf_counter()
    add_schemes(desk, schemes, min(sample, 5000))
    with desk.engine.begin() as conn:
        for name in SOURCES:
            add_source(conn, name, "file", {"path": "../shared/data"})
        create_user(conn, ADMIN, PASSWORD, "admin")
    desk.pipeline.pure()
    ingested = StoreResult()
    for result in desk.pipeline.ingest_many(1, timed_batches(sample, now - SPAN, n)):
        ingested += result
    sample_seconds = time.perf_counter() - start
    log(f"  sample: {ingested.stored:,} posts analysed and stored in {sample_seconds:.1f} s")
    dialect = desk.engine.dialect.name
    step = SPAN.total_seconds() / n
    times = {"start": (now - SPAN).timestamp(), "step": step}
    copy_start = time.perf_counter()
    with desk.engine.begin() as conn:
        size = _sample_map(conn)
        id_base = int(conn.execute(text("SELECT max(id) FROM posts")).scalar_one())
        _place_sample(conn, dialect, size, times)
    copies = math.ceil(n / size)
    with desk.engine.connect() as conn:
        if dialect == "sqlite":  # a big page cache for the random index inserts, then back
            cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql("PRAGMA cache_size=-1048576")
            conn.commit()
        for c in range(1, copies):
            rows = min(size, n - c * size)
            with conn.begin():
                _copy(conn, dialect, c, size, rows, id_base + (c - 1) * size, times)
            if c % 10 == 0 or c == copies - 1:
                elapsed = time.perf_counter() - copy_start
                log(f"  copies: {c * size + rows:,} posts after {elapsed:.0f} s")
        if dialect == "sqlite":
            conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
            conn.commit()
    with desk.engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_sample"))
        if dialect == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('posts', 'id'), max(id)) FROM posts")
            )
        _finish(conn)
    if dialect == "postgresql":  # autovacuum would have; SQLite is never ANALYZEd by the desk
        with desk.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with desk.engine.connect() as conn:
        counts = {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("posts", "post_matches", "stories", "events")
        }
        first, last = conn.execute(text("SELECT min(sort_at), max(sort_at) FROM posts")).one()
    span_days = (_as_time(last) - _as_time(first)).total_seconds() / 86400
    seconds = time.perf_counter() - start
    log(f"  built {counts} in {seconds:.0f} s (copies: {time.perf_counter() - copy_start:.0f} s)")
    return {
        "seconds": round(seconds, 1),
        "sample_seconds": round(sample_seconds, 1),
        "copy_seconds": round(time.perf_counter() - copy_start, 1),
        "sample": size,
        **counts,
        "span_days": round(span_days, 1),
    }
