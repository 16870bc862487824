"""Ingest benchmark: normalise + store + index real posts (the storage half of the pipeline).

    python -m bench.ingest [--n 100000] [--backend sqlite|postgres|both] [--lang en|zh|both]
                           [--postgres-url URL] [--batch-size 2000] [--compare-n 10000]

Each (backend, language) case runs in its own subprocess on a fresh database, so
peak memory (ru_maxrss) is per case. One JSON line per case goes to stdout with:

* `posts_per_s`: RawItems in batches normalised and stored (no analysis stages),
  one transaction per batch, on a fresh database with the real schema (FTS5
  triggers on SQLite, generated tsvector + GIN on PostgreSQL); `posts_per_cpu_s`
  counts this process's CPU time only (less sensitive to a busy machine; on
  PostgreSQL the server's work is not in it); `load_avg_1m` before and after;
* `tokenize_posts_per_s`: `index_tokens` alone over the same texts, and for Chinese
  `jieba_cut_posts_per_s` / `jieba_cut_for_search_posts_per_s` (Python jieba alone)
  and the same for `rjieba` (the Rust port the tokenizer uses);
* `normalise_posts_per_s` and `store_posts_per_s`: the two halves of the pipeline;
* `alternatives`: what a user would otherwise write to store the same rows, each on
  a fresh database: per-row SELECT-then-INSERT with SQLAlchemy Core and with the
  ORM (on the first `--compare-n` posts: they are slow), and a plain DBAPI
  executemany (sqlite3 / psycopg) of the same rows with INSERT-or-ignore;
* `ratios`: store_posts against each alternative, and the whole pipeline against
  normalise + per-row Core store; `ratios_to_tokenizer`: the pipeline's posts/s
  over the tokenizer-only posts/s.

The PostgreSQL server in `--postgres-url` gets a scratch database
`groundswell_bench`, dropped at the end. Peak memory includes the loaded data set
(`rss_base_mb` is the resident size just before the timed run).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, registry

from bench import data
from groundswell.analyze.tokenize import index_tokens, warm_up
from groundswell.models import Post
from groundswell.normalize.post import Normaliser
from groundswell.store.database import make_engine, migrate, normalise_url
from groundswell.store.posts import StoreResult, count_posts, post_row, store_posts, store_rejected
from groundswell.store.sources import add_source
from groundswell.store.tables import posts as posts_table

TARGETS = {"en": 5000, "zh": 2500}  # posts/s on one core
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DB = "groundswell_bench"
PSEUDONYM_KEY = b"bench-pseudonym-key"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    """Current resident set size."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


# -- scratch databases -------------------------------------------------------------


