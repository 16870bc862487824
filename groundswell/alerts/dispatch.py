"""Whom an alert change goes to, and what they get: written to the outbox with the alert.

A new or raised alert goes to its rules' channels (group robots, webhooks) and
to the first person in the duty chain (in the app, and on the channels named in
their contacts). An escalation goes to the next person in the chain; if they
have no channel of their own, to the rules' channels too, so it is never silent.
Quiet hours hold less severe messages on a channel until they end, except in a
special period, when the desk runs around the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from groundswell.alerts.links import ack_url, link_key
from groundswell.alerts.message import AlertMessage, EvidencePost
from groundswell.alerts.payload import message_to_json
from groundswell.store.alert_rules import Channel, list_channels
from groundswell.store.duty import Person
from groundswell.store.outbox import add_notification, enqueue
from groundswell.store.tables import posts, schemes, sources

MAX_MESSAGE_POSTS = 5


def personal_capable(kind: str) -> bool:
    """Channels that can address one person: their config has a `to` list (email, sms)."""
    from groundswell.alerts.notifiers.base import load_notifier_kinds

    cls = load_notifier_kinds().get(kind)
    return cls is not None and "to" in cls.Config.model_fields


@dataclass(frozen=True, slots=True)
class LinkSettings:
    base_url: str
    link_days: float


def evidence_posts(conn: Connection, post_ids: list[int]) -> tuple[EvidencePost, ...]:
    if not post_ids:
        return ()
    rows = conn.execute(
        select(
            posts.c.id,
            posts.c.title,
            posts.c.text,
            posts.c.url,
            posts.c.published_at,
            posts.c.sentiment,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == posts.c.source_id)
        .where(posts.c.id.in_(post_ids[:MAX_MESSAGE_POSTS]))
    ).all()
    order = {post_id: i for i, post_id in enumerate(post_ids)}
    rows = sorted(rows, key=lambda r: order.get(r.id, 0))
    return tuple(
        EvidencePost(
            title=r.title,
            text=r.text[:500],
            url=r.url,
            source=r.source,
            published_at=r.published_at,
            sentiment=r.sentiment,
        )
        for r in rows
    )


def build_message(
    conn: Connection,
    alert: dict,
    update: str,
    links: LinkSettings,
    now: datetime,
    person: Person | None = None,
) -> AlertMessage:
    scheme = None
    if alert["scheme_id"] is not None:
        scheme = conn.execute(
            select(schemes.c.name).where(schemes.c.id == alert["scheme_id"])
        ).scalar()
    findings = alert["evidence"].get("findings", [])
    counts = {f["rule"]: f["counts"] for f in findings}
    expires = now + timedelta(days=links.link_days)
    key = link_key(conn)
    return AlertMessage(
        alert_id=alert["id"],
        level=alert["level"],
        title=alert["title"],
        reason=alert["reason"],
        rule=alert["rule_name"],
        kind=alert["kind"],
        created_at=alert["created_at"],
        scheme=scheme,
        event_id=alert["event_id"],
        counts=counts,
        posts=evidence_posts(conn, list(alert["evidence"].get("post_ids", []))),
        url=f"{links.base_url.rstrip('/')}/alerts/{alert['id']}",
        ack_url=ack_url(links.base_url, key, alert["id"], person.user_id if person else 0, expires),
        update=update,
        recipient=person.display_name if person else None,
        department=alert["department"],
        reason_zh=alert["evidence"].get("reason_zh"),
    )


def dispatch(
    conn: Connection,
    alert: dict,
    update: str,
    *,
    channels: tuple[str, ...],
    person: Person | None,
    links: LinkSettings,
    now: datetime,
    around_the_clock: bool,
) -> int:
    """Write the messages of one alert change; returns how many went to the outbox."""
    by_name = {c.name: c for c in list_channels(conn) if c.enabled}
    written = 0

    def put(
        channel: Channel, message: AlertMessage, address: str | None, user_id: int | None
    ) -> None:
        nonlocal written
        due = now
        if channel.quiet_hours and not around_the_clock:
            due = channel.quiet_hours.hold_until(now, message.level) or now
        enqueue(
            conn,
            alert_id=alert["id"],
            channel_id=channel.id,
            update_kind=update,
            level=message.level,
            payload=message_to_json(message),
            due=due,
            now=now,
            address=address,
            recipient_user_id=user_id,
        )
        written += 1

    personal = 0
    if person is not None:
        add_notification(
            conn, person.user_id, alert["id"], update, alert["level"], alert["title"], now
        )
        message = build_message(conn, alert, update, links, now, person)
        for channel_name, address in person.contacts.items():
            channel = by_name.get(channel_name)
            if channel is not None and address and personal_capable(channel.kind):
                put(channel, message, address, person.user_id)
                personal += 1
    if update != "escalated" or personal == 0:
        target = person if update == "escalated" else None
        group_message = build_message(conn, alert, update, links, now, target)
        for name in channels:
            if name in by_name:
                put(by_name[name], group_message, None, None)
    return written
