"""Tables for accounts: departments, users, sessions, API tokens, the audit log."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table

from groundswell.store.tables import Id, Json, UtcDateTime, metadata

departments = Table(
    "departments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    # No FK: users reference departments, and a cycle would complicate creation order.
    Column("head_user_id", Id, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),  # the login
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(500), nullable=False),
    Column("role", String(30), nullable=False),
    Column("department_id", Id, ForeignKey("departments.id", ondelete="SET NULL"), nullable=True),
    Column("locale", String(10), nullable=True),  # zh-CN | en; None: the browser's
    Column("email", String(300), nullable=True),
    Column("phone", String(50), nullable=True),
    Column("contacts", Json, nullable=False),  # channel -> address, for notifiers
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_login_at", UtcDateTime(), nullable=True),
    Column("password_changed_at", UtcDateTime(), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the cookie
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),  # absolute limit
    Column("last_seen_at", UtcDateTime(), nullable=False),  # for the idle limit
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(500), nullable=True),
    Index("ix_sessions_user", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Index("ix_api_tokens_user", "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("actor", String(100), nullable=False),  # the name, kept if the user goes
    Column("action", String(100), nullable=False),
    Column("target", String(300), nullable=False),
    Column("detail", Json, nullable=False),
    Column("ip", String(64), nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
    Index("ix_audit_log_user_at", "user_id", "at"),
)

# Shared by every process serving the desk, so the login rate limit holds across workers.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("ok", Boolean, nullable=False),
    Index("ix_login_attempts_name_at", "name", "at"),
    Index("ix_login_attempts_ip_at", "ip", "at"),
)

__all__ = ["api_tokens", "audit_log", "departments", "login_attempts", "sessions", "users"]
