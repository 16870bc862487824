"""The screens over HTTP (no browser), on SQLite and PostgreSQL: sign-in, deny by default,
CSRF, security headers, department scoping, escaping, validation, export."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from groundswell.accounts.users import add_department, create_user
from groundswell.context import Desk
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from groundswell.store.tables import post_matches, posts, schemes
from groundswell.web.app import create_app
from groundswell.web.ui import CONTENT_SECURITY_POLICY
from tests.conftest import make_desk
from tests.web.ui.seed import PASSWORD, TOKEN

PAGES = ["/", "/feed", "/search?q=x", "/events", "/schemes", "/schemes/new", "/sources"]


async def sign_in(client: httpx.AsyncClient, name: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    done = await client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, done.text
    home = await client.get("/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found
    return found.group(1)


@pytest.fixture
async def client(desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    with desk.engine.begin() as conn:
        transport = add_department(conn, "交通")
        health = add_department(conn, "卫生")
        create_user(conn, "alice", PASSWORD, "admin")
        create_user(conn, "lea", PASSWORD, "leader")
        create_user(conn, "momo", PASSWORD, "monitor", department_id=transport.id)
        create_user(conn, "hana", PASSWORD, "monitor", department_id=health.id)
        add_source(conn, "platform", "push", {"token": TOKEN})
        add_scheme(conn, "地铁运营", subject_words=["地铁"], department="交通")
        add_scheme(conn, "医院", subject_words=["医院"], department="卫生")
    app = create_app(desk)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        texts = [
            "地铁故障 <script>window.pwned=1</script>",
            '医院 <img src=x onerror="alert(1)">',
            '=HYPERLINK("http://evil") 地铁',
        ]
        items = [{"id": f"p{i}", "text": t} for i, t in enumerate(texts)]
        pushed = await http.post(
            "/api/push/platform",
            json={"items": items},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert pushed.status_code == 200, pushed.text
        yield http


def _post_of(desk: Desk, scheme_name: str) -> int:
    with desk.engine.connect() as conn:
        return (
            conn.execute(
                select(post_matches.c.post_id)
                .join(schemes, schemes.c.id == post_matches.c.scheme_id)
                .where(schemes.c.name == scheme_name)
                .order_by(post_matches.c.post_id)
            )
            .scalars()
            .first()
        )


async def test_every_page_redirects_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=/"), path
    assert (await client.get("/feed/stream")).status_code == 303
    assert (await client.get("/search/export.csv?q=x")).status_code == 303
    for path in ("/feed/posts/1/sentiment", "/schemes", "/schemes/validate", "/logout"):
        assert (await client.post(path, data={"label": "positive"})).status_code in (401, 303)


async def test_security_headers_everywhere(client: httpx.AsyncClient) -> None:
    for path in ("/login", "/static/js/app.js", "/static/vendor/htmx.min.js", "/healthz"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    docs = await client.get("/docs")  # Swagger UI: CDN and inline script, no post content
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"
    html = (await client.get("/login")).text
    assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline handlers
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # no inline scripts
    assert "style=" not in html


async def test_sign_in_errors_and_open_redirects(desk: Desk, client: httpx.AsyncClient) -> None:
    expired = await client.post("/login", data={"name": "alice", "password": PASSWORD})
    assert expired.status_code == 403
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    wrong = await client.post(
        "/login", data={"name": "alice", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil"):
        ok = await client.post(
            "/login",
            data={"name": "alice", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        client.cookies.delete("gs_session")


async def test_rate_limited_sign_in_says_when(sqlite_url: str) -> None:
    desk = make_desk(sqlite_url, login_max_failures_per_name=2)
    with desk.engine.begin() as conn:
        create_user(conn, "alice", PASSWORD, "admin")
    transport = httpx.ASGITransport(app=create_app(desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        page = await http.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        statuses = []
        for _ in range(3):
            answer = await http.post(
                "/login",
                data={"name": "alice", "password": "bad password", "csrf_token": token},
                headers={"Accept-Language": "en"},
            )
            statuses.append(answer.status_code)
        assert statuses[-1] == 429 and "Too many failed sign-ins" in answer.text
    desk.close()


async def test_pages_render_and_escape_posts(client: httpx.AsyncClient) -> None:
    await sign_in(client, "alice")
    junk = ["/feed?scheme=&sentiment=&source=&days=", "/feed?scheme=x&days=nan", "/events?days=x",
            "/search?q=地铁&days=", "/?range=zz", "/admin/audit?page=-3"]  # fmt: skip
    for path in [*PAGES, *junk, "/search?q=地铁 OR 医院&days=1", "/?range=30d", "/events?days=30"]:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "<script>window.pwned" not in response.text, path
        assert "<img src=x" not in response.text, path
    feed = (await client.get("/feed")).text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in feed
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in feed
    search = (await client.get("/search", params={"q": "地铁", "days": 1})).text
    assert "<mark>地铁</mark>" in search
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    since = (await client.get("/dashboard/since", params={"since": hour_ago})).text
    assert 'data-count="posts">3<' in since and 'data-live="/dashboard/stream?since=' in since


async def test_csrf_is_required_for_changes(desk: Desk, client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client, "alice")
    post_id = _post_of(desk, "地铁运营")
    path = f"/feed/posts/{post_id}/sentiment"
    assert (await client.post(path, data={"label": "positive"})).status_code == 403
    assert (
        await client.post(path, data={"label": "positive", "csrf_token": "forged"})
    ).status_code == 403
    ok = await client.post(path, data={"label": "positive", "csrf_token": csrf})
    assert ok.status_code == 200 and 'data-sentiment="positive"' in ok.text
    header = await client.post(path, data={"label": "negative"}, headers={"X-CSRF-Token": csrf})
    assert header.status_code == 200
    with desk.engine.connect() as conn:
        label = conn.execute(select(posts.c.sentiment).where(posts.c.id == post_id)).scalar_one()
    assert label == "negative"
    assert (await client.post("/logout")).status_code == 403
    assert (await client.post("/logout", data={"csrf_token": csrf})).status_code == 303
    assert (await client.get("/")).status_code == 303


async def test_monitors_see_and_change_only_their_department(
    desk: Desk, client: httpx.AsyncClient
) -> None:
    csrf = await sign_in(client, "hana")
    listing = (await client.get("/schemes")).text
    assert "医院" in listing and "地铁运营" not in listing
    feed = (await client.get("/feed")).text
    assert "医院" in feed and "地铁故障" not in feed
    with desk.engine.connect() as conn:
        metro_id = conn.execute(select(schemes.c.id).where(schemes.c.name == "地铁运营")).scalar()
    assert (await client.get(f"/schemes/{metro_id}")).status_code == 404
    metro_post = _post_of(desk, "地铁运营")
    denied = await client.post(
        f"/feed/posts/{metro_post}/sentiment", data={"label": "positive", "csrf_token": csrf}
    )
    assert denied.status_code == 404
    created = await client.post(
        "/schemes",
        data={"name": "急诊", "subject_words": "急诊", "department": "交通", "csrf_token": csrf},
    )
    assert created.status_code == 303
    with desk.engine.connect() as conn:
        department = conn.execute(
            select(schemes.c.department).where(schemes.c.name == "急诊")
        ).scalar_one()
    assert department == "卫生"  # a monitor's schemes are their own department's


async def test_leaders_read_but_do_not_edit(desk: Desk, client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client, "lea")
    assert (await client.get("/schemes")).status_code == 200
    assert (await client.get("/schemes/new")).status_code == 403
    refused = await client.post(
        "/schemes", data={"name": "x", "subject_words": "x", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    post_id = _post_of(desk, "地铁运营")
    refused = await client.post(
        f"/feed/posts/{post_id}/sentiment", data={"label": "positive", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    assert "feed/posts" not in (await client.get("/feed")).text  # no correction buttons


async def test_validation_points_at_the_error(client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client, "alice")
    bad = await client.post(
        "/schemes/validate",
        data={"subject_words": "地铁", "query": "故障 AND (延误", "csrf_token": csrf},
    )
    position = re.search(r'data-position="(\d+)"', bad.text)
    assert position and int(position.group(1)) >= len("故障 AND ")
    assert 'class="caret"' in bad.text
    good = await client.post(
        "/schemes/validate", data={"subject_words": "地铁\n公交", "csrf_token": csrf}
    )
    assert 'id="compiled-query"' in good.text and "公交" in good.text
    backtest = await client.post(
        "/schemes/backtest", data={"subject_words": "地铁", "days": "1", "csrf_token": csrf}
    )
    assert re.search(r'data-matched="2"', backtest.text)


async def test_exports_are_streamed_and_formula_safe(client: httpx.AsyncClient) -> None:
    await sign_in(client, "alice")
    response = await client.get("/search/export.csv", params={"q": "地铁", "days": 1})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    assert all(not row["text"].startswith("=") for row in rows)
    assert any(row["text"].startswith("'=HYPERLINK") for row in rows)
    lines = (await client.get("/search/export.jsonl", params={"q": "地铁", "days": 1})).text
    records = [json.loads(line) for line in lines.splitlines()]
    assert sorted(r["id"] for r in records) == sorted(int(r["id"]) for r in rows)
    assert (await client.get("/search/export.xml", params={"q": "x"})).status_code == 404


FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title>
<item><title>地铁新线开通 &lt;script&gt;x&lt;/script&gt;</title><link>http://127.0.0.1/a</link>
<description>一</description></item>
<item><title>公交调整</title><link>http://127.0.0.1/b</link><description>二</description></item>
</channel></rss>"""


