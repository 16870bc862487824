"""Read-side queries for the UI's dashboard, feed, search and event pages.

Every query here is bounded by a time window on an indexed time column
(`posts.sort_at`, `post_matches.sort_at`, `events.last_seen`), so its cost
follows the window, not the size of a year of data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, func, select

from groundswell.analyze.query import Document, Query, SchemeMatch
from groundswell.store.tables import (
    events,
    post_counts,
    post_matches,
    posts,
    schemes,
    sources,
    stories,
)

__all__ = [
    "FeedFilter",
    "bucket_times",
    "event_timeline",
    "feed_items",
    "scan_posts",
    "sentiment_share",
    "since_counts",
    "source_breakdown",
    "volume",
]

Unit = Literal["hour", "day"]
SENTIMENTS = ("negative", "neutral", "positive")
MAX_SINCE = timedelta(days=31)
# Relevance marks, once post_matches has the column (see docs/ui.md).
_RELEVANCE = [post_matches.c.relevant] if "relevant" in post_matches.c else []


def _bucket(conn: Connection, column: Any, unit: Unit) -> ColumnElement[str]:
    """The start of `column`'s hour or day, as ISO-like text, in UTC on both backends."""
    if conn.dialect.name == "postgresql":
        fmt = 'YYYY-MM-DD"T"HH24:00' if unit == "hour" else "YYYY-MM-DD"
        return func.to_char(func.timezone("UTC", column), fmt)
    return func.strftime("%Y-%m-%dT%H:00" if unit == "hour" else "%Y-%m-%d", column)


def bucket_times(since: datetime, until: datetime, unit: Unit) -> list[str]:
    """Every bucket label from `since` to `until`, so quiet hours show as zero."""
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    start = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        start = start.replace(hour=0)
    labels: list[str] = []
    while start <= until and len(labels) < 2000:
        labels.append(start.strftime("%Y-%m-%dT%H:00" if unit == "hour" else "%Y-%m-%d"))
        start += step
    return labels


def _hours(since: datetime, until: datetime, unit: Unit) -> tuple[Any, Any]:
    """Whole UTC hours from the start of the first chart bucket: the first bar is complete."""
    start = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        start = start.replace(hour=0)
    return post_counts.c.hour >= start, post_counts.c.hour <= until


def volume(conn: Connection, since: datetime, until: datetime, unit: Unit) -> list[tuple[str, int]]:
    """Posts per hour or day in [since, until], with zero buckets filled in.

    Read from the hourly `post_counts` (kept by triggers), not by scanning posts: a
    30-day window at a million posts is a few hundred rows instead of 80,000.
    """
    bucket = _bucket(conn, post_counts.c.hour, unit).label("bucket")
    rows = conn.execute(
        select(bucket, func.sum(post_counts.c.posts))
        .where(*_hours(since, until, unit))
        .group_by(bucket)
    )
    counts = {row[0]: int(row[1] or 0) for row in rows}
    return [(label, counts.get(label, 0)) for label in bucket_times(since, until, unit)]


def sentiment_share(
    conn: Connection, since: datetime, until: datetime, unit: Unit = "hour"
) -> dict[str, int]:
    """Posts per sentiment label in the window ('unknown' for posts not analysed)."""
    rows = conn.execute(
        select(post_counts.c.sentiment, func.sum(post_counts.c.posts))
        .where(*_hours(since, until, unit))
        .group_by(post_counts.c.sentiment)
    )
    share = dict.fromkeys(SENTIMENTS, 0)
    for label, count in rows:
        key = label or "unknown"
        share[key] = share.get(key, 0) + int(count or 0)
    return share


def source_breakdown(
    conn: Connection, since: datetime, until: datetime, unit: Unit = "hour"
) -> list[tuple[str, int]]:
    """Posts per source in the window, busiest first."""
    count = func.sum(post_counts.c.posts).label("posts")
    rows = conn.execute(
        select(sources.c.name, count)
        .join(sources, sources.c.id == post_counts.c.source_id)
        .where(*_hours(since, until, unit))
        .group_by(sources.c.name)
        .having(count > 0)
        .order_by(count.desc(), sources.c.name)
        .limit(50)
    )
    return [(row[0], int(row[1])) for row in rows]


def since_counts(
    conn: Connection, since: datetime, scheme_ids: Sequence[int] | None = None
) -> dict[str, int]:
    """What arrived after `since` (at most a month back): posts, matches, new events."""
    since = max(since, datetime.now(UTC) - MAX_SINCE)
    matches = select(func.count()).where(post_matches.c.sort_at >= since)
    if scheme_ids is not None:
        matches = matches.where(post_matches.c.scheme_id.in_(scheme_ids))
    return {
        "posts": conn.execute(select(func.count()).where(posts.c.sort_at >= since)).scalar_one(),
        "matches": conn.execute(matches).scalar_one(),
        "events": conn.execute(
            select(func.count()).where(events.c.last_seen >= since, events.c.first_seen >= since)
        ).scalar_one(),
    }


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """What the feed shows: matches of these schemes (None: all) in the last `days`."""

    scheme_ids: Sequence[int] | None = None
    sentiment: str | None = None
    source: str | None = None
    days: float = 7.0