@contextmanager
def scratch_database(backend: str, postgres_url: str, name: str = SCRATCH_DB) -> Iterator[str]:
    """A fresh, migrated database URL; removed afterwards."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="groundswell-bench-")
        try:
            url = f"sqlite:///{folder}/bench.db"
            _migrate(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin_url = normalise_url(postgres_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()


def new_source(engine: Engine, name: str = "bench") -> int:
    with engine.begin() as conn:
        return add_source(conn, name, "file", {"path": "../shared/data"}).id


# -- the measured runs -------------------------------------------------------------


def run_pipeline(engine: Engine, lang: str, n: int, batch_size: int) -> tuple[float, StoreResult]:
    """RawItems batch by batch normalised and stored; returns seconds and what was stored."""
    normaliser = Normaliser(PSEUDONYM_KEY)
    source_id = new_source(engine)
    total = StoreResult()
    start = time.perf_counter()
    for batch in data.iter_items(lang, n, batch_size):
        posts, bad = normaliser.normalise(batch, source_id)
        with engine.begin() as conn:
            total += store_posts(conn, posts)
            total.quarantined += store_rejected(conn, bad)
    return time.perf_counter() - start, total


def normalise_all(lang: str, n: int, batch_size: int) -> tuple[float, list[Post]]:
    normaliser = Normaliser(PSEUDONYM_KEY)
    out: list[Post] = []
    start = time.perf_counter()
    for batch in data.iter_items(lang, n, batch_size):
        posts, _ = normaliser.normalise(batch, 1)
        out.extend(posts)
    return time.perf_counter() - start, out


def _batches(items: list[Post], size: int) -> Iterator[list[Post]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def store_with_store_posts(engine: Engine, posts: list[Post], batch_size: int) -> int:
    stored = 0
    for batch in _batches(posts, batch_size):
        with engine.begin() as conn:
            stored += store_posts(conn, batch).stored
    return stored


def row_of(post: Post) -> dict[str, Any]:
    """The row a user would write by hand (the same values `store_posts` writes)."""
    return dict(post_row(post))


COLUMNS = [
    "source_id", "dedup_key", "external_id", "url", "canonical_url", "title", "text", "lang",
    "tokens", "author_key", "published_at", "collected_at", "sort_at", "engagement", "raw",
    "content_hash",
]  # fmt: skip


def store_core_per_row(engine: Engine, posts: list[Post], batch_size: int) -> int:
    """Naive Core: for each post SELECT whether it exists, then INSERT it."""
    stored = 0
    c = posts_table.c
    for batch in _batches(posts, batch_size):
        with engine.begin() as conn:
            for post in batch:
                row = row_of(post)
                found = conn.execute(
                    select(c.id).where(
                        c.source_id == row["source_id"], c.dedup_key == row["dedup_key"]
                    )
                ).first()
                if found is None:
                    conn.execute(posts_table.insert(), row)
                    stored += 1
    return stored


class PostRecord:
    """An ORM class over the posts table, as a user of the ORM would map it."""

    def __init__(self, **values: Any) -> None:
        for key, value in values.items():
            setattr(self, key, value)


registry().map_imperatively(PostRecord, posts_table)


def store_orm_per_row(engine: Engine, posts: list[Post], batch_size: int) -> int:
    """Naive ORM: query for the post, add it if absent, commit per batch (autoflush on)."""
    stored = 0
    for batch in _batches(posts, batch_size):
        with Session(engine) as session, session.begin():
            for post in batch:
                row = row_of(post)
                found = session.scalar(
                    select(PostRecord.id).where(  # type: ignore[attr-defined]
                        PostRecord.source_id == row["source_id"],  # type: ignore[attr-defined]
                        PostRecord.dedup_key == row["dedup_key"],  # type: ignore[attr-defined]
                    )
                )
                if found is None:
                    session.add(PostRecord(**row))
                    stored += 1
    return stored


def _sqlite_time(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite storage format for the naive-UTC datetimes it writes."""
    if value is None:
        return None
    return f"{value.astimezone(UTC).replace(tzinfo=None):%Y-%m-%d %H:%M:%S.%f}"


def store_executemany(url: str, posts: list[Post], batch_size: int) -> int:
    """Plain DBAPI executemany of the same rows, ignoring duplicates."""
    placeholders = ", ".join(["?"] * len(COLUMNS))
    names = ", ".join(COLUMNS)
    stored = 0
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database or "")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        sql = f"INSERT OR IGNORE INTO posts ({names}) VALUES ({placeholders})"
        try:
            for batch in _batches(posts, batch_size):
                rows = []
                for post in batch:
                    r = row_of(post)
                    for key in ("published_at", "collected_at", "sort_at"):
                        r[key] = _sqlite_time(r[key])
                    r["engagement"] = json.dumps(r["engagement"])
                    r["raw"] = json.dumps(r["raw"])
                    rows.append(tuple(r[k] for k in COLUMNS))
                with conn:
                    stored += conn.executemany(sql, rows).rowcount
        finally:
            conn.close()
        return stored
    import psycopg
    from psycopg.types.json import Jsonb

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    sql = (
        f"INSERT INTO posts ({names}) VALUES ({placeholders.replace('?', '%s')})"
        " ON CONFLICT (source_id, dedup_key) DO NOTHING"
    )
    with psycopg.connect(dsn) as conn:
        for batch in _batches(posts, batch_size):
            rows = []
            for post in batch:
                r = row_of(post)
                r["engagement"] = Jsonb(r["engagement"])
                r["raw"] = Jsonb(r["raw"])
                rows.append(tuple(r[k] for k in COLUMNS))
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(sql, rows)
                stored += max(cur.rowcount, 0)
    return stored


