"""Alerts in the browser: a pushed post trips a rule, the alert and the duty officer's
notification appear without reloading, the webhook receiver has it, and the duty
officer acknowledges it on the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from groundswell.accounts.users import add_department, create_user
from groundswell.store.alert_rules import add_channel, add_rule
from groundswell.store.alerts import list_alerts
from groundswell.store.duty import add_shift
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from tests.support.browser import LiveServer, screenshot
from tests.support.receivers import HttpReceiver
from tests.web.ui.seed import PASSWORD, TOKEN, items, push
from tests.web.ui.test_browser import assert_clean, sign_in

pytestmark = pytest.mark.browser


def test_an_alert_arrives_in_the_ui_and_is_acknowledged_there(
    page: Any, live_server: LiveServer, http_receiver: HttpReceiver
) -> None:
    desk = live_server.desk
    now = datetime.now(UTC)
    with desk.engine.begin() as conn:
        desk_dept = add_department(conn, "值班室")
        create_user(
            conn,
            "wang",
            PASSWORD,
            "duty_officer",
            department_id=desk_dept.id,
            display_name="王值班",
        )
        add_shift(
            conn, "wang", now - timedelta(hours=1), now + timedelta(hours=2), department="值班室"
        )
        add_source(conn, "platform", "push", {"token": TOKEN})
        add_scheme(conn, "地铁安全", subject_words=["地铁"], department="值班室")
        add_channel(conn, "duty-group", "webhook", {"url": http_receiver.endpoint("/hook", "ok")})
        add_rule(
            conn,
            "故障",
            "critical_term",
            {"terms": ["故障", "停运"]},
            level=2,
            channels=["duty-group"],
            scheme="地铁安全",
        )

    sign_in(page, "wang", "/alerts")
    assert page.locator("#alert-list .alert-row").count() == 0
    push(live_server.base, items(["地铁2号线信号故障，部分区段停运 <b>现场</b>"], "alarm"))
    # No reload: the list refreshes itself; the notification shows on top.
    page.locator("#alert-list .alert-row").first.wait_for(timeout=15_000)
    assert page.locator("#notifications .note").count() == 1
    assert "II" in page.locator("#alert-list .alert-row").first.inner_text()
    assert len(http_receiver.requests_to("/hook")) == 1
    page.goto("/")  # the topbar bell shows it on every page (and polls every 15 s)
    page.locator("#bell #unread").wait_for()
    assert page.locator("#bell #unread").inner_text() == "1"
    page.goto("/alerts")
    screenshot(page, "alerts")

    page.locator("#alert-list .alert-row a").first.click()
    page.wait_for_load_state("load")
    assert "故障" in page.locator("#alert-summary").inner_text()
    assert "<b>现场</b>" in page.content().replace("&lt;", "<").replace("&gt;", ">")
    assert page.locator("#deliveries").inner_text().count("duty-group") == 1
    page.click("#acknowledge")
    page.wait_for_load_state("load")
    assert page.locator("#acknowledge").count() == 0
    screenshot(page, "alert-detail")
    with desk.engine.connect() as conn:
        [alert] = list_alerts(conn)
    assert alert["status"] == "acknowledged" and alert["acknowledged_by"] == "wang"
    assert_clean(page)
