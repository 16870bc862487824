"""What the desk shows for one event: title, key terms, times, counts and velocity."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from groundswell.analyze.events.cluster import Cluster
from groundswell.models import pickled_by_fields

__all__ = ["EventSummary", "summarize"]

_SPACES = re.compile(r"\s+")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class EventSummary:
    """A read-only view of an event; `posts_per_hour` is the recent velocity for heat."""

    event_id: str
    title: str
    key_terms: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    size: int
    sentiment_mix: dict[str, int]
    sources: dict[str, int]
    representative_key: str
    posts_per_hour: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "title": self.title,
            "key_terms": self.key_terms,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "size": self.size,
            "sentiment_mix": self.sentiment_mix,
            "sources": self.sources,
            "representative_key": self.representative_key,
            "posts_per_hour": self.posts_per_hour,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EventSummary:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            event_id=d["event_id"],
            title=d["title"],
            key_terms=list(d["key_terms"]),
            first_seen=when(d["first_seen"]),
            last_seen=when(d["last_seen"]),
            size=int(d["size"]),
            sentiment_mix=dict(d["sentiment_mix"]),
            sources=dict(d["sources"]),
            representative_key=d["representative_key"],
            posts_per_hour=float(d["posts_per_hour"]),
        )


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut at a space when one is near."""
    line = _SPACES.sub(" ", text).strip()
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def summarize(
    cluster: Cluster,
    *,
    now: float | None,
    key_terms: int,
    title_chars: int,
    velocity_window_hours: float,
) -> EventSummary:
    """Build the summary; `now` is the clusterer's clock (latest post time seen)."""
    # As sorted(...)[:key_terms], ties included, without sorting a whole centroid for
    # every event a batch touches.
    top = heapq.nlargest(key_terms, cluster.centroid.items(), key=itemgetter(1))
    velocity = 0.0
    if now is not None and velocity_window_hours > 0:
        since = now - velocity_window_hours * 3600.0
        recent = sum(1 for t in cluster.recent_times if since < t <= now)
        velocity = recent / velocity_window_hours
    return EventSummary(
        event_id=cluster.event_id,
        title=shorten(cluster.representative_text, title_chars),
        key_terms=[term for term, _ in top],
        first_seen=_datetime(cluster.first_seen),
        last_seen=_datetime(cluster.last_seen),
        size=cluster.size,
        sentiment_mix=dict(cluster.sentiments),
        sources=dict(cluster.sources),
        representative_key=cluster.representative_key,
        posts_per_hour=velocity,
    )


def _datetime(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)
