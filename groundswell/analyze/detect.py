"""Spikes on what was stored: per scheme and per event, volume and negative share.

Detection reads the store, not the live stream, so a replayed day is judged
exactly as it was judged live (DESIGN section 2). The statistics are in
`groundswell.analyze.spikes`; this module only gathers the posts' times.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, select

from groundswell.analyze.spikes import (
    DAILY,
    HOURLY,
    SpikeResult,
    SpikeThresholds,
    WindowSpec,
    window_counts,
)
from groundswell.errors import ConfigError
from groundswell.store.tables import events, post_matches, posts, schemes

__all__ = ["WINDOWS", "Spike", "detect_spikes"]

WINDOWS: dict[str, WindowSpec] = {"hour": HOURLY, "day": DAILY}


@dataclass(frozen=True, slots=True)
class Spike:
    """A spike found for one scheme or event, with the test's own explanation."""

    subject_kind: str  # "scheme" | "event"
    subject_id: str
    subject: str  # the scheme's name or the event's title, for people
    result: SpikeResult

    def as_dict(self) -> dict[str, object]:
        return {
            "subject_kind": self.subject_kind,
            "subject_id": self.subject_id,
            "subject": self.subject,
            **self.result.as_dict(),
        }


def detect_spikes(
    conn: Connection,
    now: datetime,
    window: str = "hour",
    thresholds: SpikeThresholds | None = None,
) -> list[Spike]:
    """Every scheme and every recently active event whose last window is a spike."""
    if window not in WINDOWS:
        raise ConfigError(f"window must be one of {', '.join(WINDOWS)}")
    spec = WINDOWS[window]
    thresholds = thresholds or SpikeThresholds()
    start = now - spec.window * (spec.baseline_windows + 1)
    found: list[Spike] = []
    for kind, subject_id, name, times, negative in _series(conn, start, now, spec):
        counts = window_counts(times, now, spec, negative)
        for result in (thresholds.volume(counts), thresholds.negative_share(counts)):
            if result.is_spike:
                found.append(Spike(kind, subject_id, name, result))
    return found


def _series(
    conn: Connection, start: datetime, now: datetime, spec: WindowSpec
) -> list[tuple[str, str, str, list[datetime], list[bool]]]:
    out: list[tuple[str, str, str, list[datetime], list[bool]]] = []
    names = dict(conn.execute(select(schemes.c.id, schemes.c.name).where(schemes.c.enabled)).all())
    by_scheme: dict[int, tuple[list[datetime], list[bool]]] = defaultdict(lambda: ([], []))
    query = (
        select(post_matches.c.scheme_id, post_matches.c.sort_at, posts.c.sentiment)
        .join(posts, posts.c.id == post_matches.c.post_id)
        .where(and_(post_matches.c.sort_at > start, post_matches.c.sort_at <= now))
    )
    for scheme_id, when, sentiment in conn.execute(query):
        if scheme_id in names:
            times, negative = by_scheme[scheme_id]
            times.append(when)
            negative.append(sentiment == "negative")
    for scheme_id, (times, negative) in by_scheme.items():
        out.append(("scheme", str(scheme_id), names[scheme_id], times, negative))

    active = dict(
        conn.execute(
            select(events.c.id, events.c.title).where(events.c.last_seen > now - spec.window)
        ).all()
    )
    by_event: dict[str, tuple[list[datetime], list[bool]]] = defaultdict(lambda: ([], []))
    ids = list(active)
    for offset in range(0, len(ids), 500):
        query = select(posts.c.event_id, posts.c.sort_at, posts.c.sentiment).where(
            and_(
                posts.c.event_id.in_(ids[offset : offset + 500]),
                posts.c.sort_at > start,
                posts.c.sort_at <= now,
            )
        )
        for event_id, when, sentiment in conn.execute(query):
            times, negative = by_event[event_id]
            times.append(when)
            negative.append(sentiment == "negative")
    for event_id, (times, negative) in by_event.items():
        out.append(("event", event_id, active[event_id][:120], times, negative))
    return out
