"""The alert outbox: messages written with their alert, claimed, attempted, recorded.

Rows are claimed with a lease (`claimed_until`), so several senders can share
one outbox and a sender that dies mid-send gives its rows back when the lease
runs out. Every attempt is a row in `delivery_attempts`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from groundswell.store.tables_alerts import alert_outbox, delivery_attempts, notifications

__all__ = [
    "Claimed",
    "add_notification",
    "backoff",
    "claim_due",
    "enqueue",
    "record_attempt",
]

LEASE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    alert_id: int
    channel_id: int
    address: str | None
    attempts: int
    payload: dict[str, Any]


def enqueue(
    conn: Connection,
    *,
    alert_id: int,
    channel_id: int,
    update_kind: str,
    level: int,
    payload: dict[str, Any],
    due: datetime,
    now: datetime,
    address: str | None = None,
    recipient_user_id: int | None = None,
) -> int:
    return int(
        conn.execute(
            insert(alert_outbox).values(
                alert_id=alert_id,
                channel_id=channel_id,
                address=address,
                recipient_user_id=recipient_user_id,
                update_kind=update_kind,
                level=level,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=due,
                created_at=now,
            )
        ).inserted_primary_key[0]
    )


def add_notification(
    conn: Connection,
    user_id: int,
    alert_id: int,
    update_kind: str,
    level: int,
    title: str,
    now: datetime,
) -> None:
    conn.execute(
        insert(notifications).values(
            user_id=user_id,
            alert_id=alert_id,
            update_kind=update_kind,
            level=level,
            title=title,
            created_at=now,
        )
    )


def next_due(conn: Connection) -> datetime | None:
    """When the earliest pending message is due (for the sender's sleep)."""
    return conn.execute(
        select(alert_outbox.c.next_attempt_at)
        .where(alert_outbox.c.status == "pending")
        .order_by(alert_outbox.c.next_attempt_at)
        .limit(1)
    ).scalar()


def claim_due(conn: Connection, now: datetime, limit: int = 50) -> list[Claimed]:
    """Take due, unclaimed messages (most severe first) under a lease."""
    free = or_(alert_outbox.c.claimed_until.is_(None), alert_outbox.c.claimed_until < now)
    rows = conn.execute(
        select(alert_outbox)
        .where(
            and_(alert_outbox.c.status == "pending", alert_outbox.c.next_attempt_at <= now, free)
        )
        .order_by(alert_outbox.c.level, alert_outbox.c.next_attempt_at)
        .limit(limit)
    ).all()
    claimed: list[Claimed] = []
    for row in rows:
        taken = conn.execute(
            update(alert_outbox)
            .where(alert_outbox.c.id == row.id, alert_outbox.c.status == "pending", free)
            .values(claimed_until=now + LEASE)
        ).rowcount
        if taken:
            claimed.append(
                Claimed(
                    row.id, row.alert_id, row.channel_id, row.address, row.attempts, row.payload
                )
            )
    return claimed


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at 30 min, with ±20 % jitter so retries don't march in step."""
    seconds = min(1800.0, 2.0 * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def record_attempt(
    conn: Connection,
    claimed: Claimed,
    *,
    now: datetime,
    ok: bool,
    duration_ms: float,
    error: str | None = None,
    retryable: bool | None = None,
    receipt: str | None = None,
    max_attempts: int = 12,
) -> str:
    """Log the attempt and move the message on: sent, retried later, or dead. Returns the status."""
    attempts = claimed.attempts + 1
    conn.execute(
        insert(delivery_attempts).values(
            outbox_id=claimed.id,
            at=now,
            ok=ok,
            retryable=retryable,
            error=error,
            receipt=receipt,
            duration_ms=duration_ms,
        )
    )
    if ok:
        status, values = "sent", {"sent_at": now, "last_error": None}
    elif retryable and attempts < max_attempts:
        status, values = (
            "pending",
            {"next_attempt_at": now + backoff(attempts), "last_error": error},
        )
    else:
        status, values = "dead", {"last_error": error}
    conn.execute(
        update(alert_outbox)
        .where(alert_outbox.c.id == claimed.id)
        .values(status=status, attempts=attempts, claimed_until=None, **values)
    )
    return status


def outbox_counts(conn: Connection) -> dict[str, int]:
    from sqlalchemy import func

    rows = conn.execute(
        select(alert_outbox.c.status, func.count()).group_by(alert_outbox.c.status)
    ).all()
    return {status: int(n) for status, n in rows}
