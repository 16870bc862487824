"""Storing what the analysis stages found: scheme matches, stories, events and their heat.

Everything here runs in the transaction that stores the batch's posts, so a post
is never stored without its analysis, nor an event counted for a post that was
rolled back. Counts are recomputed or summed from the posts of this batch only,
and the pipeline sends each post through the stateful stages once (posts already
stored are filtered out first), so nothing is counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select, tuple_, update

from groundswell.analyze.events import EventSummary
from groundswell.analyze.heat import HeatInputs, heat
from groundswell.errors import ConfigError
from groundswell.models import Post, bounded_key
from groundswell.store.bulk import insert_many_sqlite, is_pysqlite
from groundswell.store.posts import dialect_insert
from groundswell.store.tables import (
    analysis_state,
    events,
    post_matches,
    posts,
    sentiment_corrections,
    stories,
)

__all__ = [
    "SENTIMENT_LABELS",
    "add_correction",
    "list_corrections",
    "load_state",
    "save_state",
    "store_analysis",
    "story_rows",
]

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def _post_ids(conn: Connection, batch: Sequence[Post]) -> dict[tuple[int, str], int]:
    pairs = list({(p.source_id, bounded_key(p.dedup_key)) for p in batch})
    ids: dict[tuple[int, str], int] = {}
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        query = select(posts.c.id, posts.c.source_id, posts.c.dedup_key).where(
            tuple_(posts.c.source_id, posts.c.dedup_key).in_(chunk)
        )
        ids.update({(r.source_id, r.dedup_key): r.id for r in conn.execute(query)})
    return ids


@dataclass(slots=True)
class EventUpdate:
    """What one batch adds to an event, beside the clusterer's summary of it."""

    summary: EventSummary
    reposts: int = 0
    engagement: Counter[str] | None = None


def store_analysis(
    conn: Connection,
    batch: Sequence[Post],
    summaries: dict[str, EventSummary],
    tiers: dict[int, int],
    now: datetime | None = None,
    merges: Sequence[tuple[str, str]] = (),
) -> None:
    """Matches, stories and events for posts this batch has just stored.

    `merges` are (merged-away, surviving) event ids the clusterer reported: the
    stored posts and totals of the merged-away event move to the survivor.
    `summaries` holds every event to write: those with new posts and survivors.
    """
    now = now or datetime.now(UTC)
    carried = _merge_events(conn, merges)
    if batch:
        ids = _post_ids(conn, batch)
        _store_matches(conn, batch, ids)
        _update_stories(conn, batch, ids)
    _update_events(conn, batch, summaries, tiers, now, carried)


def _merge_events(
    conn: Connection, merges: Sequence[tuple[str, str]]
) -> dict[str, tuple[int, Counter[str]]]:
    """Move merged-away events' posts to the survivors; return the totals they carried."""
    final: dict[str, str] = {}
    for old, new in merges:
        if old != new:
            final[old] = new
    for old in list(final):  # follow chains: a survivor may itself be merged later
        seen = 0
        while final[old] in final and seen < len(final):
            final[old] = final[final[old]]
            seen += 1
    groups: dict[str, list[str]] = {}
    for old, new in final.items():
        if old != new:
            groups.setdefault(new, []).append(old)
    carried: dict[str, tuple[int, Counter[str]]] = {}
    if not groups:
        return carried
    for new, olds in groups.items():
        conn.execute(update(posts).where(posts.c.event_id.in_(olds)).values(event_id=new))
    gone = list(final)
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        query = select(events.c.id, events.c.reposts, events.c.engagement).where(
            events.c.id.in_(chunk)
        )
        for row in conn.execute(query):
            reposts, engagement = carried.get(final[row.id], (0, Counter()))
            carried[final[row.id]] = (reposts + row.reposts, engagement + Counter(row.engagement))
        conn.execute(events.delete().where(events.c.id.in_(chunk)))
    return carried


_MATCH_COLUMNS = ("post_id", "scheme_id", "terms", "sort_at")


