"""UI pages benchmark: server time of the dashboard, feed, events and search with N posts stored.

    python -m bench.ui_pages [--posts 1000000] [--backend sqlite|postgres] [--sample 20000]
                             [--schemes 20] [--requests 30] [--warmup 3] [--processes 0]
    groundswell bench ui_pages -- --posts 1000000

The database is built the quick way that still looks like a year of monitoring:
`--sample` real posts from ../shared/data go through `Pipeline.ingest_many` (so
they carry sentiment, scheme matches, stories and events), then SQL
`INSERT ... SELECT` replicates them, with their matches, stories and events, until
`--posts` posts exist, spread evenly over the last 365 days across six sources of
uneven size (the FTS5 triggers / generated tsvector index every copy, as for
ingested posts). Each copy gets its own dedup keys, story keys and event ids.

Then an admin signs in through `POST /api/auth/login` on an in-process httpx ASGI
client of `create_app(desk)` and each page is requested `--warmup` times, then
`--requests` times; server time is the wall time of the in-process request (no
network). The feed's SSE refresh (`/feed/stream`) is timed to its first event
after the preamble: one database poll, as every open feed does each second.
Target: p95 < 300 ms per page. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import Connection, text

from bench.ingest import DEFAULT_POSTGRES, log, scratch_database
from bench.pipeline import frequent_words, mixed_batches
from groundswell.accounts.users import create_user
from groundswell.context import Desk
from groundswell.models import SourceBatch
from groundswell.settings import load_settings
from groundswell.store.posts import StoreResult
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from groundswell.store.tables import posts as posts_table
from groundswell.web.app import create_app

TARGET_P95_MS = 300.0
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


# -- building the database -----------------------------------------------------------


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


# -- measuring -----------------------------------------------------------------------


def _stats(samples_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(samples_ms)
    p95 = ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]  # nearest rank
    return {
        "p50_ms": round(ordered[len(ordered) // 2], 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "meets_target": p95 < TARGET_P95_MS,
    }


def pages(desk: Desk, now: datetime) -> dict[str, str]:
    """The pages to time: path and query string, named."""
    with desk.engine.connect() as conn:
        busiest = (
            conn.execute(
                text(
                    "SELECT scheme_id FROM post_matches"
                    " GROUP BY scheme_id ORDER BY count(*) DESC, scheme_id LIMIT 1"
                )
            ).scalar()
            or 1
        )
        words = conn.execute(
            text("SELECT subject_words FROM schemes WHERE id = :id"), {"id": busiest or 1}
        ).scalar_one()
        hottest = conn.execute(
            text("SELECT id FROM events ORDER BY last_seen DESC, heat DESC LIMIT 1")
        ).scalar()
        newest = conn.execute(text("SELECT max(post_id) FROM post_matches")).scalar() or 0
    word = (json.loads(words) if isinstance(words, str) else words)[0]
    since = (now - timedelta(hours=12)).isoformat()
    urls = {
        "dashboard": "/",
        "dashboard_30d": "/?range=30d",
        "dashboard_since": "/dashboard/since?" + urlencode({"since": since}),
        "feed": "/feed",
        "feed_scheme": f"/feed?scheme={busiest}",
        "feed_scheme_negative": f"/feed?scheme={busiest}&sentiment=negative",
        "feed_source": f"/feed?source={SOURCES[-1]}",
        "feed_stream_poll": f"/feed/stream?after={newest}",
        "events": "/events",
        "events_30d": "/events?days=30",
        "event": f"/events/{hottest}",
        "search": "/search?" + urlencode({"q": word}),
        "api_posts": "/api/posts?" + urlencode({"q": word}),
    }
    return {name: url for name, url in urls.items() if hottest or name != "event"}


async def first_event(app: Any, url: str, cookies: httpx.Cookies) -> float:
    """Seconds from the request to the SSE stream's first event after its preamble."""
    path, _, query = url.partition("?")
    cookie = "; ".join(f"{c.name}={c.value}" for c in cookies.jar)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "client": ("127.0.0.1", 1), "server": ("bench", 80),
        "headers": [(b"host", b"bench"), (b"cookie", cookie.encode())],
    }  # fmt: skip
    chunks: list[bytes] = []
    got, gone = asyncio.Event(), asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise SystemExit(f"{url}: HTTP {message['status']}")
        if message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])
            if len(chunks) >= 2:
                got.set()

    start = time.perf_counter()
    task = asyncio.create_task(app(scope, receive, send))
    await got.wait()
    elapsed = time.perf_counter() - start
    gone.set()
    await task
    return elapsed


