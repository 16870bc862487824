"""The demo's alerting: a duty desk, rules, and a local receiver standing in for the
duty group's chat, so an alert is seen to arrive, escalate, and stop when acknowledged.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import update

from groundswell.accounts.errors import AccountError
from groundswell.accounts.passwords import generate_password
from groundswell.accounts.users import add_department, create_user, find_department, find_user
from groundswell.alerts.notifiers.webhook import sign
from groundswell.context import Desk
from groundswell.store.alert_rules import add_channel, add_rule, list_channels, list_rules
from groundswell.store.duty import add_shift
from groundswell.store.schemes import update_scheme
from groundswell.store.tables_accounts import departments
from groundswell.store.tables_alerts import alert_channels

DEMO_DEPARTMENT = "demo desk"
DEMO_CHANNEL = "demo-receiver"
DEMO_RULES: list[dict[str, Any]] = [
    {
        "name": "demo: critical words",
        "kind": "critical_term",
        "params": {"terms": ["暴雨", "洪水", "emergency", "stranded"]},
        "level": 2,
        "scheme": "demo: floods and storms",
    },
    {
        "name": "demo: growing events",
        "kind": "new_event",
        "params": {"min_size": 10},
        "level": 3,
        "scheme": None,
    },
]


class DemoReceiver:
    """A local webhook receiver that checks each message's signature and reports it."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self.secret = secrets.token_hex(16)
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stamp = self.headers.get("X-Groundswell-Timestamp", "")
                good = sign(outer.secret, stamp, body)
                if self.headers.get("X-Groundswell-Signature") != good:
                    self.send_response(401)
                    self.end_headers()
                    return
                alert = json.loads(body)["alert"]
                outer.received.append(alert)
                who = f" → {alert['recipient']}" if alert.get("recipient") else ""
                report(f"[bold]alert received[/] by the local receiver: {alert['headline']}{who}")
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/demo-alerts"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _user(conn: Any, name: str, role: str, dept_id: int, display: str) -> int:
    try:
        return find_user(conn, name).id
    except AccountError:
        return create_user(
            conn, name, generate_password(), role, department_id=dept_id, display_name=display
        ).id


def setup_alerting(desk: Desk, receiver_url: str, secret: str) -> str:
    """A department with a duty officer on shift now, its head, rules and the receiver.

    Returns the duty officer's name. Escalation runs on the demo's short timer.
    """
    now = datetime.now(UTC)
    with desk.engine.begin() as conn:
        try:
            dept_id = find_department(conn, DEMO_DEPARTMENT).id
        except AccountError:
            dept_id = add_department(conn, DEMO_DEPARTMENT).id
        _user(conn, "demo-duty", "duty_officer", dept_id, "Demo duty officer")
        head = _user(conn, "demo-head", "analyst", dept_id, "Demo department head")
        conn.execute(
            update(departments).where(departments.c.id == dept_id).values(head_user_id=head)
        )
        add_shift(
            conn,
            "demo-duty",
            now - timedelta(minutes=1),
            now + timedelta(days=1),
            department=DEMO_DEPARTMENT,
        )
        for scheme in ("demo: floods and storms", "demo: air travel", "demo: 拆迁"):
            try:
                update_scheme(conn, scheme, department=DEMO_DEPARTMENT)
            except Exception:  # a user removed or renamed a demo scheme: fine
                continue
        config = {"url": receiver_url, "secret": secret}
        if DEMO_CHANNEL in {c.name for c in list_channels(conn)}:
            conn.execute(
                update(alert_channels)
                .where(alert_channels.c.name == DEMO_CHANNEL)
                .values(config=config)
            )
        else:
            add_channel(conn, DEMO_CHANNEL, "webhook", config)
        present = {r.name for r in list_rules(conn)}
        for spec in DEMO_RULES:
            if spec["name"] not in present:
                add_rule(
                    conn,
                    spec["name"],
                    spec["kind"],
                    spec["params"],
                    level=spec["level"],
                    channels=[DEMO_CHANNEL],
                    scheme=spec["scheme"],
                )
    return "demo-duty"