def _store_matches(
    conn: Connection, batch: Sequence[Post], ids: dict[tuple[int, str], int]
) -> None:
    rows = []
    for post in batch:
        post_id = ids.get((post.source_id or 0, bounded_key(post.dedup_key)))
        if post_id is None:
            continue
        rows.extend(
            {
                "post_id": post_id,
                "scheme_id": hit.scheme_id,
                "terms": list(hit.terms),
                "sort_at": post.time,
            }
            for hit in post.matches
        )
    if rows and is_pysqlite(conn):
        insert_many_sqlite(conn, post_matches, _MATCH_COLUMNS, rows, "ON CONFLICT DO NOTHING")
    elif rows:
        stmt = dialect_insert(conn)(post_matches).on_conflict_do_nothing()
        conn.execute(stmt, rows)


def _update_stories(
    conn: Connection, batch: Sequence[Post], ids: dict[tuple[int, str], int]
) -> None:
    """Add this batch's posts to their stories in one statement.

    Counts are incremented, not recounted: the pipeline sends each post here once.
    The original is the earliest post; a late-arriving earlier copy takes its place.
    """
    groups: dict[str, dict[str, Any]] = {}
    for post in sorted(batch, key=lambda p: p.time):
        if post.story_key is None:
            continue
        post_id = ids.get((post.source_id or 0, bounded_key(post.dedup_key)))
        group = groups.get(post.story_key)
        if group is None:
            groups[post.story_key] = {
                "story_key": post.story_key,
                "original_post_id": post_id,
                "posts": 1,
                "first_seen": post.time,
                "last_seen": post.time,
            }
        else:
            group["posts"] += 1
            group["last_seen"] = post.time
    if not groups:
        return
    stmt = dialect_insert(conn)(stories)
    new = stmt.excluded
    earlier = new.first_seen < stories.c.first_seen
    stmt = stmt.on_conflict_do_update(
        index_elements=["story_key"],
        set_={
            "posts": stories.c.posts + new.posts,
            "original_post_id": case(
                (earlier, new.original_post_id), else_=stories.c.original_post_id
            ),
            "first_seen": case((earlier, new.first_seen), else_=stories.c.first_seen),
            "last_seen": case(
                (new.last_seen > stories.c.last_seen, new.last_seen), else_=stories.c.last_seen
            ),
        },
    )
    conn.execute(stmt, list(groups.values()))


def _update_events(
    conn: Connection,
    batch: Sequence[Post],
    summaries: dict[str, EventSummary],
    tiers: dict[int, int],
    now: datetime,
    carried: dict[str, tuple[int, Counter[str]]],
) -> None:
    if not summaries:
        return
    added_reposts: Counter[str] = Counter()
    added_engagement: dict[str, Counter[str]] = {}
    for post in batch:
        if post.event_id is None:
            continue
        added_reposts[post.event_id] += bool(post.is_repost)
        totals = added_engagement.setdefault(post.event_id, Counter())
        for name, value in post.engagement.items():
            if isinstance(value, int | float):
                totals[name] += int(value)
    ids = list(summaries)
    stored: dict[str, Any] = {}
    for start in range(0, len(ids), 500):
        query = select(events.c.id, events.c.reposts, events.c.engagement).where(
            events.c.id.in_(ids[start : start + 500])
        )
        stored.update({row.id: row for row in conn.execute(query)})
    rows = []
    for event_id, summary in summaries.items():
        row = stored.get(event_id)
        carried_reposts, carried_engagement = carried.get(event_id, (0, Counter()))
        reposts = (row.reposts if row else 0) + added_reposts[event_id] + carried_reposts
        engagement = (
            Counter(row.engagement if row else {})
            + added_engagement.get(event_id, Counter())
            + carried_engagement
        )
        score = heat(_heat_inputs(summary, reposts, engagement, tiers))
        rows.append(
            {
                "id": event_id,
                "title": summary.title,
                "key_terms": list(summary.key_terms),
                "first_seen": summary.first_seen,
                "last_seen": summary.last_seen,
                "size": summary.size,
                "sentiment_mix": dict(summary.sentiment_mix),
                "sources": dict(summary.sources),
                "reposts": reposts,
                "engagement": dict(engagement),
                "posts_per_hour": float(summary.posts_per_hour),
                "heat": float(score.score),
                "heat_components": dict(score.components),
                "updated_at": now,
            }
        )
    stmt = dialect_insert(conn)(events)
    columns = [c for c in rows[0] if c != "id"]
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"], set_={c: getattr(stmt.excluded, c) for c in columns}
    )
    conn.execute(stmt, rows)