async def test_sources_add_edit_and_test_fetch(
    desk: Desk, client: httpx.AsyncClient, http_server: object
) -> None:
    from tests.support.http_server import Reply

    http_server.route(  # type: ignore[attr-defined]
        "/feed.xml", Reply(200, FEED, {"Content-Type": "application/rss+xml; charset=utf-8"})
    )
    csrf = await sign_in(client, "alice")
    added = await client.post(
        "/sources",
        data={
            "name": "city-feed",
            "kind": "rss",
            "url": http_server.url("/feed.xml"),  # type: ignore[attr-defined]
            "tier": "3",
            "csrf_token": csrf,
        },
    )
    assert added.status_code == 200 and 'id="source-added"' in added.text
    source_id = re.search(r'hx-post="/sources/(\d+)/test"', added.text)
    assert source_id
    tested = await client.post(f"/sources/{source_id.group(1)}/test", data={"csrf_token": csrf})
    assert 'data-count="2"' in tested.text and "&lt;script&gt;" in tested.text
    pushed = await client.post("/sources", data={"name": "app", "kind": "push", "csrf_token": csrf})
    token = re.search(r"<code>([^<]+)</code>", pushed.text)
    assert token and len(token.group(1)) >= 20
    bad = await client.post(
        "/sources", data={"name": "x", "kind": "rss", "url": "ftp://x", "csrf_token": csrf}
    )
    assert bad.status_code == 400 and 'id="source-error"' in bad.text
    edited = await client.post(
        f"/sources/{source_id.group(1)}/edit",
        data={"interval": "600", "tier": "1", "csrf_token": csrf},  # unchecked: paused
    )
    assert edited.status_code == 200
    too_fast = await client.post(
        f"/sources/{source_id.group(1)}/edit",
        data={"enabled": "on", "interval": "5", "tier": "1", "csrf_token": csrf},
    )
    assert too_fast.status_code == 400 and "60 seconds" in too_fast.text
    from groundswell.store.sources import get_source

    with desk.engine.connect() as conn:
        record = get_source(conn, "city-feed")
    assert (record.enabled, record.interval_seconds, record.authority_tier) == (False, 600, 1)
    await client.post("/logout", data={"csrf_token": csrf})
    csrf = await sign_in(client, "lea")
    refused = await client.post("/sources", data={"name": "y", "kind": "push", "csrf_token": csrf})
    assert refused.status_code == 403


