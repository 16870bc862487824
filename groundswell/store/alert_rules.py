"""Alert rules and channels as stored, validated on save."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from groundswell.alerts.quiet import QuietHours
from groundswell.alerts.rules import Rule, validate_rule
from groundswell.errors import ConfigError
from groundswell.store.tables import schemes
from groundswell.store.tables_alerts import alert_channels, alert_rules

__all__ = [
    "Channel",
    "add_channel",
    "add_rule",
    "get_channel",
    "list_channels",
    "list_rules",
    "remove_channel",
    "remove_rule",
    "set_rule_enabled",
]


def _rule(row: Any) -> Rule:
    return Rule(
        id=row.id,
        name=row.name,
        kind=row.kind,
        params=dict(row.params),
        level=row.level,
        channels=tuple(row.channels),
        scheme_id=row.scheme_id,
        department=row.department,
        enabled=row.enabled,
    )


def add_rule(
    conn: Connection,
    name: str,
    kind: str,
    params: dict[str, Any],
    *,
    level: int = 3,
    channels: Sequence[str] = (),
    scheme: str | None = None,
    department: str | None = None,
) -> Rule:
    """A rule on one scheme (by name), a department's default, or (neither) for all schemes."""
    name = name.strip()
    if not name:
        raise ConfigError("a rule needs a name")
    clean = validate_rule(kind, params, level)
    scheme_id = None
    if scheme is not None:
        scheme_id = conn.execute(select(schemes.c.id).where(schemes.c.name == scheme)).scalar()
        if scheme_id is None:
            raise ConfigError(f"no scheme named {scheme!r}")
    known = set(conn.execute(select(alert_channels.c.name)).scalars())
    missing = [c for c in channels if c not in known]
    if missing:
        raise ConfigError(f"no channel named {', '.join(map(repr, missing))}")
    if conn.execute(select(alert_rules.c.id).where(alert_rules.c.name == name)).first():
        raise ConfigError(f"a rule named {name!r} exists")
    now = datetime.now(UTC)
    rule_id = conn.execute(
        insert(alert_rules).values(
            name=name,
            kind=kind,
            params=clean,
            level=level,
            channels=list(channels),
            scheme_id=scheme_id,
            department=department,
            enabled=True,
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key[0]
    row = conn.execute(select(alert_rules).where(alert_rules.c.id == rule_id)).one()
    return _rule(row)


def list_rules(conn: Connection, *, enabled_only: bool = False) -> list[Rule]:
    query = select(alert_rules).order_by(alert_rules.c.id)
    if enabled_only:
        query = query.where(alert_rules.c.enabled)
    return [_rule(row) for row in conn.execute(query)]


def remove_rule(conn: Connection, name: str) -> None:
    if not conn.execute(delete(alert_rules).where(alert_rules.c.name == name)).rowcount:
        raise ConfigError(f"no rule named {name!r}")


def set_rule_enabled(conn: Connection, name: str, enabled: bool) -> None:
    result = conn.execute(
        update(alert_rules)
        .where(alert_rules.c.name == name)
        .values(enabled=enabled, updated_at=datetime.now(UTC))
    )
    if not result.rowcount:
        raise ConfigError(f"no rule named {name!r}")


class Channel:
    """A configured delivery channel (its notifier is built when sending)."""

    __slots__ = ("config", "enabled", "id", "kind", "name", "quiet_hours")

    def __init__(self, row: Any) -> None:
        self.id: int = row.id
        self.name: str = row.name
        self.kind: str = row.kind
        self.config: dict[str, Any] = dict(row.config)
        self.quiet_hours = QuietHours.from_json(row.quiet_hours)
        self.enabled: bool = row.enabled

    def public(self) -> dict[str, Any]:
        """For lists and the API: secrets in the config are masked."""
        masked = {k: ("***" if _secret(k) and v else v) for k, v in self.config.items()}
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "config": masked,
            "quiet_hours": self.quiet_hours.to_json() if self.quiet_hours else None,
            "enabled": self.enabled,
        }


def _secret(key: str) -> bool:
    return any(word in key.lower() for word in ("secret", "password", "token", "key"))


def add_channel(
    conn: Connection,
    name: str,
    kind: str,
    config: dict[str, Any],
    *,
    quiet_hours: dict[str, Any] | None = None,
) -> Channel:
    """Validated by building its notifier now, so a typo fails here, not at 3 a.m."""
    from groundswell.alerts.notifiers import build_notifier

    name = name.strip()
    if not name:
        raise ConfigError("a channel needs a name")
    build_notifier(kind, config)
    quiet = QuietHours.from_json(quiet_hours) if quiet_hours else None
    if conn.execute(select(alert_channels.c.id).where(alert_channels.c.name == name)).first():
        raise ConfigError(f"a channel named {name!r} exists")
    channel_id = conn.execute(
        insert(alert_channels).values(
            name=name,
            kind=kind,
            config=config,
            quiet_hours=quiet.to_json() if quiet else None,
            enabled=True,
            created_at=datetime.now(UTC),
        )
    ).inserted_primary_key[0]
    return get_channel(conn, channel_id)


def get_channel(conn: Connection, channel_id: int) -> Channel:
    row = conn.execute(select(alert_channels).where(alert_channels.c.id == channel_id)).first()
    if row is None:
        raise ConfigError(f"no channel with id {channel_id}")
    return Channel(row)


def list_channels(conn: Connection) -> list[Channel]:
    return [Channel(r) for r in conn.execute(select(alert_channels).order_by(alert_channels.c.id))]


def remove_channel(conn: Connection, name: str) -> None:
    if not conn.execute(delete(alert_channels).where(alert_channels.c.name == name)).rowcount:
        raise ConfigError(f"no channel named {name!r}")
