"""WebSource against a real local HTTP server: links, encodings, seen state, retries, 304."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from groundswell.collect.fetcher import FetchPolicy, PoliteFetcher
from groundswell.errors import ConfigError, FetchError, ParseError
from groundswell.sources.base import CollectContext
from groundswell.sources.registry import build_source
from groundswell.sources.web import (
    MAX_ATTEMPTS,
    SEEN_LIMIT,
    WebSource,
    WebSourceConfig,
    clean_text,
    find_links,
)
from tests.support.http_server import LocalHTTPServer, Reply, Request

HTML = {"Content-Type": "text/html"}
ZH_TEXT = (
    "7月24日上午，市政府新闻办召开发布会，通报城区供水情况。"
    "目前全市供水已全部恢复正常，水质检测结果符合国家标准。"
)
GBK_ARTICLE = f"""<html><head><meta charset="gbk"><title>市政府通报供水情况</title>
<meta property="article:published_time" content="2026-07-24T10:00:00+08:00"></head>
<body><article><h1>市政府通报供水情况</h1><p>{ZH_TEXT}</p>
<p>有关部门负责人表示，将进一步加强供水设施巡查，确保居民用水安全。</p></article></body></html>
""".encode("gbk")
BROKEN_ARTICLE = b"""<html><head><title>Flood warning for the northern district</title>
<body><div class="story"><time datetime="2026-07-24T09:00:00">morning</time>
<p>Heavy rain is expected to cause flooding in the <b>northern district<p>Residents are
advised to move <i>valuables upstairs</div></span></td> and avoid low roads tonight.
"""
LATE_ARTICLE = b"""<html><head><title>Late story</title></head><body><article>
<p>This story was not available the first time the list was read, but now it is.</p>
</article></body></html>"""
HOSTILE_ARTICLE = b"""<html><head><title>Safe <script>alert('t')</script>title</title>
<script>alert('x'); document.write('EVIL')</script><style>p{color:red}</style></head>
<body><noscript>EVILNOSCRIPT</noscript><h1>Water supply restored</h1>
<img src="x" onerror="alert('img')"><p onclick="alert('p')">The city said on Friday that the
water supply was restored to all districts after a two-day outage.</p>
<p>Residents had complained <script>steal(document.cookie)</script>about the smell for a week.</p>
<iframe srcdoc="<script>alert(1)</script>"></iframe><svg><script>svgEvil()</script></svg>
<a href="javascript:alert('a')">click</a></body></html>"""


def list_page(links: list[str]) -> bytes:
    anchors = "\n".join(f'<li><a href="{href}">story</a></li>' for href in links)
    return f"<html><body><h1>News</h1><ul>{anchors}</ul></body></html>".encode()


@pytest.fixture
async def fetcher() -> AsyncIterator[PoliteFetcher]:
    policy = FetchPolicy(
        allowed_hosts=frozenset({"127.0.0.1", "localhost"}),
        per_host_interval=0.0,
        respect_robots=False,
        max_retries=0,
    )
    async with PoliteFetcher(policy) as fetcher:
        yield fetcher


def web_source(server: LocalHTTPServer, **config: object) -> WebSource:
    source = build_source("web", {"url": server.url("/news/"), **config})
    assert isinstance(source, WebSource)
    return source


async def test_list_articles_encodings_failures_and_seen_state(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
) -> None:
    base = http_server.url("")
    http_server.route(
        "/news/",
        Reply(
            200,
            list_page(
                [
                    "a1.html",  # relative to the list page
                    "/news/a2.html",
                    f"{base}/news/a3.html",  # 404 the first time
                    "a1.html#comments",  # same article again
                    "/about",  # filtered by link_pattern
                    "http://example.org/news/a9.html",  # another host
                    "javascript:void(0)",
                    "mailto:desk@example.org",
                ]
            ),
            HTML,
        ),
    )
    http_server.route("/news/a1.html", Reply(200, GBK_ARTICLE, HTML))
    http_server.route("/news/a2.html", Reply(200, BROKEN_ARTICLE, HTML))
    http_server.route("/news/a3.html", Reply(404, "gone"), Reply(200, LATE_ARTICLE, HTML))
    source = web_source(http_server, link_pattern=r"/news/a\d+\.html$")

    first = await source.collect(CollectContext(fetcher=fetcher))
    by_url = {item.url: item for item in first.items}
    assert set(by_url) == {f"{base}/news/a1.html", f"{base}/news/a2.html"}
    gbk = by_url[f"{base}/news/a1.html"]
    assert gbk.title == "市政府通报供水情况" and ZH_TEXT in (gbk.text or "")
    assert gbk.published_at == datetime(2026, 7, 24, 10, tzinfo=timezone(timedelta(hours=8)))
    assert gbk.external_id is None and gbk.is_html is False
    broken = by_url[f"{base}/news/a2.html"]
    assert broken.title == "Flood warning for the northern district"
    assert "flooding in the northern district" in (broken.text or "")
    assert "valuables upstairs" in (broken.text or "")
    assert broken.published_at == datetime(2026, 7, 24, 9, tzinfo=UTC)  # naive -> UTC
    assert broken.raw["list_url"] == http_server.url("/news/")
    assert json.dumps([item.raw for item in first.items])  # raw is JSON-serialisable
    [failed] = first.rejected
    assert "a3.html" in failed.reason and "404" in failed.reason and "will retry" in failed.reason
    assert f"{base}/news/a3.html" not in first.state["seen"]
    assert len(http_server.requests_to("/news/a1.html")) == 1  # the #comments duplicate dropped
    assert not http_server.requests_to("/about")

    second = await source.collect(CollectContext(fetcher=fetcher, state=first.state))
    assert [item.url for item in second.items] == [f"{base}/news/a3.html"]
    assert not second.rejected
    assert len(http_server.requests_to("/news/a1.html")) == 1

    third = await source.collect(CollectContext(fetcher=fetcher, state=second.state))
    assert not third.items and not third.rejected
    assert len(http_server.requests_to("/news/a3.html")) == 2
    assert len(third.state["seen"]) == 3


async def test_conditional_get_and_retry_of_failures_on_304(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
) -> None:
    def listing(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        headers = {**HTML, "ETag": '"v1"', "Last-Modified": "Fri, 24 Jul 2026 08:00:00 GMT"}
        return Reply(200, list_page(["ok.html", "flaky.html"]), headers)

    http_server.route("/news/", listing)
    http_server.route("/news/ok.html", Reply(200, LATE_ARTICLE, HTML))
    http_server.route("/news/flaky.html", Reply(503), Reply(200, BROKEN_ARTICLE, HTML))
    source = web_source(http_server)

    first = await source.collect(CollectContext(fetcher=fetcher))
    assert len(first.items) == 1 and len(first.rejected) == 1
    assert first.state["etag"] == '"v1"'
    second = await source.collect(CollectContext(fetcher=fetcher, state=first.state))
    sent = http_server.requests_to("/news/")[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Fri, 24 Jul 2026 08:00:00 GMT"
    assert [item.title for item in second.items] == ["Flood warning for the northern district"]
    third = await source.collect(CollectContext(fetcher=fetcher, state=second.state))
    assert third.not_modified and not third.items and not third.rejected
    assert third.state["seen"] == second.state["seen"] and third.state["etag"] == '"v1"'


async def test_a_page_that_keeps_failing_is_given_up_after_max_attempts(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
) -> None:
    http_server.route("/news/", Reply(200, list_page(["empty.html"]), HTML))
    http_server.route("/news/empty.html", Reply(200, b"<html><body><script>x()</script>", HTML))
    source = web_source(http_server)
    state: dict[str, object] = {}
    reasons = []
    for _ in range(MAX_ATTEMPTS + 1):
        batch = await source.collect(CollectContext(fetcher=fetcher, state=state))
        reasons += [r.reason for r in batch.rejected]
        state = batch.state
    assert len(reasons) == MAX_ATTEMPTS
    assert all("no text found" in reason for reason in reasons)
    assert "giving up" in reasons[-1]
    assert len(http_server.requests_to("/news/empty.html")) == MAX_ATTEMPTS


async def test_hostile_article_leaks_no_script(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
) -> None:
    http_server.route("/news/", Reply(200, list_page(["evil.html"]), HTML))
    http_server.route("/news/evil.html", Reply(200, HOSTILE_ARTICLE, HTML))
    for config in ({}, {"text_selector": "body", "title_selector": "title"}):
        batch = await web_source(http_server, **config).collect(CollectContext(fetcher=fetcher))
        [item] = batch.items
        shown = f"{item.title}\n{item.text}\n{json.dumps(item.raw, ensure_ascii=False)}"
        for needle in ("alert", "script", "EVIL", "steal", "svgEvil", "color:red"):
            assert needle not in shown, (config, needle)
        assert "water supply was restored" in (item.text or "")


async def test_selectors_max_articles_and_non_html(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
) -> None:
    article = b"""<html><body><div class="hd">Headline here</div>
    <span class="when">2026-07-24 08:30:00</span><div class="bd"><p>Selected body text.</p></div>
    <div class="ads">Buy now</div></body></html>"""
    http_server.route(
        "/news/", Reply(200, list_page(["p1.html", "p2.html", "p3.html", "doc.pdf"]), HTML)
    )
    for name in ("p1", "p2", "p3"):
        http_server.route(f"/news/{name}.html", Reply(200, article, HTML))
    http_server.route("/news/doc.pdf", Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    source = web_source(
        http_server,
        max_articles=2,
        title_selector=".hd",
        text_selector=".bd",
        time_selector=".when",
    )
    first = await source.collect(CollectContext(fetcher=fetcher))
    assert [item.url.rsplit("/", 1)[1] for item in first.items] == ["p1.html", "p2.html"]  # type: ignore[union-attr]
    item = first.items[0]
    assert (item.title, item.text) == ("Headline here", "Selected body text.")
    assert item.published_at == datetime(2026, 7, 24, 8, 30, tzinfo=UTC)
    assert item.raw["extracted"]["method"] == "selector"
    second = await source.collect(CollectContext(fetcher=fetcher, state=first.state))
    assert [item.url.rsplit("/", 1)[1] for item in second.items] == ["p3.html"]  # type: ignore[union-attr]
    assert "not an HTML page" in second.rejected[0].reason


async def test_list_page_failure_or_no_links_raises(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
) -> None:
    with pytest.raises(FetchError, match="404"):
        await web_source(http_server).collect(CollectContext(fetcher=fetcher))
    http_server.route("/news/", Reply(200, list_page(["/about", "/contact"]), HTML))
    source = web_source(http_server, link_pattern=r"/news/\d+")
    with pytest.raises(ParseError, match=r"no links matching link_selector 'a' and link_pattern"):
        await source.collect(CollectContext(fetcher=fetcher))


async def test_seen_state_is_bounded(http_server: LocalHTTPServer, fetcher: PoliteFetcher) -> None:
    http_server.route("/news/", Reply(200, list_page(["fresh.html"]), HTML))
    http_server.route("/news/fresh.html", Reply(200, LATE_ARTICLE, HTML))
    old = [f"http://127.0.0.1/old/{i}" for i in range(SEEN_LIMIT + 100)]
    batch = await web_source(http_server).collect(
        CollectContext(fetcher=fetcher, state={"seen": old})
    )
    assert len(batch.state["seen"]) == SEEN_LIMIT
    assert batch.state["seen"][-1] == http_server.url("/news/fresh.html")
    assert batch.state["seen"][0] == old[101]


def test_find_links_honours_base_and_container_selector() -> None:
    config = WebSourceConfig(url="http://site.test/list", link_selector="li.story")
    html = """<html><head><base href="http://site.test/archive/"></head><body><ul>
    <li class="story"><h2><a href="one.html">One</a></h2></li>
    <li class="story"><a href="../two.html">Two</a></li>
    <li class="other"><a href="three.html">Three</a></li></ul></body></html>"""
    assert find_links(html, "http://site.test/list", config) == [
        "http://site.test/archive/one.html",
        "http://site.test/two.html",
    ]


def test_clean_text_drops_literal_scripts_and_tags() -> None:
    assert clean_text("A <script>alert(1)</script> B <b>c</b>\n\n  d  ") == "A B c\nd"
    assert clean_text(None) == ""


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"url": "ftp://site.test/"}, "http"),
        ({"url": "http://site.test/", "link_pattern": "(unclosed"}, "link_pattern"),
        ({"url": "http://site.test/", "link_selector": "div >> p"}, "CSS selector"),
        ({"url": "http://site.test/", "max_articles": 0}, "max_articles"),
        ({"url": "http://site.test/", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_configs(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_source("web", config)
