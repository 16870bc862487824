"""Data the UI tests share: users, a push source, a scheme, posts (some of them hostile)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from groundswell.accounts.users import add_department, create_user
from groundswell.context import Desk
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source

TOKEN = "ui-test-push-token-0123456789"
PASSWORD = "correct horse battery staple"
# Every payload sets window.pwned (or opens a dialog) if it ever runs.
HOSTILE = [
    "地铁 <script>window.pwned = 1; alert('xss')</script> 故障",
    '地铁 <img src=x onerror="window.pwned=2;alert(2)"> 停运',
    '地铁 <a href="javascript:window.pwned=3">点击查看</a> 延误',
    "metro </td></tr></table><svg onload=window.pwned=4> broken <b <i>markup",
    "地铁 '\"><iframe src=javascript:window.pwned=5></iframe>",
    "地铁 {{7*7}} ${window.pwned=6} <style>body{display:none}</style>",
]


NORMAL = [
    "地铁2号线早高峰故障，乘客被困一小时，大家都很愤怒",
    "地铁2号线故障，乘客被困一小时 //@路人: 太糟糕了",
    "地铁2号线恢复运营，感谢工作人员的辛苦付出",
    "The metro line 2 outage left commuters stuck for an hour",
    "Metro line 2 service restored after the morning outage, thanks to the crews",
    "市第一医院新院区开业，市民点赞",
    "市第一医院急诊排队三小时，患者抱怨挂号难",
    "今天天气不错，适合出门散步",
    "地铁5号线延误二十分钟，官方致歉",
    "公交集团新增三条夜班线路，方便市民出行",
    "地铁票价听证会下周举行，市民关注",
    "River festival draws record crowds downtown",
]


def push(base: str, items: list[dict[str, Any]], source: str = "platform") -> dict[str, Any]:
    response = httpx.post(
        f"{base}/api/push/{source}",
        json={"items": items},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def items(
    texts: list[str], prefix: str, *, title: str | None = None, hours: float = 0.5
) -> list[dict[str, Any]]:
    """Posts spread evenly over the last `hours`, oldest first."""
    now = datetime.now(UTC)
    step = timedelta(hours=hours) / max(len(texts), 1)
    return [
        {
            "id": f"{prefix}{i}",
            "text": text,
            "title": title,
            "published_at": (now - step * (len(texts) - i)).isoformat(),
            "engagement": {"reposts": i},
        }
        for i, text in enumerate(texts)
    ]


def seed(desk: Desk, base: str) -> None:
    with desk.engine.begin() as conn:
        metro = add_department(conn, "交通")
        other = add_department(conn, "卫生")
        create_user(conn, "alice", PASSWORD, "admin", display_name="Alice")
        create_user(conn, "momo", PASSWORD, "monitor", department_id=metro.id)
        create_user(conn, "hana", PASSWORD, "monitor", department_id=other.id)
        add_source(conn, "platform", "push", {"token": TOKEN})
        add_source(conn, "news", "push", {"token": TOKEN}, authority_tier=2)
        add_scheme(conn, "地铁运营", subject_words=["地铁", "metro"], department="交通")
        add_scheme(conn, "医院", subject_words=["医院"], department="卫生")
    push(base, items(NORMAL * 2, "seed", hours=36))
    push(base, items(NORMAL[::3], "news", hours=20), source="news")


def seed_hostile(base: str) -> None:
    push(base, items(HOSTILE, "hostile", title="<script>window.pwned=7</script>地铁"))
