"""The demo raises real alerts: they reach the local receiver and the duty officer in the
app, escalate when nobody acknowledges, and stop escalating once acknowledged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from rich.console import Console
from sqlalchemy import select

from groundswell.context import Desk
from groundswell.demo.runner import run_demo
from groundswell.settings import load_settings
from groundswell.store.alerts import acknowledge, list_alerts
from groundswell.store.tables_accounts import users
from groundswell.store.tables_alerts import alert_outbox, notifications


async def test_demo_alerts_arrive_escalate_and_stop_when_acknowledged(sqlite_url: str) -> None:
    # 3-second escalation so the test sees it (the demo's own default is one minute).
    settings = load_settings(database_url=sqlite_url, port=0, alert_escalation_minutes=0.05)
    console = Console(record=True, width=200)
    demo = asyncio.create_task(run_demo(settings, speed=20_000, duration=40, console=console))
    await asyncio.sleep(2)
    desk = Desk.open(settings)

    def escalated() -> list[dict]:
        with desk.engine.connect() as conn:
            ids = set(
                conn.execute(
                    select(notifications.c.alert_id).where(
                        notifications.c.update_kind == "escalated"
                    )
                ).scalars()
            )
            return [a for a in list_alerts(conn, limit=1000) if a["id"] in ids]

    for _ in range(60):  # wait for an alert that nobody acknowledged to escalate
        if escalated():
            break
        await asyncio.sleep(0.5)
    acked_at = datetime.now(UTC)
    with desk.engine.begin() as conn:
        open_alerts = list_alerts(conn, status="open", limit=1000)
        for alert in open_alerts:
            acknowledge(conn, alert["id"], "demo-duty", acked_at)
    await asyncio.sleep(5)  # longer than the escalation timer
    demo.cancel()
    await demo
    output = console.export_text()
    assert "sign in as demo-admin with password" in output
    assert "alert received by the local receiver" in output
    with desk.engine.connect() as conn:
        told = conn.execute(
            select(
                users.c.name,
                notifications.c.update_kind,
                notifications.c.created_at,
                notifications.c.alert_id,
            ).join(users, users.c.id == notifications.c.user_id)
        ).all()
        sent = conn.execute(select(alert_outbox.c.status)).scalars().all()
    desk.close()
    assert open_alerts, "no alert was raised and escalated in 30 s of demo"
    assert any(name == "demo-duty" and kind == "new" for name, kind, _, _ in told)
    assert any(name == "demo-head" and kind == "escalated" for name, kind, _, _ in told)
    acked = {a["id"] for a in open_alerts}
    late = [row for row in told if row[3] in acked and row[1] == "escalated" and row[2] > acked_at]
    assert late == []  # acknowledged alerts escalate no further
    assert "sent" in sent and "dead" not in sent
