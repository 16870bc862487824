"""Sign-in rate limit, counted in the database so every process of the desk shares it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select

from groundswell.store.tables_accounts import login_attempts

__all__ = ["LoginLimits", "record_attempt", "retry_after"]


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_name: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)


def retry_after(
    conn: Connection, name: str, ip: str, limits: LoginLimits, *, now: datetime | None = None
) -> int | None:
    """Seconds until the next attempt is allowed, or None if it is allowed now.

    Failures count since the later of the window start and the last success for that
    name (a successful sign-in clears the name's count, not the address's).
    """
    now = now or datetime.now(UTC)
    since = now - limits.window
    waits: list[float] = []
    last_ok = conn.execute(
        select(func.max(login_attempts.c.at)).where(
            login_attempts.c.name == name, login_attempts.c.ok.is_(True)
        )
    ).scalar_one()
    name_since = max(since, last_ok) if last_ok else since
    for column, key, limit, start in (
        (login_attempts.c.name, name, limits.per_name, name_since),
        (login_attempts.c.ip, ip, limits.per_ip, since),
    ):
        times = (
            conn.execute(
                select(login_attempts.c.at)
                .where(column == key, login_attempts.c.ok.is_(False), login_attempts.c.at > start)
                .order_by(login_attempts.c.at.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
        if len(times) >= limit:
            # Allowed again when the oldest of the last `limit` failures leaves the window.
            waits.append((times[-1] + limits.window - now).total_seconds())
    if not waits:
        return None
    return max(1, math.ceil(max(waits)))


def record_attempt(
    conn: Connection, name: str, ip: str, ok: bool, *, now: datetime | None = None
) -> None:
    now = now or datetime.now(UTC)
    conn.execute(insert(login_attempts).values(name=name[:100], ip=ip[:64], at=now, ok=ok))


def purge_attempts(conn: Connection, window: timedelta, *, now: datetime | None = None) -> int:
    """Drop attempts older than the window (they no longer count)."""
    cutoff = (now or datetime.now(UTC)) - window
    return conn.execute(delete(login_attempts).where(login_attempts.c.at < cutoff)).rowcount or 0