async def test_admin_users_departments_and_audit(client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client, "alice")
    created = await client.post(
        "/admin/users",
        data={"name": "newbie", "role": "monitor", "department": "交通", "csrf_token": csrf},
    )
    assert created.status_code == 200 and 'id="new-password"' in created.text
    password = re.search(r"<code>([^<]+)</code>", created.text)
    assert password
    dept = await client.post("/admin/departments", data={"name": "宣传", "csrf_token": csrf})
    assert dept.status_code == 200 and "宣传" in dept.text
    dup = await client.post("/admin/departments", data={"name": "宣传", "csrf_token": csrf})
    assert dup.status_code == 400
    own = re.search(r'data-user="alice">.*?action="/admin/users/(\d+)"', created.text, re.S)
    assert own
    demote = await client.post(
        f"/admin/users/{own.group(1)}", data={"role": "monitor", "csrf_token": csrf}
    )
    assert demote.status_code == 400
    log = (await client.get("/admin/audit", params={"action": "user."})).text
    assert "user.create" in log and "department.create" not in log
    await client.post("/logout", data={"csrf_token": csrf})
    csrf = await sign_in(client, "lea")
    to_audit = await client.get("/admin")
    assert to_audit.status_code == 303 and to_audit.headers["location"] == "/admin/audit"
    assert (await client.get("/admin/audit")).status_code == 200
    await client.post("/logout", data={"csrf_token": csrf})
    await sign_in(client, "momo")
    assert (await client.get("/admin")).status_code == 403
    assert (await client.get("/admin/audit")).status_code == 403


