"""Sign-in sessions: a random cookie token, stored only as its sha256, with idle and absolute
expiry and a per-session CSRF token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from groundswell.store.tables_accounts import sessions, users

__all__ = [
    "NewSession",
    "SessionRow",
    "create_session",
    "delete_session",
    "delete_user_sessions",
    "hash_token",
    "lookup_session",
]

# Touch last_seen_at at most this often: a page of parallel requests writes once.
_TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewSession:
    id: int
    token: str  # goes into the cookie; only its hash is stored
    csrf_token: str


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    user_id: int
    csrf_token: str


def create_session(
    conn: Connection,
    user_id: int,
    *,
    max_age: timedelta,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> NewSession:
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session_id = conn.execute(
        insert(sessions)
        .values(
            token_hash=hash_token(token),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + max_age,
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:500] or None,
        )
        .returning(sessions.c.id)
    ).scalar_one()
    return NewSession(session_id, token, csrf)


def lookup_session(
    conn: Connection, token: str, *, idle: timedelta, now: datetime | None = None
) -> SessionRow | None:
    """The live session of an active user for `token`; expired ones are deleted on sight."""
    now = now or datetime.now(UTC)
    row = conn.execute(
        select(
            sessions.c.id,
            sessions.c.user_id,
            sessions.c.csrf_token,
            sessions.c.expires_at,
            sessions.c.last_seen_at,
            users.c.active,
        )
        .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
        .where(sessions.c.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    if row.expires_at <= now or row.last_seen_at + idle <= now or not row.active:
        conn.execute(delete(sessions).where(sessions.c.id == row.id))
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        conn.execute(update(sessions).where(sessions.c.id == row.id).values(last_seen_at=now))
    return SessionRow(row.id, row.user_id, row.csrf_token)


def delete_session(conn: Connection, token: str) -> int | None:
    """End the session of `token`; its user id, or None if there was none."""
    row = conn.execute(
        delete(sessions)
        .where(sessions.c.token_hash == hash_token(token))
        .returning(sessions.c.user_id)
    ).first()
    return row[0] if row else None


def delete_user_sessions(conn: Connection, user_id: int, *, except_id: int | None = None) -> None:
    query = delete(sessions).where(sessions.c.user_id == user_id)
    if except_id is not None:
        query = query.where(sessions.c.id != except_id)
    conn.execute(query)


def purge_expired(conn: Connection, *, idle: timedelta, now: datetime | None = None) -> int:
    """Delete sessions past either limit (housekeeping; lookups also delete on sight)."""
    now = now or datetime.now(UTC)
    result = conn.execute(
        delete(sessions).where(
            (sessions.c.expires_at <= now) | (sessions.c.last_seen_at <= now - idle)
        )
    )
    return result.rowcount or 0
