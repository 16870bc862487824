"""Storing posts: idempotent upsert and quarantine, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from groundswell.context import Desk
from groundswell.models import Post, Rejected
from groundswell.store.posts import (
    bounded_key,
    count_posts,
    known_dedup_keys,
    list_quarantine,
    store_posts,
    store_rejected,
)
from groundswell.store.sources import add_source

T0 = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)


def make_post(source_id: int, key: str, text: str = "hello world", **extra: object) -> Post:
    from groundswell.analyze.tokenize import index_tokens

    fields: dict[str, object] = {
        "source_id": source_id,
        "dedup_key": key,
        "external_id": key,
        "url": None,
        "canonical_url": None,
        "title": "",
        "text": text,
        "lang": "en",
        "tokens": index_tokens(text, "en"),
        "author_key": None,
        "published_at": T0,
        "collected_at": T0 + timedelta(minutes=5),
        "engagement": {"reposts": 3},
        "raw": {"id": key, "text": text},
        "content_hash": hashlib.sha1(key.encode()).hexdigest(),
    }
    fields.update(extra)
    return Post(**fields)  # type: ignore[arg-type]


def test_same_post_twice_is_stored_once(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source = add_source(conn, "s", "rss", {"url": "https://example.org/feed"})
        first = store_posts(conn, [make_post(source.id, "id:1"), make_post(source.id, "id:2")])
        again = store_posts(conn, [make_post(source.id, "id:1"), make_post(source.id, "id:1")])
        assert (first.stored, first.duplicates) == (2, 0)
        assert (again.stored, again.duplicates) == (0, 2)
        assert count_posts(conn) == 2


def test_same_key_in_two_sources_is_two_posts(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        a = add_source(conn, "a", "rss", {"url": "https://a.example/feed"})
        b = add_source(conn, "b", "rss", {"url": "https://b.example/feed"})
        store_posts(conn, [make_post(a.id, "url:https://x.example/1")])
        result = store_posts(conn, [make_post(b.id, "url:https://x.example/1")])
        assert result.stored == 1
        assert count_posts(conn, a.id) == count_posts(conn, b.id) == 1


def test_raw_payload_and_times_round_trip(desk: Desk) -> None:
    from sqlalchemy import select

    from groundswell.store.tables import posts

    with desk.engine.begin() as conn:
        source = add_source(conn, "s", "rss", {"url": "https://example.org/feed"})
        store_posts(conn, [make_post(source.id, "id:9", text="中文 and <b>markup</b>")])
        row = conn.execute(select(posts)).one()._mapping
    assert row["raw"] == {"id": "id:9", "text": "中文 and <b>markup</b>"}
    assert row["published_at"] == T0 and row["published_at"].tzinfo is not None
    assert row["engagement"] == {"reposts": 3}


def test_very_long_keys_stay_unique(desk: Desk) -> None:
    long_a = "url:https://example.org/" + "a" * 3000
    long_b = "url:https://example.org/" + "a" * 2999 + "b"
    assert bounded_key(long_a) != bounded_key(long_b)
    assert len(bounded_key(long_a)) <= 500
    with desk.engine.begin() as conn:
        source = add_source(conn, "s", "rss", {"url": "https://example.org/feed"})
        result = store_posts(conn, [make_post(source.id, long_a), make_post(source.id, long_b)])
        assert result.stored == 2
        # Asked with the keys as posts carry them, the store answers with the same keys.
        long_c = long_a + "c"
        assert known_dedup_keys(conn, source.id, [long_a, long_b, long_c, "id:x"]) == {
            long_a,
            long_b,
        }


def test_rejected_items_are_kept_with_their_reason(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source = add_source(conn, "s", "rss", {"url": "https://example.org/feed"})
        n = store_rejected(conn, [Rejected("empty: no title or text", {"x": 1}, source.id)])
        rows = list_quarantine(conn)
    assert n == 1
    assert rows[0]["reason"] == "empty: no title or text" and rows[0]["raw"] == {"x": 1}


def _varied_posts(source_id: int) -> list[Post]:
    """Every column set, unset or awkward: zones, NULLs, surrogates, blobs, long keys."""
    from datetime import timezone

    posts = []
    for i in range(23):
        text = ["hello world", "你好 世界 <b>&amp;</b>", "ok \ufffd replaced", "", "x" * 5000][
            i % 5
        ]
        posts.append(
            make_post(
                source_id,
                f"id:{i}" if i % 7 else "url:" + "u" * 3000 + str(i),
                text,
                published_at=None if i % 4 == 0 else T0.astimezone(timezone(timedelta(hours=i))),
                engagement={} if i % 3 else {"likes": i, "reposts": 2**40},
                raw={"nested": [i, None, {"k": "\x00v"}], "text": text} if i % 2 else {},
                sentiment=None if i % 5 == 0 else "negative",
                sentiment_confidence=None if i % 5 == 0 else i / 7,
                story_key=None if i % 2 else f"{source_id}:id:0",
                is_repost=[None, True, False][i % 3],
                fingerprint=None if i % 6 == 0 else bytes(range(i, i + 24)),
                event_id=None if i % 3 == 0 else f"ev-{i % 4}",
                title="" if i % 2 else f"Title {i}",
                url=None if i % 2 else f"https://example.org/{i}?q=<x>",
            )
        )
    return posts + posts[:5]  # repeats within the batch


def _dump(conn: object) -> list[tuple[object, ...]]:
    columns = (
        "source_id, dedup_key, external_id, url, canonical_url, title, text, lang, tokens,"
        " author_key, published_at, collected_at, sort_at, engagement, raw, content_hash,"
        " sentiment, sentiment_confidence, story_key, is_repost, fingerprint, event_id"
    )
    rows = conn.exec_driver_sql(f"SELECT {columns} FROM posts ORDER BY id").all()  # type: ignore[attr-defined]
    found = conn.exec_driver_sql(  # type: ignore[attr-defined]
        "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'hello' ORDER BY rowid"
    ).all()
    return [tuple(row) for row in rows] + [("fts", *map(tuple, found))]


def test_sqlite_fast_insert_stores_what_sqlalchemy_core_stores(
    sqlite_url: str, tmp_path: object, monkeypatch: object
) -> None:
    """The hand-built multi-row INSERT on SQLite against Core's, column for column.

    Run in statements of 7 rows, so a batch spans several, and twice, so the
    second run is all duplicates.
    """
    import groundswell.store.bulk as bulk
    import groundswell.store.posts as store
    from tests.conftest import make_desk

    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 7)  # type: ignore[attr-defined]
    dumps, counts = [], []

    def fast(conn: object, rows: list[dict[str, object]]) -> int:
        conflict = "ON CONFLICT (source_id, dedup_key) DO NOTHING"
        return bulk.insert_many_sqlite(conn, store.posts, store._COLUMNS, rows, conflict)  # type: ignore[arg-type]

    for insert in (store._insert_core, fast):
        desk = make_desk(f"sqlite:///{tmp_path}/{insert.__name__}.db")
        try:
            with desk.engine.begin() as conn:
                source_id = add_source(conn, "s", "file", {"path": "x"}).id
            batch = _varied_posts(source_id)
            rows = list({store.post_row(p)["dedup_key"]: store.post_row(p) for p in batch}.values())
            with desk.engine.begin() as conn:
                counts.append((insert(conn, rows), insert(conn, rows[:9])))
            with desk.engine.connect() as conn:
                dumps.append(_dump(conn))
        finally:
            desk.close()
    assert counts[0] == counts[1] == (23, 0)
    assert dumps[0] == dumps[1]
    assert len(dumps[0]) == 24


def test_store_posts_takes_the_fast_insert_on_sqlite(desk: Desk) -> None:
    """And its counts stay exact across statements and repeats, on both backends."""
    with desk.engine.begin() as conn:
        source_id = add_source(conn, "s", "file", {"path": "x"}).id
    batch = _varied_posts(source_id)
    with desk.engine.begin() as conn:
        first = store_posts(conn, batch)
        again = store_posts(conn, batch[:10])
    assert (first.stored, first.duplicates) == (23, 5)
    assert (again.stored, again.duplicates) == (0, 10)
    with desk.engine.connect() as conn:
        assert count_posts(conn, source_id) == 23
