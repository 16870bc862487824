"""Tables for alerting: rules, channels, alerts, the outbox and its attempts, in-app
notifications, duty shifts and special periods.

The outbox is written in the same transaction as the alert it delivers, so an
alert that exists is an alert that will be sent (or visibly fail).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from groundswell.store.tables import Id, Json, UtcDateTime, metadata

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    # A rule on one scheme, or (scheme null) a default for a department's schemes,
    # or (both null) for every scheme.
    Column("scheme_id", Id, ForeignKey("schemes.id", ondelete="CASCADE"), nullable=True),
    Column("department", String(200), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("params", Json, nullable=False),
    Column("level", Integer, nullable=False),  # the least severe level it raises: 1..4
    Column("channels", Json, nullable=False),  # channel names
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("config", Json, nullable=False),
    Column("quiet_hours", Json, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # scheme + subject (an event, a story, a day's spike): one alert, updated as it grows.
    Column("dedup_key", String(400), nullable=False, unique=True),
    Column("scheme_id", Id, ForeignKey("schemes.id", ondelete="SET NULL"), nullable=True),
    Column("department", String(200), nullable=True),
    Column("event_id", String(80), nullable=True),
    Column("rule_id", Id, ForeignKey("alert_rules.id", ondelete="SET NULL"), nullable=True),
    Column("rule_name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("level", Integer, nullable=False),
    Column("first_level", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", Json, nullable=False),
    Column("status", String(20), nullable=False),  # open | acknowledged | resolved
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("acknowledged_at", UtcDateTime(), nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("escalation_step", Integer, nullable=False, default=0),
    Column("next_escalation_at", UtcDateTime(), nullable=True),
    Index("ix_alerts_created_at", "created_at"),
    Index("ix_alerts_escalation", "status", "next_escalation_at"),
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", Id, ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    Column("address", Text, nullable=True),  # a person's own address on the channel
    Column("recipient_user_id", Id, nullable=True),
    Column("update_kind", String(20), nullable=False),  # new | raised | escalated
    Column("level", Integer, nullable=False),
    Column("payload", Json, nullable=False),  # the AlertMessage as sent
    Column("status", String(20), nullable=False),  # pending | sent | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_alert_outbox_due", "status", "next_attempt_at"),
    Index("ix_alert_outbox_alert", "alert_id"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("outbox_id", Id, ForeignKey("alert_outbox.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("retryable", Boolean, nullable=True),
    Column("error", Text, nullable=True),
    Column("receipt", Text, nullable=True),
    Column("duration_ms", Float, nullable=False),
    Index("ix_delivery_attempts_outbox", "outbox_id"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("alert_id", Id, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("update_kind", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime(), nullable=True),
    Index("ix_notifications_user", "user_id", "read_at"),
)

duty_shifts = Table(
    "duty_shifts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # null: the office-wide desk, which covers alerts of every department
    Column("department_id", Id, ForeignKey("departments.id", ondelete="CASCADE"), nullable=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False, default=0),  # 0 first on call, 1 next, ...
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_duty_shifts_time", "starts_at", "ends_at"),
)

special_periods = Table(
    "special_periods",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("departments", Json, nullable=False),  # names; empty: all of them
    Column("threshold_factor", Float, nullable=False),  # size/heat/count floors × this
    Column("alpha_factor", Float, nullable=False),  # spike tests' alpha × this
    Column("created_by", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_special_periods_time", "starts_at", "ends_at"),
)