# -- cases -------------------------------------------------------------------------


def ingest_case(args: argparse.Namespace) -> dict[str, Any]:
    backend, lang, n, size = args.backend, args.lang, args.n, args.batch_size
    data.load_records(lang)
    warm_up()
    gc.collect()
    result: dict[str, Any] = {
        "bench": "ingest",
        "backend": backend,
        "lang": lang,
        "n": n,
        "batch_size": size,
        "distinct_texts": len(data.load_records(lang)),
        "cycles": round(data.cycles(lang, n), 2),
        "rss_base_mb": rss_mb(),
    }
    load_before = os.getloadavg()[0]
    with scratch_database(backend, args.postgres_url) as url:
        engine = make_engine(url)
        cpu = time.process_time()
        seconds, stored = run_pipeline(engine, lang, n, size)
        cpu = time.process_time() - cpu
        result["rss_peak_mb"] = peak_rss_mb()
        with engine.connect() as conn:
            in_db = count_posts(conn)
        engine.dispose()
    if stored.stored != n or in_db != n:
        raise SystemExit(f"expected {n} posts stored, got {stored} ({in_db} in the database)")
    result.update(
        seconds=round(seconds, 2),
        posts_per_s=round(n / seconds),
        posts_per_cpu_s=round(n / cpu),  # this process only (PostgreSQL works in its own)
        target_posts_per_s=TARGETS[lang],
        meets_target=n / seconds >= TARGETS[lang],
        load_avg_1m=[round(load_before, 2), round(os.getloadavg()[0], 2)],
    )
    if args.compare_n:
        result.update(compare_case(args))
    return result


def compare_case(args: argparse.Namespace) -> dict[str, Any]:
    """The two halves of the pipeline apart, and the alternatives on the same rows."""
    backend, lang, n, size = args.backend, args.lang, args.n, args.batch_size
    log(f"  normalise only ({n:,} posts)")
    seconds, posts = normalise_all(lang, n, size)
    small = posts[: min(args.compare_n, n)]
    runs: dict[str, Any] = {}
    m = len(small)
    stores: list[tuple[str, Callable[[str, Engine], int], int]] = [
        ("store_posts", lambda url, e: store_with_store_posts(e, posts, size), n),
        ("store_posts_small", lambda url, e: store_with_store_posts(e, small, size), m),
        ("core_per_row_select_insert", lambda url, e: store_core_per_row(e, small, size), m),
        ("orm_per_row_select_add", lambda url, e: store_orm_per_row(e, small, size), m),
        ("executemany", lambda url, e: store_executemany(url, posts, size), n),
    ]
    for label, store, expected in stores:
        log(f"  {label} ({expected:,} posts, fresh database)")
        with scratch_database(backend, args.postgres_url) as url:
            engine = make_engine(url)
            new_source(engine)  # id 1, which the normalised posts carry
            start = time.perf_counter()
            stored = store(url, engine)
            elapsed = time.perf_counter() - start
            engine.dispose()
        if stored != expected:
            raise SystemExit(f"{label}: stored {stored} posts, expected {expected}")
        runs[label] = {"n": expected, "posts_per_s": round(expected / elapsed)}
    rate = {label: run["posts_per_s"] for label, run in runs.items()}
    normalise = n / seconds
    naive = 1 / (1 / normalise + 1 / rate["core_per_row_select_insert"])
    return {
        "normalise_posts_per_s": round(normalise),
        "store_posts_per_s": rate["store_posts"],
        "alternatives": {k: v for k, v in runs.items() if k != "store_posts"},
        "naive_pipeline_posts_per_s": round(naive),  # normalise + per-row Core store
        "ratios": {
            "store_posts/core_per_row": round(
                rate["store_posts_small"] / rate["core_per_row_select_insert"], 1
            ),
            "store_posts/orm_per_row": round(
                rate["store_posts_small"] / rate["orm_per_row_select_add"], 1
            ),
            "store_posts/executemany": round(rate["store_posts"] / rate["executemany"], 2),
        },
    }


