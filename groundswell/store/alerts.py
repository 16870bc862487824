"""Alerts as stored: one per scheme and subject, updated as it grows; acknowledgement.

`upsert_findings` is where "one alert per event, later growth updates it (and
raises the level) instead of repeating it" is decided. It returns what changed
so the engine knows whom to tell.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from groundswell.alerts.levels import alert_level, alert_level_zh
from groundswell.alerts.rules import Finding
from groundswell.errors import ConfigError
from groundswell.store.tables import schemes
from groundswell.store.tables_alerts import alert_outbox, alerts, delivery_attempts

__all__ = [
    "AlertChange",
    "acknowledge",
    "alert_deliveries",
    "get_alert",
    "list_alerts",
    "resolve",
    "upsert_findings",
]

MAX_EVIDENCE_POSTS = 50


@dataclass(frozen=True, slots=True)
class AlertChange:
    alert_id: int
    update: str  # new | raised
    level: int
    channels: tuple[str, ...]
    department: str | None


def _dedup_key(finding: Finding) -> str:
    return f"{finding.scheme_id}:{finding.subject}"


def upsert_findings(conn: Connection, findings: list[Finding], now: datetime) -> list[AlertChange]:
    """Fold findings into alerts; new alerts and raised levels come back as changes."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[_dedup_key(finding)].append(finding)
    if not grouped:
        return []
    departments = dict(
        conn.execute(
            select(schemes.c.id, schemes.c.department).where(
                schemes.c.id.in_({f.scheme_id for f in findings})
            )
        ).all()
    )
    changes: list[AlertChange] = []
    for key, group in grouped.items():
        existing = conn.execute(select(alerts).where(alerts.c.dedup_key == key)).first()
        changes += _upsert_one(conn, key, group, existing, departments, now)
    return changes


def _level_of(group: list[Finding]) -> tuple[int, str, Finding]:
    best: tuple[int, str, Finding] | None = None
    for finding in group:
        level, why = alert_level(finding.rule.level, finding.heat)
        if best is None or level < best[0]:
            best = (level, why, finding)
    assert best is not None
    return best


def _why_zh(finding: Finding) -> str:
    return alert_level_zh(finding.rule.level, finding.heat)


def _evidence(group: list[Finding], old: dict[str, Any] | None) -> dict[str, Any]:
    by_rule = {f["rule"]: f for f in (old or {}).get("findings", [])}
    for finding in group:
        by_rule[finding.rule.name] = {
            "rule": finding.rule.name,
            "kind": finding.rule.kind,
            "reason": finding.reason,
            "reason_zh": finding.reason_zh,
            "counts": finding.counts,
            "heat": finding.heat,
        }
    post_ids = list((old or {}).get("post_ids", []))
    for finding in group:
        for post_id in finding.post_ids:
            if post_id not in post_ids and len(post_ids) < MAX_EVIDENCE_POSTS:
                post_ids.append(post_id)
    return {"findings": list(by_rule.values()), "post_ids": post_ids}


def _reason(evidence: dict[str, Any], why_level: str) -> str:
    parts = [f"{f['rule']}: {f['reason']}" for f in evidence["findings"]]
    return "; ".join(parts) + f". {why_level}."


def _reason_zh(evidence: dict[str, Any], why_level: str) -> str:
    """The Chinese reason, kept in the evidence (the `reason` column is English)."""
    parts = [f"{f['rule']}：{f.get('reason_zh') or f['reason']}" for f in evidence["findings"]]
    return "；".join(parts) + f"。{why_level}。"


