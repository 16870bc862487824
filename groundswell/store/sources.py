"""Registered sources, their schedule and their health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from groundswell.errors import ConfigError
from groundswell.store.tables import collection_runs, sources

# How much a source's word weighs in an event's heat: 1 national media or official
# account, 2 provincial or major outlet, 3 local or industry outlet, 4 everyone else.
AUTHORITY_TIERS = {1: "national", 2: "major", 3: "local", 4: "ordinary"}


@dataclass(slots=True)
class SourceRecord:
    """A source as stored, with its health."""

    id: int
    name: str
    kind: str
    config: dict[str, Any]
    enabled: bool
    interval_seconds: int | None
    created_at: datetime
    next_due_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    state: dict[str, Any]
    posts_total: int
    authority_tier: int

    @property
    def status(self) -> str:
        """One word for dashboards: new, ok, failing or disabled. Never silently 'fine'."""
        if not self.enabled:
            return "disabled"
        if self.consecutive_failures:
            return "failing"
        return "ok" if self.last_success_at else "new"


def _record(row: Any) -> SourceRecord:
    return SourceRecord(**{k: row._mapping[k] for k in SourceRecord.__slots__})


def add_source(
    conn: Connection,
    name: str,
    kind: str,
    config: dict[str, Any],
    *,
    interval_seconds: int | None = None,
    authority_tier: int = 4,
    now: datetime | None = None,
) -> SourceRecord:
    if authority_tier not in AUTHORITY_TIERS:
        raise ConfigError(f"authority tier must be one of {sorted(AUTHORITY_TIERS)}")
    if conn.execute(select(sources.c.id).where(sources.c.name == name)).first():
        raise ConfigError(f"a source named {name!r} already exists")
    now = now or datetime.now(UTC)
    conn.execute(
        insert(sources).values(
            name=name,
            kind=kind,
            config=config,
            enabled=True,
            interval_seconds=interval_seconds,
            created_at=now,
            next_due_at=now,
            consecutive_failures=0,
            state={},
            posts_total=0,
            authority_tier=authority_tier,
        )
    )
    return get_source(conn, name)


def get_source(conn: Connection, name_or_id: str | int) -> SourceRecord:
    column = sources.c.id if isinstance(name_or_id, int) else sources.c.name
    row = conn.execute(select(sources).where(column == name_or_id)).first()
    if row is None:
        raise ConfigError(f"no source {name_or_id!r}")
    return _record(row)


def find_source(conn: Connection, name: str) -> SourceRecord | None:
    row = conn.execute(select(sources).where(sources.c.name == name)).first()
    return _record(row) if row else None


def list_sources(conn: Connection) -> list[SourceRecord]:
    return [_record(r) for r in conn.execute(select(sources).order_by(sources.c.name))]


def remove_source(conn: Connection, name: str) -> None:
    if conn.execute(delete(sources).where(sources.c.name == name)).rowcount == 0:
        raise ConfigError(f"no source {name!r}")


def due_sources(conn: Connection, now: datetime, limit: int) -> list[SourceRecord]:
    """Enabled pull sources whose time has come, most overdue first."""
    query = (
        select(sources)
        .where(sources.c.enabled.is_(True), sources.c.kind != "push")
        .where(or_(sources.c.next_due_at.is_(None), sources.c.next_due_at <= now))
        .order_by(sources.c.next_due_at.asc())
        .limit(limit)
    )
    return [_record(r) for r in conn.execute(query)]


def next_due_time(conn: Connection) -> datetime | None:
    query = select(func.min(sources.c.next_due_at)).where(
        sources.c.enabled.is_(True), sources.c.kind != "push"
    )
    return conn.execute(query).scalar_one_or_none()


def set_next_due(conn: Connection, source_id: int, when: datetime) -> None:
    conn.execute(update(sources).where(sources.c.id == source_id).values(next_due_at=when))


@dataclass(slots=True)
class RunOutcome:
    """One collection of one source, for the run log and source health."""

    source_id: int
    started_at: datetime
    finished_at: datetime
    status: str  # ok | not_modified | error
    items: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str | None = None
    state: dict[str, Any] | None = None
    next_due_at: datetime | None = None


def record_run(conn: Connection, outcome: RunOutcome) -> None:
    """Log the run and update health: a failure is counted and its message kept."""
    conn.execute(
        insert(collection_runs).values(
            source_id=outcome.source_id,
            started_at=outcome.started_at,
            finished_at=outcome.finished_at,
            status=outcome.status,
            items=outcome.items,
            stored=outcome.stored,
            duplicates=outcome.duplicates,
            quarantined=outcome.quarantined,
            error=outcome.error,
        )
    )
    values: dict[str, Any] = {"last_attempt_at": outcome.started_at}
    if outcome.status == "error":
        values["consecutive_failures"] = sources.c.consecutive_failures + 1
        values["last_error"] = outcome.error
    else:
        values["consecutive_failures"] = 0
        values["last_success_at"] = outcome.finished_at
        values["posts_total"] = sources.c.posts_total + outcome.stored
    if outcome.state is not None:
        values["state"] = outcome.state
    if outcome.next_due_at is not None:
        values["next_due_at"] = outcome.next_due_at
    conn.execute(update(sources).where(sources.c.id == outcome.source_id).values(**values))


def recent_runs(conn: Connection, source_id: int, limit: int = 20) -> list[dict[str, Any]]:
    query = (
        select(collection_runs)
        .where(collection_runs.c.source_id == source_id)
        .order_by(collection_runs.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def spread_after_restart(
    conn: Connection, now: datetime, window: timedelta, *, seed: int | None = None
) -> int:
    """Overdue sources get due times spread over `window`, so a restart does not stampede."""
    import random

    rng = random.Random(seed)
    overdue = conn.execute(
        select(sources.c.id)
        .where(sources.c.enabled.is_(True), sources.c.kind != "push")
        .where(or_(sources.c.next_due_at.is_(None), sources.c.next_due_at <= now))
        .order_by(sources.c.next_due_at.asc())
    ).all()
    n = len(overdue)
    for i, (source_id,) in enumerate(overdue):
        offset = window.total_seconds() * (i + rng.random()) / max(n, 1)
        set_next_due(conn, source_id, now + timedelta(seconds=offset))
    return n


def authority_tiers(conn: Connection) -> dict[int, int]:
    """Source id to authority tier, for heat."""
    return {
        r.id: r.authority_tier for r in conn.execute(select(sources.c.id, sources.c.authority_tier))
    }


def set_authority_tier(conn: Connection, name: str, tier: int) -> None:
    if tier not in AUTHORITY_TIERS:
        raise ConfigError(f"authority tier must be one of {sorted(AUTHORITY_TIERS)}")
    record = get_source(conn, name)
    conn.execute(update(sources).where(sources.c.id == record.id).values(authority_tier=tier))


def update_source(
    conn: Connection,
    source_id: int,
    *,
    enabled: bool,
    interval_seconds: int | None,
    authority_tier: int,
) -> SourceRecord:
    """Change how a source is collected and weighed (its kind and config stay: add anew)."""
    if authority_tier not in AUTHORITY_TIERS:
        raise ConfigError(f"authority tier must be one of {sorted(AUTHORITY_TIERS)}")
    if interval_seconds is not None and interval_seconds < 60:
        raise ConfigError("the interval is at least 60 seconds (be polite to the site)")
    record = get_source(conn, source_id)
    conn.execute(
        update(sources)
        .where(sources.c.id == record.id)
        .values(
            enabled=enabled,
            interval_seconds=interval_seconds,
            authority_tier=authority_tier,
            next_due_at=None,  # re-planned with the new interval
        )
    )
    return get_source(conn, source_id)
