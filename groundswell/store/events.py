"""Reading events back: the hottest recent ones, and one with its posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, true

from groundswell.store.tables import events, posts, sources

__all__ = ["event_posts", "get_event", "top_events"]


def top_events(
    conn: Connection, *, since_hours: float = 72, limit: int = 20, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Events seen in the last `since_hours` before `now`, hottest first.

    Without `now` nothing is cut at the top (a post dated in the future by a
    wrong clock must not hide its event); with it, later events are left out.
    """
    since = (now or datetime.now(UTC)) - timedelta(hours=since_hours)
    query = (
        select(events)
        .where(events.c.last_seen >= since)
        .where(events.c.last_seen <= now if now is not None else true())
        .order_by(events.c.heat.desc(), events.c.last_seen.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def get_event(conn: Connection, event_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(events).where(events.c.id == event_id)).first()
    return dict(row._mapping) if row else None


def event_posts(conn: Connection, event_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The event's posts, oldest first: its timeline."""
    query = (
        select(
            posts.c.id,
            posts.c.title,
            posts.c.text,
            posts.c.url,
            posts.c.sort_at,
            posts.c.sentiment,
            posts.c.is_repost,
            posts.c.story_key,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == posts.c.source_id)
        .where(posts.c.event_id == event_id)
        .order_by(posts.c.sort_at, posts.c.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]
