"""`groundswell demo`: replay real data locally and collect it through the real fetch path."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from datetime import datetime
from typing import Any

import uvicorn
from rich.console import Console
from sqlalchemy import func, select

from groundswell.accounts.demo import DEMO_ADMIN, ensure_demo_admin
from groundswell.context import Desk
from groundswell.demo.alerting import DemoReceiver, setup_alerting
from groundswell.demo.push_client import PushReplayer, push_source_spec
from groundswell.demo.server import DemoServer
from groundswell.settings import Settings
from groundswell.sources.registry import build_source
from groundswell.store.posts import count_posts
from groundswell.store.schemes import add_scheme, list_schemes
from groundswell.store.sources import add_source, find_source, list_sources
from groundswell.store.tables import events, post_matches
from groundswell.store.tables import sources as sources_table

DEMO_INTERVAL_SECONDS = 15


def demo_settings(settings: Settings) -> Settings:
    """The demo server is ours, on loopback: allow it, and poll it briskly. Escalation runs
    on a one-minute timer so it can be watched, and ends with the demo admin."""
    allowed = sorted({*settings.allowed_hosts, "127.0.0.1"})
    chosen = settings.model_fields_set
    return settings.model_copy(
        update={
            "allowed_hosts": allowed,
            "per_host_interval": 0.05,
            "alert_escalation_minutes": settings.alert_escalation_minutes
            if "alert_escalation_minutes" in chosen
            else 1.0,
            "alert_office_lead": settings.alert_office_lead or DEMO_ADMIN,
        }
    )


def register(desk: Desk, specs: list[dict[str, Any]]) -> None:
    """Add the demo's sources, or point existing ones at this run's server (its port changes)."""
    with desk.engine.begin() as conn:
        for spec in specs:
            config = build_source(spec["kind"], spec["config"]).config.model_dump()
            record = find_source(conn, spec["name"])
            if record is None:
                add_source(
                    conn, spec["name"], spec["kind"], config, interval_seconds=DEMO_INTERVAL_SECONDS
                )
            else:
                conn.execute(
                    sources_table.update()
                    .where(sources_table.c.id == record.id)
                    .values(config=config, enabled=True, next_due_at=None)
                )


# Schemes the demo starts with, so matches, events and spikes show from the first minute.
DEMO_SCHEMES: list[dict[str, Any]] = [
    {
        "name": "demo: air travel",
        "subject_words": ["flight*", "airline*", "airport*", "航班", "机场"],
        "event_words": ["delay*", "cancel*", "lost", "stranded", "延误", "取消"],
    },
    {
        "name": "demo: floods and storms",
        "subject_words": ["flood*", "hurricane*", "storm*", "暴雨", "洪水", "台风", "内涝"],
        "exclusion_words": ["brainstorm*"],
    },
    {"name": "demo: 拆迁", "subject_words": ["拆迁", "强拆"]},
]


def register_schemes(desk: Desk) -> None:
    """Add the demo schemes that are not there yet (a user may have edited or removed some)."""
    with desk.engine.begin() as conn:
        present = {scheme.name for scheme in list_schemes(conn)}
        for spec in DEMO_SCHEMES:
            if spec["name"] not in present:
                add_scheme(conn, **spec)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_demo(
    settings: Settings,
    *,
    speed: float = 1440.0,
    duration: float | None = None,
    port: int | None = None,
    console: Console | None = None,
) -> int:
    """Run the replay server, the API with the collector and the push replayer; return posts."""
    console = console or Console()
    settings = demo_settings(settings)
    desk = Desk.open(settings)
    server = DemoServer(speed=speed)
    base = await asyncio.to_thread(server.start)
    port = port if port is not None else settings.port
    port = port or free_port()
    token = secrets.token_urlsafe(24)
    register(desk, [*server.source_specs(), push_source_spec(token)])
    register_schemes(desk)
    admin, password = ensure_demo_admin(desk)
    receiver = DemoReceiver(console.print)
    setup_alerting(desk, receiver.start(), receiver.secret)

    from groundswell.web.app import create_app

    api = uvicorn.Server(
        uvicorn.Config(
            create_app(desk, run_scheduler=True), host=settings.host, port=port, log_level="warning"
        )
    )
    api_task = asyncio.create_task(api.serve())
    while not api.started:
        await asyncio.sleep(0.05)
        if api_task.done():
            await api_task  # surfaces the bind error
    console.print(f"demo replay server: {base}  (speed x{speed:g})")
    console.print(f"desk: http://{settings.host}:{port}/  (Ctrl-C to stop)")
    console.print(f"sign in as [bold]{admin}[/] with password [bold]{password}[/]")
    console.print(
        "alerts go to a local receiver (printed below) and to the duty officer in the app; "
        "unacknowledged, they escalate every minute: acknowledge on the Alerts page"
    )
    stop = asyncio.Event()
    endpoint = f"http://{settings.host}:{port}/api/push/demo-weibo-push"
    pusher = asyncio.create_task(PushReplayer(endpoint, token, speed=speed).run(stop))
    started = time.monotonic()
    try:
        while duration is None or time.monotonic() - started < duration:
            await asyncio.sleep(min(5.0, duration or 5.0))
            console.print(await asyncio.to_thread(_status_line, desk))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await pusher
        api.should_exit = True
        await api_task
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(receiver.stop)
    total = await asyncio.to_thread(_total, desk)
    newest = await asyncio.to_thread(_newest, desk)
    at = f" --at {newest:%Y-%m-%dT%H:%M}" if newest else ""  # replayed data keeps its times
    console.print(
        f"{total} posts stored. Try: groundswell search tariffs · groundswell events{at}"
        f" · groundswell spikes --window day{at} · groundswell alerts list"
    )
    desk.close()
    return total


def _total(desk: Desk) -> int:
    with desk.engine.connect() as conn:
        return count_posts(conn)


def _newest(desk: Desk) -> datetime | None:
    with desk.engine.connect() as conn:
        return conn.execute(select(func.max(events.c.last_seen))).scalar()


def _status_line(desk: Desk) -> str:
    with desk.engine.connect() as conn:
        records = [r for r in list_sources(conn) if r.name.startswith("demo-")]
        total = count_posts(conn)
        matched = conn.execute(select(func.count(func.distinct(post_matches.c.post_id)))).scalar()
        hottest = conn.execute(
            select(events.c.title, events.c.size).order_by(events.c.heat.desc()).limit(1)
        ).first()
    failing = [r.name for r in records if r.status == "failing"]
    line = f"{total} posts from {len(records)} demo sources, {matched} matching a scheme"
    if hottest:
        line += f"; hottest event ({hottest.size} posts): {hottest.title[:60]}"
    return line + (f"; failing: {', '.join(failing)}" if failing else "")
