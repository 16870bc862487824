"""The audit log: who did what to which thing, when and from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from groundswell.store.tables_accounts import audit_log

__all__ = ["AuditEntry", "list_audit", "record"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    ip: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "ip": self.ip,
        }


def record(
    conn: Connection,
    *,
    user_id: int | None,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry, in the caller's transaction (the change and its record commit
    together)."""
    conn.execute(
        insert(audit_log).values(
            at=at or datetime.now(UTC),
            user_id=user_id,
            actor=actor[:100],
            action=action[:100],
            target=target[:300],
            detail=detail or {},
            ip=ip,
        )
    )


def list_audit(
    conn: Connection,
    *,
    limit: int = 50,
    offset: int = 0,
    action: str | None = None,
    user: str | None = None,
) -> tuple[list[AuditEntry], int]:
    """Newest first; `action` matches exactly or as a prefix ending in '.' ('scheme.');
    `user` matches the actor name. Returns (page, total)."""
    query = select(audit_log)
    if action:
        query = query.where(
            audit_log.c.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else audit_log.c.action == action
        )
    if user:
        query = query.where(audit_log.c.actor == user)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(
        query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit).offset(offset)
    )
    entries = [
        AuditEntry(r.id, r.at, r.user_id, r.actor, r.action, r.target, dict(r.detail), r.ip)
        for r in rows
    ]
    return entries, total