async def measure(desk: Desk, urls: dict[str, str], warmup: int, requests: int) -> dict[str, Any]:
    app = create_app(desk)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        response = await client.post("/api/auth/login", json={"name": ADMIN, "password": PASSWORD})
        if response.status_code != 200:
            raise SystemExit(f"sign-in failed: {response.status_code} {response.text}")
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        last_visit = (datetime.now(UTC) - timedelta(hours=12)).isoformat()
        results: dict[str, Any] = {}
        for name, url in urls.items():

            async def once(url: str = url) -> float:
                if url.startswith("/feed/stream"):
                    return await first_event(app, url, client.cookies)
                client.cookies.delete("gs_seen")  # the dashboard sets it to now
                client.cookies.set("gs_seen", last_visit)  # a visit 12 h ago: the changes card
                start = time.perf_counter()
                got = await client.get(url)
                elapsed = time.perf_counter() - start
                if got.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {got.status_code} {got.text[:300]}")
                return elapsed

            results[name] = await _timed(once, warmup, requests) | {"url": url}
            log(f"  {name:22} {results[name]}")
    return results


async def _timed(
    once: Callable[[], Awaitable[float]], warmup: int, requests: int
) -> dict[str, Any]:
    for _ in range(warmup):
        await once()
    return _stats([await once() * 1000 for _ in range(requests)])


# -- driver ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_pages")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="posts through the pipeline")
    parser.add_argument("--schemes", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--processes", type=int, default=0, help="analysis workers; 0: per core")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--database-url",
        help="build into this database and keep it (to profile it later); if it already"
        " holds posts, measure it as it is",
    )
    args = parser.parse_args(argv)
    sample = min(args.sample, args.posts)
    now = datetime.now(UTC)
    database: AbstractContextManager[str] = (
        nullcontext(args.database_url)
        if args.database_url
        else scratch_database(args.backend, args.postgres_url)
    )
    with database as url:
        settings = load_settings(
            database_url=url, pseudonym_key="bench", analysis_processes=args.processes
        )
        desk = Desk.open(settings)
        with desk.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM posts")).scalar_one()
        if stored:
            log(f"ui_pages: measuring the {stored:,} posts already in {args.database_url}")
            built: dict[str, Any] = {"posts": stored, "reused": True}
        else:
            dialect = desk.engine.dialect.name
            log(f"ui_pages: building {args.posts:,} posts ({sample:,} analysed), {dialect}")
            built = build(desk, args.posts, sample, args.schemes, now)
        log(f"ui_pages: {args.warmup} warm-up + {args.requests} requests per page")
        load_before = os.getloadavg()[0]  # a busy machine inflates the tail: say so
        results = asyncio.run(measure(desk, pages(desk, now), args.warmup, args.requests))
        load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        desk.close()
    print(
        json.dumps(
            {
                "bench": "ui_pages",
                "backend": desk.engine.dialect.name,
                "posts": built["posts"],
                "cores": os.cpu_count(),
                "load_avg_1m": load,
                "requests": args.requests,
                "target_p95_ms": TARGET_P95_MS,
                "build": built,
                "pages": results,
                "meets_target": all(page["meets_target"] for page in results.values()),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
