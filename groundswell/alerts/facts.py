"""What the rules look at: newly stored posts that matched a scheme, read from the store.

The engine keeps a watermark on post ids. On PostgreSQL two transactions can
commit out of id order, so ids skipped below the watermark are remembered as
gaps and looked at again for a while: a post committed late is still judged.
Judging a post twice is harmless, since alerts are keyed on what they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from groundswell.store.tables import post_matches, posts, schemes, sources

# How long an id skipped below the watermark is looked for before it is taken as rolled back.
GAP_PATIENCE = timedelta(minutes=2)
MAX_GAPS = 10_000


@dataclass(frozen=True, slots=True)
class PostFact:
    post_id: int
    scheme_id: int
    terms: tuple[str, ...]
    title: str
    text: str
    url: str | None
    source: str
    tier: int
    sort_at: datetime
    sentiment: str | None
    story_key: str | None
    is_repost: bool
    event_id: str | None

    @property
    def subject(self) -> str:
        """What an alert about this post is about: its event, else its story, else itself."""
        if self.event_id:
            return f"event:{self.event_id}"
        if self.story_key:
            return f"story:{self.story_key}"
        return f"post:{self.post_id}"


@dataclass(frozen=True, slots=True)
class SchemeInfo:
    id: int
    name: str
    department: str | None


@dataclass
class ScanState:
    watermark: int = 0
    gaps: dict[int, str] = field(default_factory=dict)  # id -> ISO time first missed

    def to_json(self) -> dict[str, Any]:
        return {"watermark": self.watermark, "gaps": {str(k): v for k, v in self.gaps.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ScanState:
        if not data:
            return cls()
        gaps = {int(k): str(v) for k, v in (data.get("gaps") or {}).items()}
        return cls(int(data.get("watermark", 0)), gaps)


def scheme_infos(conn: Connection) -> dict[int, SchemeInfo]:
    query = select(schemes.c.id, schemes.c.name, schemes.c.department).where(schemes.c.enabled)
    return {row.id: SchemeInfo(row.id, row.name, row.department) for row in conn.execute(query)}


def new_post_ids(
    conn: Connection, state: ScanState, now: datetime, limit: int
) -> tuple[list[int], ScanState]:
    """Ids stored since the last scan (and late arrivals below it), with the next state."""
    fresh = list(
        conn.execute(
            select(posts.c.id).where(posts.c.id > state.watermark).order_by(posts.c.id).limit(limit)
        ).scalars()
    )
    found_gaps: list[int] = []
    if state.gaps:
        wanted = list(state.gaps)
        for offset in range(0, len(wanted), 500):
            part = wanted[offset : offset + 500]
            found_gaps += conn.execute(select(posts.c.id).where(posts.c.id.in_(part))).scalars()
    cutoff = (now - GAP_PATIENCE).isoformat()
    found = set(found_gaps)
    gaps = {k: v for k, v in state.gaps.items() if k not in found and v >= cutoff}
    watermark = state.watermark
    if fresh:
        seen = set(fresh)
        stamp = now.isoformat()
        for missing in range(state.watermark + 1, fresh[-1]):
            if missing not in seen and len(gaps) < MAX_GAPS:
                gaps[missing] = stamp
        watermark = fresh[-1]
    return fresh + found_gaps, ScanState(watermark, gaps)


def matched_facts(conn: Connection, post_ids: list[int]) -> list[PostFact]:
    """The scheme matches of these posts, with what rules need of post and source."""
    facts: list[PostFact] = []
    for offset in range(0, len(post_ids), 500):
        part = post_ids[offset : offset + 500]
        query = (
            select(
                post_matches.c.post_id,
                post_matches.c.scheme_id,
                post_matches.c.terms,
                posts.c.title,
                posts.c.text,
                posts.c.url,
                posts.c.sort_at,
                posts.c.sentiment,
                posts.c.story_key,
                posts.c.is_repost,
                posts.c.event_id,
                sources.c.name.label("source"),
                sources.c.authority_tier,
            )
            .join(posts, posts.c.id == post_matches.c.post_id)
            .join(sources, sources.c.id == posts.c.source_id)
            .where(post_matches.c.post_id.in_(part))
        )
        for row in conn.execute(query):
            facts.append(
                PostFact(
                    post_id=row.post_id,
                    scheme_id=row.scheme_id,
                    terms=tuple(row.terms or ()),
                    title=row.title,
                    text=row.text,
                    url=row.url,
                    source=row.source,
                    tier=row.authority_tier,
                    sort_at=row.sort_at,
                    sentiment=row.sentiment,
                    story_key=row.story_key,
                    is_repost=bool(row.is_repost),
                    event_id=row.event_id,
                )
            )
    facts.sort(key=lambda f: (f.post_id, f.scheme_id))
    return facts


def facts_between(conn: Connection, start: datetime, end: datetime) -> list[PostFact]:
    """Matched posts with sort_at in (start, end]: what a backtest replays."""
    ids = list(
        conn.execute(
            select(post_matches.c.post_id)
            .where(post_matches.c.sort_at > start, post_matches.c.sort_at <= end)
            .distinct()
        ).scalars()
    )
    return matched_facts(conn, sorted(ids))
