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