def _heat_inputs(
    summary: EventSummary, reposts: int, engagement: Counter[str], tiers: dict[int, int]
) -> HeatInputs:
    source_tiers = []
    for source in summary.sources:
        try:
            source_tiers.append(tiers.get(int(source), 4))
        except ValueError:
            source_tiers.append(4)
    size = max(summary.size, 1)
    hours = max((summary.last_seen - summary.first_seen).total_seconds() / 3600, 1.0)
    return HeatInputs(
        posts=summary.size,
        reposts=reposts,
        engagement=dict(engagement),
        authority_tiers=source_tiers,
        posts_per_hour=float(summary.posts_per_hour),
        baseline_per_hour=summary.size / hours,
        negative_share=summary.sentiment_mix.get("negative", 0) / size,
    )


def story_rows(conn: Connection, window: timedelta) -> list[Any]:
    """Stored posts recent enough to merge with, in the order they were assigned.

    "Recent" is relative to the newest stored post, as the index's own eviction
    is relative to the newest post it saw (replays of old data work the same).
    """
    newest = conn.execute(select(func.max(posts.c.sort_at))).scalar()
    if newest is None:
        return []
    query = (
        select(
            posts.c.source_id,
            posts.c.dedup_key,
            posts.c.fingerprint,
            posts.c.sort_at,
            posts.c.story_key,
        )
        .where(and_(posts.c.sort_at >= newest - window, posts.c.fingerprint.is_not(None)))
        .order_by(posts.c.id)  # assignment order: the index comes back the same
    )
    return list(conn.execute(query))


def save_state(
    conn: Connection, name: str, state: dict[str, Any], now: datetime | None = None
) -> None:
    values = {"state": state, "updated_at": now or datetime.now(UTC)}
    stmt = dialect_insert(conn)(analysis_state).values(name=name, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))


def load_state(conn: Connection, name: str) -> dict[str, Any] | None:
    return conn.execute(
        select(analysis_state.c.state).where(analysis_state.c.name == name)
    ).scalar()


def add_correction(
    conn: Connection, post_id: int, label: str, *, created_by: str | None = None
) -> dict[str, Any]:
    """An analyst's sentiment correction: applied to the post now, kept for the next training."""
    if label not in SENTIMENT_LABELS:
        raise ConfigError(f"sentiment must be one of {', '.join(SENTIMENT_LABELS)}")
    row = conn.execute(
        select(posts.c.id, posts.c.title, posts.c.text, posts.c.lang, posts.c.sentiment).where(
            posts.c.id == post_id
        )
    ).first()
    if row is None:
        raise ConfigError(f"no post {post_id}")
    text = f"{row.title}\n{row.text}" if row.title and row.title not in row.text else row.text
    correction = {
        "post_id": post_id,
        "text": text[:5000],
        "lang": row.lang,
        "label": label,
        "previous_label": row.sentiment,
        "created_by": created_by,
        "created_at": datetime.now(UTC),
    }
    conn.execute(sentiment_corrections.insert().values(**correction))
    conn.execute(
        update(posts).where(posts.c.id == post_id).values(sentiment=label, sentiment_confidence=1.0)
    )
    return correction


def list_corrections(conn: Connection) -> list[tuple[str, str]]:
    """(text, label) of every correction, the latest per post winning."""
    query = select(
        sentiment_corrections.c.post_id, sentiment_corrections.c.text, sentiment_corrections.c.label
    ).order_by(sentiment_corrections.c.id)
    latest: dict[object, tuple[str, str]] = {}
    for n, row in enumerate(conn.execute(query)):
        latest[row.post_id if row.post_id is not None else f"deleted-{n}"] = (row.text, row.label)
    return list(latest.values())