async def test_relevance_marks_are_stored_scoped_and_audited(
    desk: Desk, client: httpx.AsyncClient
) -> None:
    from groundswell.accounts.audit import list_audit

    csrf = await sign_in(client, "momo")
    assert 'hx-post="/feed/posts/' in (await client.get("/feed")).text  # the buttons show
    metro_post = _post_of(desk, "地铁运营")
    with desk.engine.connect() as conn:
        metro = conn.execute(select(schemes.c.id).where(schemes.c.name == "地铁运营")).scalar()
        hospital = conn.execute(select(schemes.c.id).where(schemes.c.name == "医院")).scalar()
    marked = await client.post(
        f"/feed/posts/{metro_post}/relevance",
        data={"scheme_id": metro, "relevant": "no", "csrf_token": csrf},
    )
    assert marked.status_code == 200 and "chosen" in marked.text
    with desk.engine.connect() as conn:
        value = conn.execute(
            select(post_matches.c.relevant).where(
                post_matches.c.post_id == metro_post, post_matches.c.scheme_id == metro
            )
        ).scalar()
        [entry], _ = list_audit(conn, action="match.relevance")
    assert value is False and entry.actor == "momo"
    other = await client.post(  # another department's scheme: not theirs to judge
        f"/feed/posts/{_post_of(desk, '医院')}/relevance",
        data={"scheme_id": hospital, "relevant": "yes", "csrf_token": csrf},
    )
    assert other.status_code == 404


async def test_users_change_their_own_password(desk: Desk, client: httpx.AsyncClient) -> None:
    from groundswell.accounts.audit import list_audit

    csrf = await sign_in(client, "momo")
    page = await client.get("/account")
    assert page.status_code == 200 and 'id="change-password"' in page.text
    differ = await client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "a new long pass 1",
            "repeat": "other",
            "csrf_token": csrf,
        },
    )
    assert differ.status_code == 400 and 'id="password-error"' in differ.text
    wrong = await client.post(
        "/account/password",
        data={"current": "not it at all", "new": "a new long pass 1", "repeat": "a new long pass 1",
              "csrf_token": csrf},
    )  # fmt: skip
    assert wrong.status_code == 400
    short = await client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "short", "repeat": "short", "csrf_token": csrf},
    )
    assert short.status_code == 400
    no_csrf = await client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a new long pass 1", "repeat": "a new long pass 1"},
    )
    assert no_csrf.status_code == 403
    done = await client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a new long pass 1", "repeat": "a new long pass 1",
              "csrf_token": csrf},
    )  # fmt: skip
    assert done.status_code == 200 and 'id="password-changed"' in done.text
    with desk.engine.connect() as conn:
        [entry], _ = list_audit(conn, action="user.password")
    assert entry.actor == "momo"
    assert (await client.get("/account")).status_code == 200  # this session stays