def tokenize_case(args: argparse.Namespace) -> dict[str, Any]:
    """The tokenizer alone (and jieba alone, Python and Rust, for Chinese) over the same texts."""
    import jieba
    import rjieba

    texts = data.texts(args.lang, args.n)
    warm_up()
    out: dict[str, Any] = {}

    def rate(fn: Callable[[str], object]) -> int:
        start = time.perf_counter()
        for t in texts:
            fn(t)
        return round(len(texts) / (time.perf_counter() - start))

    lang = args.lang
    out["tokenize_posts_per_s"] = rate(lambda t: index_tokens(t, lang))
    if lang == "zh":
        out["jieba_cut_posts_per_s"] = rate(lambda t: list(jieba.cut(t)))
        out["jieba_cut_for_search_posts_per_s"] = rate(lambda t: list(jieba.cut_for_search(t)))
        out["rjieba_cut_posts_per_s"] = rate(rjieba.cut)
        out["rjieba_cut_for_search_posts_per_s"] = rate(rjieba.cut_for_search)
    out["mean_chars"] = round(sum(map(len, texts)) / len(texts), 1)
    return out


# -- driver ------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--n", type=int, default=100_000, help="posts per case (default 100000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--lang", choices=["en", "zh", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES, help="server to make the scratch db on"
    )
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--compare-n", type=int, default=10_000,
        help="posts for the per-row alternatives (0: skip all comparisons)",
    )  # fmt: skip
    parser.add_argument("--case", choices=["ingest", "tokenize"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_subprocess(args: argparse.Namespace, case: str, backend: str, lang: str) -> dict[str, Any]:
    """One case in a fresh interpreter (separate peak memory); returns its JSON result."""
    command = [
        sys.executable, "-m", "bench.ingest", "--case", case, "--backend", backend,
        "--lang", lang, "--n", str(args.n), "--batch-size", str(args.batch_size),
        "--compare-n", str(args.compare_n), "--postgres-url", args.postgres_url,
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=data.ROOT, stdout=subprocess.PIPE, text=True, timeout=3600, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"case {case} {backend} {lang} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.case == "ingest":
        print(json.dumps(ingest_case(args)), flush=True)
        return
    if args.case == "tokenize":
        print(json.dumps(tokenize_case(args)), flush=True)
        return
    langs = ["en", "zh"] if args.lang == "both" else [args.lang]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for lang in langs:
        if data.cycles(lang, args.n) > 1:
            log(
                f"{lang}: {len(data.load_records(lang)):,} distinct texts for {args.n:,} posts:"
                f" cycling through them {data.cycles(lang, args.n):.2f} times with distinct ids"
            )
    for lang in langs:
        log(f"tokenizer only: {lang}")
        tokens = run_subprocess(args, "tokenize", "sqlite", lang)
        for backend in backends:
            log(f"ingest: {backend} {lang} ({args.n:,} posts)")
            result = run_subprocess(args, "ingest", backend, lang)
            result.update(tokens)
            if "naive_pipeline_posts_per_s" in result:
                result["ratios"]["pipeline/naive_pipeline"] = round(
                    result["posts_per_s"] / result["naive_pipeline_posts_per_s"], 1
                )
            result["ratios_to_tokenizer"] = round(
                result["posts_per_s"] / result["tokenize_posts_per_s"], 2
            )
            print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