def feed_items(
    conn: Connection,
    feed: FeedFilter,
    *,
    after_post_id: int | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Matched posts newest first, one row per (post, scheme), with repost counts."""
    since = (now or datetime.now(UTC)) - timedelta(days=feed.days)
    query = (
        select(
            posts.c.id,
            posts.c.title,
            posts.c.text,
            posts.c.url,
            posts.c.lang,
            posts.c.sort_at,
            posts.c.sentiment,
            posts.c.sentiment_confidence,
            posts.c.is_repost,
            posts.c.event_id,
            posts.c.engagement,
            sources.c.name.label("source"),
            schemes.c.id.label("scheme_id"),
            schemes.c.name.label("scheme"),
            post_matches.c.terms,
            func.coalesce(stories.c.posts - 1, 0).label("reposts"),
            *_RELEVANCE,
        )
        .select_from(
            post_matches.join(posts, posts.c.id == post_matches.c.post_id)
            .join(schemes, schemes.c.id == post_matches.c.scheme_id)
            .join(sources, sources.c.id == posts.c.source_id)
            .outerjoin(stories, stories.c.story_key == posts.c.story_key)
        )
        .where(post_matches.c.sort_at >= since)
        .order_by(post_matches.c.sort_at.desc(), posts.c.id.desc(), schemes.c.id)
        .limit(limit)
    )
    if feed.scheme_ids is not None:
        query = query.where(post_matches.c.scheme_id.in_(list(feed.scheme_ids)))
    if feed.sentiment:
        query = query.where(posts.c.sentiment == feed.sentiment)
    if feed.source:
        query = query.where(sources.c.name == feed.source)
    if after_post_id is not None:
        query = query.where(post_matches.c.post_id > after_post_id)
    return [dict(row._mapping) for row in conn.execute(query)]


def event_timeline(
    conn: Connection,
    event_id: str,
    unit: Unit,
    span: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    """An event's posts per hour or day, split by sentiment, for its charts.

    With `span` (first and last seen) quiet buckets in between show as zero.
    """
    bucket = _bucket(conn, posts.c.sort_at, unit).label("bucket")
    rows = conn.execute(
        select(bucket, posts.c.sentiment, func.count())
        .where(posts.c.event_id == event_id)
        .group_by(bucket, posts.c.sentiment)
        .order_by(bucket)
    ).all()
    labels = sorted({row[0] for row in rows} | set(bucket_times(*span, unit) if span else ()))
    series: dict[str, list[int]] = {label: [0] * len(labels) for label in (*SENTIMENTS, "unknown")}
    index = {label: i for i, label in enumerate(labels)}
    for bucket_label, sentiment, count in rows:
        series[sentiment if sentiment in series else "unknown"][index[bucket_label]] += count
    return {"labels": labels, "series": series}


def scan_posts(
    conn: Connection,
    query: Query,
    *,
    since: datetime,
    source: str | None = None,
    lang: str | None = None,
    sentiment: str | None = None,
    max_scan: int = 200_000,
) -> Iterator[tuple[dict[str, Any], SchemeMatch]]:
    """Posts of the window matching `query`, newest first, with the terms that hit.

    Reads at most `max_scan` posts (newest first), so a search over a busy year
    stays bounded; the caller stops iterating once it has a page.
    """
    stmt = (
        select(
            posts.c.id,
            posts.c.title,
            posts.c.text,
            posts.c.url,
            posts.c.lang,
            posts.c.sort_at,
            posts.c.sentiment,
            posts.c.event_id,
            posts.c.author_key,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == posts.c.source_id)
        .where(posts.c.sort_at >= since)
        .order_by(posts.c.sort_at.desc(), posts.c.id.desc())
        .limit(max_scan)
    )
    if source:
        stmt = stmt.where(sources.c.name == source)
    if lang:
        stmt = stmt.where(posts.c.lang == lang)
    if sentiment:
        stmt = stmt.where(posts.c.sentiment == sentiment)
    rows = conn.execution_options(stream_results=True, yield_per=2000).execute(stmt)
    try:
        for row in rows:
            doc = Document(title=row.title, text=row.text, source=row.source, lang=row.lang)
            found = query.matches(doc)
            if found is not None:
                yield dict(row._mapping), found
    finally:
        rows.close()
