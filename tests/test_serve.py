"""`groundswell serve` as a real process: health, push, search, and a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from groundswell.accounts.tokens import create_token
from groundswell.accounts.users import create_user
from groundswell.context import Desk
from groundswell.settings import load_settings
from groundswell.store.alert_rules import add_channel, add_rule
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from tests.support.http_server import LocalHTTPServer, Reply

TOKEN = "serve-test-token-123456"
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>x1</guid><title>Bridge closed for repairs</title>
<pubDate>Sat, 01 Aug 2026 09:00:00 GMT</pubDate></item></channel></rss>"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def test_serve_collects_and_answers(tmp_path: Path, http_server: LocalHTTPServer) -> None:
    http_server.route("/robots.txt", Reply(404))
    http_server.route("/feed.xml", Reply(200, FEED, {"Content-Type": "application/rss+xml"}))
    db = f"sqlite:///{tmp_path}/serve.db"
    desk = Desk.open(load_settings(database_url=db))
    http_server.route("/hook", *[Reply(200, "ok")] * 5)
    with desk.engine.begin() as conn:
        add_source(conn, "platform", "push", {"token": TOKEN})
        add_source(conn, "feed", "rss", {"url": http_server.url("/feed.xml")})
        user = create_user(conn, "serve-test", "serve test password", "analyst")
        api_token = create_token(conn, user.id, "test")[0]
        add_scheme(conn, "metro", subject_words=["电梯", "地铁"])
        add_channel(conn, "group", "webhook", {"url": http_server.url("/hook")})
        add_rule(conn, "lifts", "critical_term", {"terms": ["电梯"]}, channels=["group"])
    desk.close()
    auth = {"Authorization": f"Bearer {api_token}"}
    port = free_port()
    env = {
        **os.environ,
        "GROUNDSWELL_ALLOWED_HOSTS": "127.0.0.1",
        "GROUNDSWELL_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "groundswell", "--db", db, "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", proc)
        batch = {
            "items": [{"id": "1", "text": "市民反映地铁站电梯故障", "published_at": 1785000000}]
        }
        pushed = httpx.post(
            f"{base}/api/push/platform", json=batch, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert pushed.json()["stored"] == 1
        assert (
            httpx.get(f"{base}/api/posts", params={"q": "电梯"}, headers=auth).json()["count"] == 1
        )
        # serve runs the alert engine and sender: the push raised an alert, delivered.
        deadline = time.monotonic() + 10
        while not http_server.requests_to("/hook") and time.monotonic() < deadline:
            time.sleep(0.05)
        [hook] = http_server.requests_to("/hook")
        assert "电梯" in hook.body.decode()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the scheduler picks the feed up by itself
            if httpx.get(f"{base}/api/posts", params={"q": "bridge"}, headers=auth).json()["count"]:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the scheduler never collected the feed")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    assert proc.returncode == 0
