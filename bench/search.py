"""Search benchmark: latency of `search_posts` for two-word queries on a 1,000,000-post store.

    python -m bench.search [--db bench/results/search-1m.db] [--n 1000000] [--rebuild]
                           [--build-only] [--backend sqlite|postgres|both] [--pg-n 200000]
                           [--postgres-url URL] [--like-queries 40] [--single-words 10]

The store (SQLite, reused when it already holds `--n` posts) is half English,
half Chinese real posts (bench/data.py), texts repeated with distinct ids, the
published times spread evenly over 60 days with up to ±30 minutes of jitter, so
insertion order is close to, but not exactly, time order (as on a live desk).

Build path: every distinct text is normalised once with the real `Normaliser`;
each post is that `Post` with its own external id, dedup key and time, stored
with the real `store_posts` (so the FTS5 index is built by the real triggers, a
batch at a time). That yields the rows `ingest` would store for the same items
(only `collected_at` differs); a sample is re-normalised and compared while
building.

Queries: ~200 word pairs, both words taken from one real post, 25 per stratum
and language: common+common (both among the 200 most frequent words), common+rare,
medium+medium and rare+rare (words seen at most 3 times in a 50,000-post sample).
Each runs newest-first and by relevance, limit 20, after one warm-up pass, three
times (the median counts); one JSON line per (backend, order) gives p50/p95/p99
in ms over the queries, per stratum too. The most frequent single words (e.g.
"the", "的") are timed apart (`search-single-words`): they are the worst case.

`--backend postgres|both` also builds a `--pg-n`-post store (default 200,000: the
first posts of the same sequence) in a scratch PostgreSQL database, runs ANALYZE
(as autovacuum would soon after a bulk load) and times the same queries there.

The alternative a user would write, `text LIKE '%w1%' AND text LIKE '%w2%'`
newest first, runs for `--like-queries` of the queries (spread over the strata):
it scans the table, so all 200 would take too long.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from bench import data
from bench.ingest import DEFAULT_POSTGRES, PSEUDONYM_KEY, log, scratch_database
from groundswell.analyze.tokenize import query_tokens, warm_up
from groundswell.models import Post
from groundswell.normalize.post import Normaliser
from groundswell.store.database import make_engine, migrate
from groundswell.store.posts import count_posts, store_posts
from groundswell.store.search import SearchQuery, search_posts
from groundswell.store.sources import add_source
from groundswell.store.tables import meta

DEFAULT_DB = data.ROOT / "bench" / "results" / "search-1m.db"
WINDOW_END = datetime(2026, 8, 22, tzinfo=UTC)
WINDOW = timedelta(days=60)
JITTER_S = 1800
META_KEY = "bench_search"
STRATA = ("common+common", "common+rare", "medium+medium", "rare+rare")
COMMON_RANK = 200
MEDIUM_RANKS = (200, 3000)
RARE_MAX_DF = 3
SAMPLE = 50_000


# -- building the store ------------------------------------------------------------


def lang_of(i: int) -> str:
    return data.LANGS[i % 2]


def time_for(i: int, n: int) -> datetime:
    """Post i's published time: even spread over the window plus deterministic jitter."""
    jitter = (i * 2654435761) % (2 * JITTER_S) - JITTER_S
    return WINDOW_END - WINDOW + WINDOW * ((i + 0.5) / n) + timedelta(seconds=jitter)


def normalised_pool(lang: str) -> list[Post]:
    """Every distinct text of `lang` through the real normaliser, in record order."""
    records = data.load_records(lang)
    normaliser = Normaliser(PSEUDONYM_KEY)
    pool: list[Post] = []
    for batch in data.iter_items(lang, len(records), 5000):
        posts, rejected = normaliser.normalise(batch, None)
        if rejected:
            raise SystemExit(f"{lang}: {len(rejected)} texts rejected: {rejected[0].reason}")
        pool.extend(posts)
    return pool


