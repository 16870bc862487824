"""The desk in headless Chromium: sign in, every screen, the scheme editor, the live feed,
sentiment correction, export, languages, and hostile posts that must never run."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from groundswell.accounts.users import find_user
from groundswell.store.tables import posts, schemes, sentiment_corrections
from tests.support.browser import LiveServer, csp_violations, screenshot
from tests.web.ui.seed import PASSWORD, items, push, seed, seed_hostile

pytestmark = pytest.mark.browser

SCREENS = [
    "/",
    "/feed",
    "/search?q=地铁&days=7",
    "/events",
    "/schemes",
    "/schemes/new",
    "/sources",
    "/admin",
    "/admin/audit",
]
NAMES = ["dashboard", "feed", "search", "events", "schemes", "scheme-editor", "sources", "admin",
         "audit"]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Iterator[LiveServer]:
    seed(live_server.desk, live_server.base)
    yield live_server


def sign_in(page: Any, name: str = "alice", target: str = "/") -> None:
    page.goto(target)
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("load")
    assert "/login" not in page.url, page.content()[:2000]


def assert_clean(page: Any) -> None:
    """Nothing ran: no dialog, no script error, no CSP violation, no `window.pwned`."""
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.problems.dialogs == []
    assert page.problems.page_errors == []
    assert page.problems.console_errors == []
    assert csp_violations(page) == []


def test_sign_in_then_every_screen(seeded: LiveServer, page: Any) -> None:
    page.goto("/feed?scheme=1")
    assert "/login?next=" in page.url
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "wrong password!")
    page.click("form.stack button[type=submit]")
    assert page.locator(".error").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    screenshot(page, "login")
    assert page.problems.console_errors == [
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]
    page.problems.clear()
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/feed\?scheme=1$"))
    page.goto("/")
    assert page.locator("nav.nav a", has_text="预警").get_attribute("href") == "/alerts"
    for path, name in zip(SCREENS, NAMES, strict=True):
        page.goto(path)
        page.wait_for_load_state("networkidle") if path != "/feed" else None
        assert page.locator("h1").first.is_visible()
        if path == "/":
            # Chart.js drew the charts (an instance is attached to each canvas).
            page.wait_for_function("Chart.getChart(document.getElementById('volume-chart'))")
            assert (
                page.evaluate(
                    "Chart.getChart(document.getElementById('sentiment-chart'))"
                    ".data.datasets[0].data.reduce((a, b) => a + b, 0)"
                )
                >= 12
            )
        screenshot(page, name)
    event = page.goto("/events?days=1")
    assert event is not None
    link = page.locator("tr.event-row a").first
    if link.count():
        link.click()
        page.wait_for_function("Chart.getChart(document.getElementById('event-volume'))")
        screenshot(page, "event")
    assert_clean(page)


def test_scheme_editor_validates_backtests_and_saves(seeded: LiveServer, page: Any) -> None:
    sign_in(page, "alice", "/schemes/new")
    page.wait_for_selector("#scheme-hint")  # validated on load: nothing to check yet
    page.fill("input[name=name]", "故障监测")
    page.fill("textarea[name=subject_words]", "地铁\nmetro")
    page.fill("textarea[name=event_words]", "故障\noutage")
    page.wait_for_selector("#compiled-query")
    assert "故障" in page.inner_text("#compiled-query")
    page.fill("textarea[name=query]", "NOT (演习")
    error = page.wait_for_selector("#check .error[data-position]")
    assert error.get_attribute("data-position") != ""
    assert page.locator("#check .caret").is_visible()
    page.fill("textarea[name=query]", "NOT 演习")
    page.wait_for_selector("#compiled-query")
    page.click("#run-backtest")
    summary = page.wait_for_selector("#backtest-summary")
    assert int(summary.get_attribute("data-matched")) >= 3
    assert "7 天" in summary.inner_text()
    assert page.locator("#backtest table tr").count() >= 2  # sample posts
    screenshot(page, "scheme-backtest")
    page.click("#save-scheme")
    page.wait_for_selector("#saved")
    with seeded.desk.engine.connect() as conn:
        row = conn.execute(select(schemes).where(schemes.c.name == "故障监测")).one()
    assert row.subject_words == ["地铁", "metro"] and row.query == "NOT 演习"
    assert_clean(page)


def test_live_feed_shows_new_matches_and_takes_corrections(seeded: LiveServer, page: Any) -> None:
    sign_in(page, "alice", "/feed")
    page.wait_for_selector("#live-status[data-state=live]")
    page.evaluate("window.sameDocument = true")
    assert page.locator("tr.fresh").count() == 0  # the stream sends only what is new
    assert page.locator("tr[data-post-id='']").count() == 0
    push(seeded.base, items(["地铁5号线信号故障，列车晚点二十分钟"], "live"))
    row = page.wait_for_selector("tr[data-key]:has-text('地铁5号线信号故障')", timeout=15_000)
    assert page.evaluate("window.sameDocument") is True  # no reload happened
    assert "<mark>地铁</mark>" in row.inner_html()
    post_id = int(row.get_attribute("data-post-id"))
    row.query_selector("button[value=positive]").click()
    page.wait_for_selector(
        f"tr[data-post-id='{post_id}'] .sentiment-cell [data-sentiment=positive]"
    )
    with seeded.desk.engine.connect() as conn:
        label = conn.execute(select(posts.c.sentiment).where(posts.c.id == post_id)).scalar_one()
        corrections = conn.execute(
            select(sentiment_corrections.c.label, sentiment_corrections.c.created_by).where(
                sentiment_corrections.c.post_id == post_id
            )
        ).all()
    assert label == "positive" and [tuple(c) for c in corrections] == [("positive", "alice")]
    screenshot(page, "feed-live")
    assert_clean(page)


def test_search_highlights_and_exports(seeded: LiveServer, page: Any) -> None:
    sign_in(page, "alice", "/search")
    page.fill("input[name=q]", "地铁 AND (故障 OR outage)")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("tr.hit")
    assert page.locator("tr.hit mark", has_text="故障").count() >= 1
    with page.expect_download() as download_info:
        page.click("#export-csv")
    with open(download_info.value.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert rows and all("地铁" in r["title"] + r["text"] for r in rows)
    with page.expect_download() as download_info:
        page.click("#export-jsonl")
    with open(download_info.value.path(), encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    assert {r["id"] for r in lines} == {int(r["id"]) for r in rows}
    page.fill("input[name=q]", "地铁 AND (故障")
    page.click("#search-form button[type=submit]")
    assert page.locator(".error[data-position]").is_visible()
    assert_clean(page)


def test_language_switch_is_kept_per_user(seeded: LiveServer, page: Any) -> None:
    page.goto("/login")
    assert page.locator("h1").inner_text() == "登录"
    page.click("button[data-lang=en]")  # anonymous: a cookie
    assert page.locator("h1").inner_text() == "Sign in"
    page.fill("input[name=name]", "momo")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(seeded.url("/"))
    page.click("button[data-lang=zh_CN]")
    assert page.locator("h1").inner_text() == "总览"
    page.click("button[data-lang=en]")
    assert page.locator("h1").inner_text() == "Dashboard"
    screenshot(page, "dashboard-en")
    with seeded.desk.engine.connect() as conn:
        assert find_user(conn, "momo").locale == "en"
    page.click("button[data-lang=zh_CN]")
    assert page.locator("h1").inner_text() == "总览"
    with seeded.desk.engine.connect() as conn:
        assert find_user(conn, "momo").locale == "zh-CN"
    assert_clean(page)


def test_hostile_posts_never_run_anywhere(seeded: LiveServer, page: Any) -> None:
    seed_hostile(seeded.base)
    sign_in(page, "alice")
    with seeded.desk.engine.connect() as conn:
        hostile = conn.execute(
            select(posts.c.id, posts.c.event_id).where(posts.c.text.like("%pwned%"))
        ).all()
    assert len(hostile) >= 5
    paths = [*SCREENS, "/alerts", "/search?q=pwned OR script OR onerror&days=7"]
    paths += sorted({f"/events/{row.event_id}" for row in hostile if row.event_id})
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)
        assert_clean(page)
    page.goto("/feed")
    text = page.inner_text("#feed-body")
    assert "<script>" in text and "onerror" in text  # shown as text, not run
    page.goto("/search?q=pwned&days=7")
    assert page.locator("tr.hit").count() >= 3
    assert page.locator("tr.hit script, tr.hit img, tr.hit iframe, tr.hit svg").count() == 0
    assert_clean(page)


def test_scoped_monitor_sees_only_their_department(seeded: LiveServer, page: Any) -> None:
    sign_in(page, "hana", "/schemes")
    names = page.locator("tr.scheme-row td:first-child").all_inner_texts()
    assert names == ["医院"]
    page.goto("/feed")
    assert "地铁" not in page.inner_text("#feed-body")
    assert_clean(page)
