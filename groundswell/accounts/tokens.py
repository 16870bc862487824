"""API tokens for scripts: `gs_` + random, shown once at creation, stored as sha256."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from groundswell.accounts.errors import AccountError
from groundswell.accounts.sessions import hash_token
from groundswell.store.tables_accounts import api_tokens, users

__all__ = ["PREFIX", "ApiToken", "create_token", "list_tokens", "lookup_token", "revoke_token"]

PREFIX = "gs_"


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
        }


def _token(row: Any) -> ApiToken:
    m = row._mapping
    return ApiToken(
        m["id"], m["user_id"], m["name"], m["created_at"], m["last_used_at"], m["revoked_at"]
    )


def create_token(
    conn: Connection, user_id: int, name: str, *, now: datetime | None = None
) -> tuple[str, ApiToken]:
    """(the secret, to show once; the stored record)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError("a token name is 1-200 characters")
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(
        insert(api_tokens)
        .values(
            user_id=user_id,
            name=name,
            token_hash=hash_token(secret),
            created_at=now or datetime.now(UTC),
        )
        .returning(api_tokens.c.id)
    ).scalar_one()
    row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).one()
    return secret, _token(row)


def list_tokens(conn: Connection, user_id: int) -> list[ApiToken]:
    rows = conn.execute(
        select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id)
    )
    return [_token(row) for row in rows]


def revoke_token(
    conn: Connection, user_id: int, token_id: int, *, now: datetime | None = None
) -> ApiToken:
    """Revoke one of `user_id`'s own tokens (someone else's is 'not found')."""
    row = conn.execute(
        select(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id)
    ).first()
    if row is None:
        raise AccountError(f"no token {token_id}")
    if row.revoked_at is None:
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .values(revoked_at=now or datetime.now(UTC))
        )
    return _token(conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).one())


def lookup_token(conn: Connection, secret: str, *, now: datetime | None = None) -> int | None:
    """The user id of a live token of an active user; records its use."""
    if not secret.startswith(PREFIX):
        return None
    row = conn.execute(
        select(api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.last_used_at)
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(
            api_tokens.c.token_hash == hash_token(secret),
            api_tokens.c.revoked_at.is_(None),
            users.c.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    now = now or datetime.now(UTC)
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= 60:
        conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
    return row.user_id
