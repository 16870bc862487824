"""alerts: rules, channels, alerts, outbox, delivery attempts, notifications, duty, special periods

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import groundswell.store.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
When = groundswell.store.tables.UtcDateTime


def _id() -> sa.Column:
    return sa.Column("id", Id, autoincrement=True, nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, When(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scheme_id", Id, nullable=True),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("channels", Json, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "alert_channels",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("config", Json, nullable=False),
        sa.Column("quiet_hours", Json, nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "alerts",
        _id(),
        sa.Column("dedup_key", sa.String(400), nullable=False),
        sa.Column("scheme_id", Id, nullable=True),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("event_id", sa.String(80), nullable=True),
        sa.Column("rule_id", Id, nullable=True),
        sa.Column("rule_name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("first_level", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", Json, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        _when("acknowledged_at", True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("escalation_step", sa.Integer(), nullable=False),
        _when("next_escalation_at", True),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_index("ix_alerts_escalation", "alerts", ["status", "next_escalation_at"])
    op.create_table(
        "alert_outbox",
        _id(),
        sa.Column("alert_id", Id, nullable=False),
        sa.Column("channel_id", Id, nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("recipient_user_id", Id, nullable=True),
        sa.Column("update_kind", sa.String(20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("claimed_until", True),
        _when("created_at"),
        _when("sent_at", True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["channel_id"], ["alert_channels.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_outbox_due", "alert_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_alert_outbox_alert", "alert_outbox", ["alert_id"])
    op.create_table(
        "delivery_attempts",
        _id(),
        sa.Column("outbox_id", Id, nullable=False),
        _when("at"),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("retryable", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["alert_outbox.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_delivery_attempts_outbox", "delivery_attempts", ["outbox_id"])
    op.create_table(
        "notifications",
        _id(),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("alert_id", Id, nullable=False),
        sa.Column("update_kind", sa.String(20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        _when("created_at"),
        _when("read_at", True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "read_at"])
    op.create_table(
        "duty_shifts",
        _id(),
        sa.Column("department_id", Id, nullable=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        _when("created_at"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_duty_shifts_time", "duty_shifts", ["starts_at", "ends_at"])
    op.create_table(
        "special_periods",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("departments", Json, nullable=False),
        sa.Column("threshold_factor", sa.Float(), nullable=False),
        sa.Column("alpha_factor", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_special_periods_time", "special_periods", ["starts_at", "ends_at"])


def downgrade() -> None:
    for name in (
        "special_periods",
        "duty_shifts",
        "notifications",
        "delivery_attempts",
        "alert_outbox",
        "alerts",
        "alert_channels",
        "alert_rules",
    ):
        op.drop_table(name)