def make_post(i: int, n: int, pool: dict[str, list[Post]], source_ids: dict[str, int]) -> Post:
    """Post i of the store: its text's normalised Post with its own id and time."""
    lang = lang_of(i)
    record, cycle = data.record_at(lang, i // 2)
    ext = data.external_id(record, cycle)
    base = pool[lang][(i // 2) % len(pool[lang])]
    return replace(
        base,
        source_id=source_ids[lang],
        external_id=ext,
        dedup_key=f"id:{ext}",
        published_at=time_for(i, n),
    )


def check_against_ingest(i: int, n: int, post: Post) -> None:
    """The bulk-made post equals what the normaliser makes of the same RawItem."""
    lang = lang_of(i)
    (item,) = next(data.iter_items(lang, 1, start=i // 2, time_for=lambda _: time_for(i, n)))
    (real,), _ = Normaliser(PSEUDONYM_KEY).normalise([item], post.source_id, post.collected_at)
    if real != post:
        raise SystemExit(f"bulk post {i} differs from the normalised item:\n{real}\n{post}")


def build(url: str, n: int, batch_size: int = 2000) -> dict[str, Any]:
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        if count_posts(conn):
            raise SystemExit(f"{url} already holds posts; use a fresh path or --rebuild")
        source_ids = {
            lang: add_source(conn, f"bench-{lang}", "file", {"path": "../shared/data"}).id
            for lang in data.LANGS
        }
    warm_up()
    started = time.perf_counter()
    log("normalising the distinct texts once per language")
    pool = {lang: normalised_pool(lang) for lang in data.LANGS}
    normalised = time.perf_counter() - started
    log(f"  {sum(map(len, pool.values())):,} posts in {normalised:.0f} s; storing {n:,}")
    stored = 0
    for start in range(0, n, batch_size):
        batch = [
            make_post(i, n, pool, source_ids) for i in range(start, min(n, start + batch_size))
        ]
        if start % 100_000 == 0:
            check_against_ingest(start, n, batch[0])
            check_against_ingest(start + 1, n, batch[1])
            log(f"  {start:,} stored, {time.perf_counter() - started:.0f} s")
        with engine.begin() as conn:
            stored += store_posts(conn, batch).stored
    seconds = time.perf_counter() - started
    if stored != n:
        raise SystemExit(f"stored {stored} posts, expected {n}")
    info = {
        "n": n,
        "build_seconds": round(seconds, 1),
        "normalise_seconds": round(normalised, 1),
        "store_posts_per_s": round(n / (seconds - normalised)),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with engine.begin() as conn:
        conn.execute(meta.insert().values(key=META_KEY, value=json.dumps(info)))
    engine.dispose()
    return info


def stored_info(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        try:
            row = conn.execute(select(meta.c.value).where(meta.c.key == META_KEY)).first()
        except Exception:
            return None
    return json.loads(row[0]) if row else None


def open_store(path: Path, n: int, rebuild: bool) -> tuple[str, dict[str, Any]]:
    """The SQLite store at `path` with `n` posts, built if missing or different."""
    url = f"sqlite:///{path}"
    if path.exists() and not rebuild:
        engine = make_engine(url)
        info = stored_info(engine)
        engine.dispose()
        if info and info["n"] == n:
            log(f"reusing {path} ({n:,} posts, built {info['built_at']})")
            return url, info | {"reused": True}
        log(f"{path} does not hold a finished {n:,}-post store: rebuilding")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"building {path} with {n:,} posts")
    return url, build(url, n) | {"reused": False}


# -- queries -----------------------------------------------------------------------


def _sample_tokens(conn: Connection, lang: str, n: int, rng: random.Random) -> list[list[str]]:
    """Token lists of SAMPLE random posts of one language."""
    ids = [i + 1 for i in rng.sample(range(n), min(n, SAMPLE * 2)) if lang_of(i) == lang]
    rows: list[list[str]] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        query = text(f"SELECT tokens FROM posts WHERE id IN ({','.join(map(str, chunk))})")
        rows.extend(r[0].split() for r in conn.execute(query))
    return rows


def _usable(word: str, lang: str) -> bool:
    if word.isdigit():
        return False
    if lang == "zh":
        return len(word) >= 2 and not word.isascii()
    return len(word) >= 3 and word.isascii()


def make_queries(
    conn: Connection, n: int, per_stratum: int, seed: int, singles: int = 0
) -> list[dict[str, Any]]:
    """Word pairs from real posts, `per_stratum` per stratum and language; with `singles`,
    also that many of the most frequent single tokens per language (stratum "single")."""
    rng = random.Random(seed)
    queries: list[dict[str, Any]] = []
    for lang in data.LANGS:
        docs = _sample_tokens(conn, lang, n, rng)
        df = Counter(w for doc in docs for w in set(doc))
        top = [w for w, _ in df.most_common(singles * 3) if not w.isdigit()]
        top = [w for w in top if query_tokens(w) == [w]][:singles]
        queries.extend({"lang": lang, "stratum": "single", "text": w} for w in top)
        ranked = [w for w, _ in df.most_common() if _usable(w, lang)]
        rank = {w: r for r, w in enumerate(ranked)}

        def kind(word: str, rank: dict[str, int] = rank, df: Counter[str] = df) -> str | None:
            r = rank.get(word)
            if r is None:
                return None
            if r < COMMON_RANK:
                return "common"
            if MEDIUM_RANKS[0] <= r < MEDIUM_RANKS[1]:
                return "medium"
            return "rare" if df[word] <= RARE_MAX_DF else None

        for stratum in STRATA:
            want = sorted(stratum.split("+"))
            seen: set[tuple[str, str]] = set()
            tries = 0
            while len(seen) < per_stratum and tries < 200_000:
                tries += 1
                doc = rng.choice(docs)
                words = list(dict.fromkeys(w for w in doc if kind(w)))
                if len(words) < 2:
                    continue
                w1, w2 = rng.sample(words, 2)
                if sorted([kind(w1), kind(w2)]) != want or (w1, w2) in seen:  # type: ignore[type-var]
                    continue
                if query_tokens(f"{w1} {w2}") != [w1, w2]:
                    continue  # the query would not segment back to these two words
                seen.add((w1, w2))
                queries.append({"lang": lang, "stratum": stratum, "text": f"{w1} {w2}"})
    return queries


# -- measuring ---------------------------------------------------------------------


def percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))], 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


def time_queries(
    engine: Engine, queries: list[dict[str, Any]], order: str, repeats: int
) -> list[dict[str, Any]]:
    """Latency of each query (best of `repeats`, after a warm-up pass) and its hit count."""
    out = []
    with engine.connect() as conn:
        for q in queries:  # warm-up: the OS page cache and SQLite's cache
            search_posts(conn, SearchQuery(q["text"], order=order, limit=20))  # type: ignore[arg-type]
        for q in queries:
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                hits = search_posts(conn, SearchQuery(q["text"], order=order, limit=20))  # type: ignore[arg-type]
                times.append((time.perf_counter() - start) * 1000)
            out.append(
                q | {"ms": min(times), "median_ms": statistics.median(times), "hits": len(hits)}
            )
    return out


def summarise(runs: list[dict[str, Any]], key: str = "median_ms") -> dict[str, Any]:
    summary: dict[str, Any] = percentiles([r[key] for r in runs]) | {"queries": len(runs)}
    by: dict[str, Any] = {}
    for lang in data.LANGS:
        for stratum in (*STRATA, "single"):
            sub = [r[key] for r in runs if r["lang"] == lang and r["stratum"] == stratum]
            if sub:
                by[f"{lang} {stratum}"] = percentiles(sub)
    summary["by_stratum"] = by
    summary["empty_results"] = sum(1 for r in runs if r["hits"] == 0)
    return summary


def match_counts(engine: Engine, queries: list[dict[str, Any]]) -> dict[str, int]:
    """Median number of matching posts per stratum (SQLite FTS count)."""
    counts: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for q in queries:
            match = " ".join(f'"{w}"' for w in query_tokens(q["text"]))
            found = conn.execute(
                text("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH :m"), {"m": match}
            ).scalar_one()
            counts.setdefault(f"{q['lang']} {q['stratum']}", []).append(found)
    return {k: int(statistics.median(v)) for k, v in counts.items()}


def like_baseline(engine: Engine, queries: list[dict[str, Any]], limit_s: float) -> dict[str, Any]:
    """`LIKE '%w1%' AND LIKE '%w2%'` newest first, the same columns as search_posts returns."""
    sql = text(
        "SELECT posts.id, sources.name, posts.url, posts.title, posts.text, posts.lang,"
        " posts.author_key, posts.published_at, posts.collected_at, posts.engagement"
        " FROM posts JOIN sources ON sources.id = posts.source_id"
        " WHERE posts.text LIKE :a AND posts.text LIKE :b"
        " ORDER BY posts.sort_at DESC, posts.id DESC LIMIT 20"
    )
    runs = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for q in queries:
            w1, w2 = q["text"].split()
            deadline = time.perf_counter() + limit_s
            raw.set_progress_handler(lambda d=deadline: int(time.perf_counter() > d), 100_000)
            start = time.perf_counter()
            try:
                hits = len(conn.execute(sql, {"a": f"%{w1}%", "b": f"%{w2}%"}).all())
                timed_out = False
            except Exception:
                conn.rollback()
                hits, timed_out = 0, True
            ms = (time.perf_counter() - start) * 1000
            raw.set_progress_handler(None, 0)
            runs.append(q | {"ms": ms, "median_ms": ms, "hits": hits, "timed_out": timed_out})
    summary = summarise(runs)
    summary["timed_out"] = sum(r["timed_out"] for r in runs)
    summary["timeout_s"] = limit_s
    return summary


def spread(queries: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """k queries taken evenly across languages and strata."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for q in queries:
        groups.setdefault((q["lang"], q["stratum"]), []).append(q)
    per = max(1, k // max(1, len(groups)))
    return [q for group in groups.values() for q in group[:per]]


# -- driver ------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite store (reused)")
    parser.add_argument("--n", type=int, default=1_000_000, help="posts in the SQLite store")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the store even if cached")
    parser.add_argument("--build-only", action="store_true", help="build the store and stop")
    parser.add_argument("--per-stratum", type=int, default=25, help="queries per stratum/lang")
    parser.add_argument(
        "--single-words", type=int, default=10,
        help="also time the N most frequent single words per language, reported apart",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each query")
    parser.add_argument("--like-queries", type=int, default=40, help="0: skip the LIKE run")
    parser.add_argument("--like-timeout", type=float, default=20.0, help="seconds per LIKE query")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--pg-n", type=int, default=200_000, help="posts in the PostgreSQL store")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--seed", type=int, default=20260801)
    return parser.parse_args(argv)


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, ensure_ascii=False), flush=True)


def run_queries(
    backend: str,
    engine: Engine,
    n: int,
    every: list[dict[str, Any]],
    repeats: int,
    extra: dict[str, Any],
) -> None:
    """Time the pair queries and the single words, newest-first and by relevance."""
    pairs = [q for q in every if q["stratum"] != "single"]
    singles = [q for q in every if q["stratum"] == "single"]
    for name, queries in (("search", pairs), ("search-single-words", singles)):
        for order in ("newest", "relevance") if queries else ():
            log(f"{backend}: {len(queries)} {name} queries, {order}")
            runs = time_queries(engine, queries, order, repeats)
            line = {"bench": name, "backend": backend, "n": n, "order": order, "limit": 20}
            line |= summarise(runs)
            if name == "search":
                line |= extra
            else:
                line["words"] = {r["text"]: round(r["median_ms"], 1) for r in runs}
            emit(line)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url, info = open_store(args.db.resolve(), args.n, args.rebuild)
    emit({"bench": "search-build", "backend": "sqlite", "db": str(args.db)} | info)
    if args.build_only:
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        every = make_queries(conn, args.n, args.per_stratum, args.seed, args.single_words)
    pairs = [q for q in every if q["stratum"] != "single"]
    log(f"{len(pairs)} queries, e.g. {[q['text'] for q in pairs[::25]]}")
    if args.backend in ("sqlite", "both"):
        counts = match_counts(engine, every)
        extra = {"median_matches": counts, "target_p95_ms": 50}
        run_queries("sqlite", engine, args.n, every, args.repeats, extra)
        if args.like_queries:
            sample = spread(pairs, args.like_queries)
            log(f"sqlite: LIKE alternative on {len(sample)} queries")
            like = like_baseline(engine, sample, args.like_timeout)
            ours = summarise(time_queries(engine, sample, "newest", args.repeats))
            emit(
                {"bench": "search-like", "backend": "sqlite", "n": args.n, "order": "newest"}
                | like
                | {"search_posts": {k: ours[k] for k in ("p50_ms", "p95_ms", "p99_ms")}}
                | {"ratio_p50": round(like["p50_ms"] / max(ours["p50_ms"], 0.01), 1)}
                | {"ratio_p95": round(like["p95_ms"] / max(ours["p95_ms"], 0.01), 1)}
            )
    engine.dispose()
    if args.backend in ("postgres", "both"):
        # The same queries (drawn from the SQLite store) on the first pg_n posts.
        with scratch_database("postgres", args.postgres_url, "groundswell_bench_search") as pg:
            log(f"postgres: building {args.pg_n:,} posts")
            emit({"bench": "search-build", "backend": "postgres"} | build(pg, args.pg_n))
            pg_engine = make_engine(pg)
            with pg_engine.begin() as conn:
                conn.execute(text("ANALYZE posts"))  # autovacuum would, soon after a bulk load
            run_queries("postgres", pg_engine, args.pg_n, every, args.repeats, {})
            pg_engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
