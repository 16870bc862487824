"""Building a desk with something to alert on: a source, a scheme, people on duty, channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from groundswell.accounts.users import add_department, create_user
from groundswell.alerts.clock import ManualClock
from groundswell.alerts.engine import AlertEngine
from groundswell.alerts.sender import OutboxSender
from groundswell.context import Desk
from groundswell.models import RawItem
from groundswell.store.alert_rules import add_channel, add_rule
from groundswell.store.duty import add_shift
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from groundswell.store.tables_accounts import departments

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
DEPARTMENT = "城市管理局"

ORIGINAL = "聊城八里庙南街57户居民遭暴力强拆，居民反抗，报警后公安称不属其管辖范围，数人被带走。"


@dataclass
class Setup:
    desk: Desk
    clock: ManualClock
    engine: AlertEngine
    sender: OutboxSender
    source_id: int
    official_id: int


def build(desk: Desk, hook_url: str | None = None, **rule: object) -> Setup:
    """A department with two on duty, a head and an office lead; one scheme on 强拆."""
    with desk.engine.begin() as conn:
        dept = add_department(conn, DEPARTMENT)
        people = {}
        for name, role in [
            ("duty1", "duty_officer"),
            ("duty2", "duty_officer"),
            ("head", "analyst"),
            ("lead", "leader"),
        ]:
            people[name] = create_user(
                conn,
                name,
                PASSWORD,
                role,
                department_id=dept.id,
                display_name=name.title(),
                email=f"{name}@desk.example",
            )
        conn.execute(
            update(departments)
            .where(departments.c.id == dept.id)
            .values(head_user_id=people["head"].id)
        )
        add_shift(
            conn, "duty1", T0 - timedelta(hours=8), T0 + timedelta(days=2), department=DEPARTMENT
        )
        add_shift(
            conn,
            "duty2",
            T0 - timedelta(hours=8),
            T0 + timedelta(days=2),
            department=DEPARTMENT,
            position=1,
        )
        source_id = add_source(conn, "weibo", "push", {"token": "t" * 32}).id
        official_id = add_source(
            conn, "people-daily", "push", {"token": "u" * 32}, authority_tier=1
        ).id
        add_scheme(conn, "拆迁", subject_words=["强拆", "拆迁"], department=DEPARTMENT)
        if hook_url:
            add_channel(conn, "desk-hook", "webhook", {"url": hook_url, "secret": "hook-secret"})
        if rule:
            add_rule(
                conn,
                str(rule.pop("name", "critical")),
                str(rule.pop("kind", "critical_term")),
                dict(rule.pop("params", {"terms": ["暴力"]})),  # type: ignore[arg-type]
                level=int(rule.pop("level", 3)),  # type: ignore[call-overload]
                channels=["desk-hook"] if hook_url else [],
                scheme="拆迁",
            )
    desk.settings.alert_office_lead = "lead"
    clock = ManualClock(T0 + timedelta(minutes=30))
    return Setup(
        desk,
        clock,
        AlertEngine(desk.engine, desk.settings, clock),
        OutboxSender(desk.engine, desk.settings, clock),
        source_id,
        official_id,
    )


def post(key: str, text: str, minutes: float, **extra: object) -> RawItem:
    return RawItem(
        raw={"id": key, "text": text},
        external_id=key,
        text=text,
        published_at=T0 + timedelta(minutes=minutes),
        **extra,  # type: ignore[arg-type]
    )


def reposts(count: int, start: float = 1.0, prefix: str = "r") -> list[RawItem]:
    return [
        post(f"{prefix}{i}", f"转发微博 //@网友{i}:{ORIGINAL}", start + i * 0.5)
        for i in range(count)
    ]
