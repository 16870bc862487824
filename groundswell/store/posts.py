"""Writing posts and quarantined items: idempotent, batch at a time."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from groundswell.models import MAX_KEY_CHARS, Post, Rejected, bounded_key
from groundswell.store.bulk import insert_many_sqlite, is_pysqlite
from groundswell.store.database import dumps_json
from groundswell.store.tables import posts, quarantine

__all__ = [
    "MAX_KEY_CHARS",
    "StoreResult",
    "bounded_key",
    "dialect_insert",
    "known_dedup_keys",
    "store_posts",
    "store_rejected",
]


@dataclass(slots=True)
class StoreResult:
    """What one batch did to the store."""

    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def __iadd__(self, other: StoreResult) -> StoreResult:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        return self


# NUL and lone surrogates: PostgreSQL's jsonb refuses them (and with them the whole
# batch), SQLite's UTF-8 cannot encode surrogates. Raw payloads keep everything else.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """A JSON payload with the characters no backend can store replaced by U+FFFD."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def dialect_insert(conn: Connection) -> Any:
    """The backend's INSERT, which has ON CONFLICT (both dialects spell it the same)."""
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def post_row(post: Post) -> dict[str, object]:
    if post.source_id is None:
        raise ValueError("a post must belong to a source before it is stored")
    return {
        "source_id": post.source_id,
        "dedup_key": bounded_key(post.dedup_key),
        "external_id": post.external_id[:1000] if post.external_id else None,
        "url": post.url,
        "canonical_url": post.canonical_url,
        "title": post.title,
        "text": post.text,
        "lang": post.lang,
        "tokens": post.tokens,
        "author_key": post.author_key,
        "published_at": post.published_at,
        "collected_at": post.collected_at,
        "sort_at": post.published_at or post.collected_at,
        "engagement": post.engagement,
        "raw": storable(post.raw),
        "content_hash": post.content_hash,
        "sentiment": post.sentiment,
        "sentiment_confidence": post.sentiment_confidence,
        "story_key": post.story_key,
        "is_repost": post.is_repost,
        "fingerprint": post.fingerprint,
        "event_id": post.event_id,
    }


def store_posts(conn: Connection, batch: list[Post]) -> StoreResult:
    """Insert new posts; a post already stored (same source and dedup key) is counted, not added."""
    rows: dict[tuple[object, object], dict[str, object]] = {}
    for post in batch:
        row = post_row(post)
        rows.setdefault((row["source_id"], row["dedup_key"]), row)
    result = StoreResult(duplicates=len(batch) - len(rows))
    if not rows:
        return result
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        inserted = _insert_postgres(conn, list(rows.values()))
    elif is_pysqlite(conn):
        conflict = "ON CONFLICT (source_id, dedup_key) DO NOTHING"
        inserted = insert_many_sqlite(conn, posts, _COLUMNS, list(rows.values()), conflict)
    else:
        inserted = _insert_core(conn, list(rows.values()))
    result.stored = inserted
    result.duplicates += len(rows) - inserted
    return result


def _insert_core(conn: Connection, rows: list[dict[str, object]]) -> int:
    """SQLAlchemy Core's multi-row insert: any other backend, and the reference in tests."""
    stmt = (
        dialect_insert(conn)(posts)
        .on_conflict_do_nothing(index_elements=["source_id", "dedup_key"])
        .returning(posts.c.id)
    )
    return len(conn.execute(stmt, rows).all())


# PostgreSQL through psycopg: one INSERT ... SELECT FROM unnest(<an array per column>)
# per batch, the arrays sent in binary (`%(name)b`). SQLAlchemy's multi-row VALUES
# form sends a statement with 16 placeholders per row that psycopg re-parses on every
# batch (too long for its cache): that parsing was two thirds of the store time.
# SQLite gets Core's multi-row VALUES statement, built without Core's per-row work
# (`store/bulk.py`); a raw executemany measured slower (see docs/performance.md).
# The columns `post_row` fills, in its order, with their PostgreSQL types; both
# backends insert these.
_COLUMNS = {
    "source_id": "bigint",
    "dedup_key": "text",
    "external_id": "text",
    "url": "text",
    "canonical_url": "text",
    "title": "text",
    "text": "text",
    "lang": "text",
    "tokens": "text",
    "author_key": "text",
    "published_at": "timestamptz",
    "collected_at": "timestamptz",
    "sort_at": "timestamptz",
    "engagement": "jsonb",
    "raw": "jsonb",
    "content_hash": "text",
    "sentiment": "text",
    "sentiment_confidence": "float8",
    "story_key": "text",
    "is_repost": "boolean",
    "fingerprint": "bytea",
    "event_id": "text",
}
_PG_TIMES = ("published_at", "collected_at", "sort_at")
_PG_INSERT = (
    f"INSERT INTO posts ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)}"
    f" FROM unnest({', '.join(f'%({c})b::{t}[]' for c, t in _COLUMNS.items())})"
    f" AS batch({', '.join(_COLUMNS)})"
    " ON CONFLICT (source_id, dedup_key) DO NOTHING"
)


def _insert_postgres(conn: Connection, rows: list[dict[str, object]]) -> int:
    """Insert rows not stored yet; returns how many were inserted."""
    from psycopg.types.json import Jsonb

    columns: dict[str, list[object]] = {name: [row[name] for row in rows] for name in _COLUMNS}
    for name in _PG_TIMES:
        for value in columns[name]:
            if value is not None and value.tzinfo is None:  # type: ignore[attr-defined]
                raise ValueError(f"naive datetime {value!r}: Groundswell stores aware UTC times")
    columns["engagement"] = [Jsonb(v, dumps=dumps_json) for v in columns["engagement"]]
    columns["raw"] = [Jsonb(v, dumps=dumps_json) for v in columns["raw"]]
    return conn.exec_driver_sql(_PG_INSERT, columns).rowcount  # type: ignore[arg-type]


def known_dedup_keys(conn: Connection, source_id: int, dedup_keys: Iterable[str]) -> set[str]:
    """Which of these keys belong to posts stored already (their analysis must not run twice).

    Returns the keys as given: the store keeps long keys cut and hashed (`bounded_key`).
    """
    given: dict[str, list[str]] = {}
    for key in dedup_keys:
        given.setdefault(bounded_key(key), []).append(key)
    stored = list(given)
    found: set[str] = set()
    for start in range(0, len(stored), 500):
        chunk = stored[start : start + 500]
        query = select(posts.c.dedup_key).where(
            and_(posts.c.source_id == source_id, posts.c.dedup_key.in_(chunk))
        )
        for key in conn.execute(query).scalars():
            found.update(given[key])
    return found


def store_rejected(conn: Connection, rejected: list[Rejected], now: datetime | None = None) -> int:
    """Keep bad items with their reason; they are shown to users, never silently dropped."""
    if not rejected:
        return 0
    now = now or datetime.now(UTC)
    conn.execute(
        quarantine.insert(),
        [
            {
                "source_id": r.source_id,
                "reason": storable(r.reason[:2000]),
                "raw": storable(r.raw),
                "created_at": now,
            }
            for r in rejected
        ],
    )
    return len(rejected)


def count_posts(conn: Connection, source_id: int | None = None) -> int:
    query = select(func.count()).select_from(posts)
    if source_id is not None:
        query = query.where(posts.c.source_id == source_id)
    return int(conn.execute(query).scalar_one())


def list_quarantine(conn: Connection, limit: int = 50) -> list[dict[str, object]]:
    query = select(quarantine).order_by(quarantine.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]
