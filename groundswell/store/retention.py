"""The retention policy: what the desk keeps, for how long, and the sweep that enforces it.

Posts are kept `retention_posts_days` after they were collected (their scheme
matches go with them; stories and events lose the posts but keep their
summaries until they too are older than the limit). The audit log is kept
longer, alerts and their delivery log in between. Sentiment corrections keep
their text on purpose (they are training data, see decisions.md) and are not
swept. 0 days means keep forever.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select

from groundswell.settings import Settings
from groundswell.store.tables import (
    collection_runs,
    events,
    post_counts,
    posts,
    quarantine,
    stories,
)
from groundswell.store.tables_accounts import audit_log, login_attempts, sessions
from groundswell.store.tables_alerts import alerts, notifications

log = logging.getLogger(__name__)

BATCH = 5_000  # rows a statement: a sweep never holds the write lock for long


@dataclass(frozen=True, slots=True)
class Policy:
    posts_days: int
    alerts_days: int
    audit_days: int
    operations_days: int  # collection runs, quarantine, sign-in attempts, ended sessions

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            settings.retention_posts_days,
            settings.retention_alerts_days,
            settings.retention_audit_days,
            settings.retention_operations_days,
        )


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def _delete_batched(conn: Connection, table: object, key: object, condition: object) -> int:
    if key is None:  # a small table without a one-column key: at once
        return int(conn.execute(delete(table).where(condition)).rowcount)  # type: ignore[arg-type]
    total = 0
    while True:
        ids = select(key).where(condition).limit(BATCH)  # type: ignore[arg-type]
        done = conn.execute(delete(table).where(key.in_(ids.scalar_subquery()))).rowcount  # type: ignore[attr-defined, union-attr]
        total += done
        if done < BATCH:
            return total


def sweep(
    engine: Engine, policy: Policy, now: datetime, *, dry_run: bool = False
) -> dict[str, int]:
    """Delete what the policy no longer keeps; the counts per kind (or, dry, what would go)."""
    plan = []
    if cut := _cutoff(now, policy.posts_days):
        plan += [
            ("posts", posts, posts.c.id, posts.c.collected_at < cut),
            ("stories", stories, stories.c.story_key, stories.c.last_seen < cut),
            ("events", events, events.c.id, events.c.last_seen < cut),
            # the hourly counts of the posts that went are zero now
            ("post_counts", post_counts, None, post_counts.c.posts <= 0),
        ]
    if cut := _cutoff(now, policy.alerts_days):
        plan += [
            ("notifications", notifications, notifications.c.id, notifications.c.created_at < cut),
            # the outbox and delivery attempts go with their alert (ON DELETE CASCADE)
            ("alerts", alerts, alerts.c.id, alerts.c.created_at < cut),
        ]
    if cut := _cutoff(now, policy.audit_days):
        plan.append(("audit_log", audit_log, audit_log.c.id, audit_log.c.at < cut))
    if cut := _cutoff(now, policy.operations_days):
        plan += [
            (
                "collection_runs",
                collection_runs,
                collection_runs.c.id,
                collection_runs.c.finished_at < cut,
            ),
            ("quarantine", quarantine, quarantine.c.id, quarantine.c.created_at < cut),
            ("login_attempts", login_attempts, login_attempts.c.id, login_attempts.c.at < cut),
            ("sessions", sessions, sessions.c.id, sessions.c.expires_at < cut),
        ]
    counts: dict[str, int] = {}
    for name, table, key, condition in plan:
        with engine.begin() as conn:
            if dry_run:
                counts[name] = int(
                    conn.execute(select(func.count()).select_from(table).where(condition)).scalar()
                    or 0
                )
            else:
                counts[name] = _delete_batched(conn, table, key, condition)
    return counts


SWEEP_EVERY = timedelta(hours=6)


async def retention_loop(engine: Engine, settings: Settings, stop: asyncio.Event) -> None:
    """Inside `serve`: sweep a minute after start, then every six hours."""
    delay = 60.0
    policy = Policy.from_settings(settings)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return
        except TimeoutError:
            pass
        try:
            counts = await asyncio.to_thread(sweep, engine, policy, datetime.now(UTC))
            if any(counts.values()):
                log.info("retention sweep deleted %s", counts)
        except Exception:  # the next sweep tries again; serving goes on
            log.exception("retention sweep failed")
        delay = SWEEP_EVERY.total_seconds()