def _upsert_one(
    conn: Connection,
    key: str,
    group: list[Finding],
    existing: Any,
    departments: dict[int, str | None],
    now: datetime,
) -> list[AlertChange]:
    level, why_level, lead = _level_of(group)
    channels = tuple(dict.fromkeys(c for f in group for c in f.rule.channels))
    department = departments.get(lead.scheme_id)
    if existing is None:
        evidence = _evidence(group, None)
        evidence["level_zh"] = _why_zh(lead)
        evidence["reason_zh"] = _reason_zh(evidence, evidence["level_zh"])
        alert_id = conn.execute(
            insert(alerts).values(
                dedup_key=key,
                scheme_id=lead.scheme_id,
                department=department,
                event_id=next((f.event_id for f in group if f.event_id), None),
                rule_id=lead.rule.id,
                rule_name=lead.rule.name,
                kind=lead.rule.kind,
                level=level,
                first_level=level,
                title=lead.title,
                reason=_reason(evidence, why_level),
                evidence=evidence,
                status="open",
                created_at=now,
                updated_at=now,
                escalation_step=0,
            )
        ).inserted_primary_key[0]
        return [AlertChange(alert_id, "new", level, channels, department)]
    evidence = _evidence(group, existing.evidence)
    raised = level < existing.level
    level_zh = _why_zh(lead) if raised else existing.evidence.get("level_zh", "")
    evidence["level_zh"] = level_zh
    evidence["reason_zh"] = _reason_zh(evidence, level_zh)
    values: dict[str, Any] = {"evidence": evidence, "updated_at": now}
    if raised:
        values.update(
            level=level,
            rule_id=lead.rule.id,
            rule_name=lead.rule.name,
            kind=lead.rule.kind,
            reason=_reason(evidence, why_level),
            # A raised level needs a fresh acknowledgement, and escalation starts over.
            status="open",
            acknowledged_at=None,
            acknowledged_by=None,
            escalation_step=0,
        )
    else:
        level_note = existing.reason.rsplit(". ", 1)[-1].rstrip(".")
        values["reason"] = _reason(evidence, level_note)
    if evidence == existing.evidence and not raised:
        return []
    conn.execute(update(alerts).where(alerts.c.id == existing.id).values(**values))
    if raised:
        return [AlertChange(existing.id, "raised", level, channels, existing.department)]
    return []


def get_alert(conn: Connection, alert_id: int) -> dict[str, Any]:
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise ConfigError(f"no alert with id {alert_id}")
    return dict(row._mapping)


def list_alerts(
    conn: Connection,
    *,
    status: str | None = None,
    department: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    query = select(alerts).order_by(alerts.c.created_at.desc(), alerts.c.id.desc())
    if status:
        query = query.where(alerts.c.status == status)
    if department:
        query = query.where(alerts.c.department == department)
    if since:
        query = query.where(alerts.c.created_at >= since)
    return [dict(r._mapping) for r in conn.execute(query.limit(limit).offset(offset))]


def acknowledge(conn: Connection, alert_id: int, by: str, now: datetime | None = None) -> bool:
    """Stop escalation; False when it was already acknowledged or resolved."""
    now = now or datetime.now(UTC)
    get_alert(conn, alert_id)
    result = conn.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.status == "open")
        .values(
            status="acknowledged",
            acknowledged_at=now,
            acknowledged_by=by,
            next_escalation_at=None,
            updated_at=now,
        )
    )
    return bool(result.rowcount)


def resolve(conn: Connection, alert_id: int, by: str, now: datetime | None = None) -> None:
    """Close it; the subject's dedup key is freed, so a later flare-up is a new alert."""
    now = now or datetime.now(UTC)
    row = get_alert(conn, alert_id)
    if row["status"] == "resolved":
        return
    conn.execute(
        update(alerts)
        .where(alerts.c.id == alert_id)
        .values(
            status="resolved",
            dedup_key=f"{row['dedup_key']}#resolved:{alert_id}",
            next_escalation_at=None,
            acknowledged_at=row["acknowledged_at"] or now,
            acknowledged_by=row["acknowledged_by"] or by,
            updated_at=now,
        )
    )


def alert_deliveries(conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    """Every message of the alert with its attempts: nothing about delivery is hidden."""
    rows = conn.execute(
        select(alert_outbox).where(alert_outbox.c.alert_id == alert_id).order_by(alert_outbox.c.id)
    ).all()
    out: list[dict[str, Any]] = []
    for row in rows:
        attempts = conn.execute(
            select(delivery_attempts)
            .where(delivery_attempts.c.outbox_id == row.id)
            .order_by(delivery_attempts.c.id)
        ).all()
        item = {k: v for k, v in row._mapping.items() if k != "payload"}
        item["attempt_log"] = [dict(a._mapping) for a in attempts]
        out.append(item)
    return out


def open_alert_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).where(alerts.c.status == "open")).scalar() or 0)
