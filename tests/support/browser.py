"""Browser-test support: the real app under uvicorn on a free port, and headless Chromium.

Fixtures (import them into a conftest, as tests/web/ui/conftest.py does):

- `ui_desk`: a desk on a temp SQLite file, one per test module.
- `live_server`: `create_app(ui_desk)` served by uvicorn in a thread on 127.0.0.1; has
  `.url(path)`. One per module (starting is cheap; the pipeline's models load on the
  first push).
- `chromium`: Debian's /usr/bin/chromium driven by Playwright (never a downloaded
  browser), started with the flags that keep it off the network. One per module.
- `page`: a fresh browser context and page per test, with `page.problems` collecting
  dialogs, console errors, page errors and CSP violations (reported from the page by
  a `securitypolicyviolation` listener installed before any page script runs).

Without /usr/bin/chromium the browser tests skip locally and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from groundswell.context import Desk

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"

# Reports CSP violations into the page (init scripts run before the page's own, and are
# not subject to its CSP).
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@dataclass
class LiveServer:
    base: str
    desk: Desk

    def url(self, path: str = "/") -> str:
        return self.base + path


@dataclass
class Problems:
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.dialogs.clear()
        self.console_errors.clear()
        self.page_errors.clear()


def _chromium_or_skip() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (.ci/run installs it)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def ui_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    from tests.conftest import make_desk

    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("GROUNDSWELL_"):
                patch.delenv(name)
        patch.setenv("GROUNDSWELL_CONFIG", str(tmp_path_factory.getbasetemp() / "none.toml"))
        patch.setenv("GROUNDSWELL_ANALYSIS_PROCESSES", "1")
        path = tmp_path_factory.mktemp("ui") / "desk.db"
        desk = make_desk(f"sqlite:///{path}")
    yield desk
    desk.close()


@pytest.fixture(scope="module")
def live_server(ui_desk: Desk) -> Iterator[LiveServer]:
    import uvicorn

    from groundswell.web.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(ui_desk, run_alerts=True),  # alerts arrive in the UI as in `serve`
        log_level="warning",
        timeout_graceful_shutdown=1,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", ui_desk)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Module-scoped on purpose: while Playwright's sync API is running, asyncio sees a
    running loop in this thread, which breaks async tests (pytest-asyncio) that the same
    xdist worker runs next; stopping it at the end of the module restores that."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: LiveServer) -> Iterator[Any]:
    context = chromium.new_context(
        base_url=live_server.base,
        locale="zh-CN",
        viewport={"width": 1366, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    problems = Problems()

    def on_dialog(dialog: Any) -> None:
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.console_errors.append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.problems = problems
    yield page
    context.close()


def csp_violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def screenshot(page: Any, name: str) -> None:
    """Save docs/screenshots/NAME.png (the README and docs/ui.md show them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
