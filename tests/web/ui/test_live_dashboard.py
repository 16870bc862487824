"""The dashboard's 'since your last visit' card updates over server-sent events, without a
reload, when new posts arrive."""

from __future__ import annotations

from typing import Any

import pytest

from groundswell.accounts.users import create_user
from groundswell.store.sources import add_source
from tests.support.browser import LiveServer
from tests.web.ui.seed import PASSWORD, TOKEN, items, push
from tests.web.ui.test_browser import assert_clean, sign_in

pytestmark = pytest.mark.browser


def test_the_since_card_counts_new_posts_live(page: Any, live_server: LiveServer) -> None:
    with live_server.desk.engine.begin() as conn:
        create_user(conn, "lin", PASSWORD, "analyst")
        add_source(conn, "platform", "push", {"token": TOKEN})
    sign_in(page, "lin", "/")
    page.goto("/")  # the second visit: the card counts from the first
    posts = page.locator("#since [data-count=posts]")
    posts.wait_for()
    before = int(posts.inner_text())
    page.wait_for_timeout(1000)  # posts published after the visit the card counts from
    texts = ["市民反映公交站台破损", "Bus shelter broken downtown"]
    push(live_server.base, items(texts, "live", hours=0.0001))
    page.wait_for_function(
        "n => Number(document.querySelector('#since [data-count=posts]').textContent) >= n",
        arg=before + 2,
        timeout=20_000,
    )
    assert_clean(page)
