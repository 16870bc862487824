"""Read-side queries of the dashboard and feed, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from groundswell.context import Desk
from groundswell.store.dashboard import (
    FeedFilter,
    bucket_times,
    event_timeline,
    feed_items,
    sentiment_share,
    since_counts,
    source_breakdown,
    volume,
)
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from groundswell.store.tables import post_matches, posts

NOW = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)


def _post(source_id: int, n: int, at: datetime, sentiment: str | None, event: str | None) -> dict:
    return {
        "source_id": source_id,
        "dedup_key": f"k{n}",
        "title": "",
        "text": f"post {n}",
        "lang": "en",
        "tokens": "post",
        "collected_at": at,
        "sort_at": at,
        "engagement": {},
        "raw": {},
        "content_hash": f"h{n}",
        "sentiment": sentiment,
        "event_id": event,
    }


def _fill(desk: Desk) -> tuple[int, int]:
    with desk.engine.begin() as conn:
        a = add_source(conn, "a", "push", {"token": "t" * 20}).id
        b = add_source(conn, "b", "push", {"token": "u" * 20}).id
        scheme = add_scheme(conn, "s", subject_words=["post"]).id
        rows = [
            _post(a, 1, NOW - timedelta(hours=2), "negative", "e1"),
            _post(a, 2, NOW - timedelta(hours=2), "positive", "e1"),
            _post(b, 3, NOW - timedelta(hours=1), None, "e1"),
            _post(b, 4, NOW - timedelta(days=3), "neutral", None),  # outside 48 h
        ]
        conn.execute(insert(posts), rows)
        conn.execute(
            insert(post_matches),
            [
                {
                    "post_id": i,
                    "scheme_id": scheme,
                    "terms": ["post"],
                    "sort_at": rows[i - 1]["sort_at"],
                }
                for i in (1, 2, 3, 4)
            ],
        )
    return a, scheme


def test_volume_share_and_sources(desk: Desk) -> None:
    _fill(desk)
    since, until = NOW - timedelta(hours=48), NOW
    with desk.engine.connect() as conn:
        series = dict(volume(conn, since, until, "hour"))
        daily = dict(volume(conn, NOW - timedelta(days=5), until, "day"))
        share = sentiment_share(conn, since, until)
        by_source = source_breakdown(conn, since, until)
    hour = (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:00")
    assert series[hour] == 2 and sum(series.values()) == 3
    assert len(series) == len(bucket_times(since, until, "hour"))
    assert sum(daily.values()) == 4
    assert daily[(NOW - timedelta(days=3)).strftime("%Y-%m-%d")] == 1
    assert share == {"negative": 1, "neutral": 0, "positive": 1, "unknown": 1}
    assert sorted(by_source) == [("a", 2), ("b", 1)]


def test_feed_items_filters_and_cursor(desk: Desk) -> None:
    _a, scheme = _fill(desk)
    with desk.engine.connect() as conn:
        newest_first = feed_items(conn, FeedFilter(days=7), now=NOW)
        assert [row["id"] for row in newest_first] == [3, 2, 1, 4]
        assert newest_first[0]["reposts"] == 0 and newest_first[0]["scheme"] == "s"
        assert [r["id"] for r in feed_items(conn, FeedFilter(days=1), now=NOW)] == [3, 2, 1]
        assert [r["id"] for r in feed_items(conn, FeedFilter(sentiment="positive"), now=NOW)] == [2]
        assert [r["id"] for r in feed_items(conn, FeedFilter(source="b"), now=NOW)] == [3, 4]
        assert feed_items(conn, FeedFilter(scheme_ids=[]), now=NOW) == []
        assert [
            r["id"]
            for r in feed_items(conn, FeedFilter(scheme_ids=[scheme]), after_post_id=2, now=NOW)
        ] == [3, 4]
        counts = since_counts(conn, NOW - timedelta(hours=3))
        assert counts["posts"] == 3 and counts["matches"] == 3
        assert since_counts(conn, NOW - timedelta(hours=3), scheme_ids=[])["matches"] == 0


def test_event_timeline_splits_by_sentiment(desk: Desk) -> None:
    _fill(desk)
    with desk.engine.connect() as conn:
        timeline = event_timeline(conn, "e1", "hour")
    assert len(timeline["labels"]) == 2
    assert timeline["series"]["negative"] == [1, 0]
    assert timeline["series"]["unknown"] == [0, 1]
