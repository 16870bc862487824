"""The demo replay server over real sockets: feeds, portal, caching and pacing."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import feedparser
import httpx
import pytest

from groundswell.demo.dataset import DemoRecord, load_dataset
from groundswell.demo.server import DemoServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def fast_server() -> Iterator[tuple[DemoServer, str]]:
    clock = FakeClock()  # frozen unless a test moves it, so responses are repeatable
    server = DemoServer(speed=86400.0, clock=clock)  # a day per second
    base = server.start()
    clock.now += 2.0  # two virtual days in: plenty visible, far from exhausted
    yield server, base
    server.stop()


def _utc_seconds(struct) -> int:
    return calendar.timegm(struct)


def test_every_feed_is_valid_rss_with_original_dates(fast_server) -> None:
    server, base = fast_server
    originals = {
        name: {r.id: r for r in load_dataset(name)}
        for name in ("news_en", "crisis_en", "airline_en")
    }
    rss_specs = [s for s in server.source_specs() if s["kind"] == "rss"]
    assert len(rss_specs) == 8  # five publishers, other, crisis, airline
    with httpx.Client() as client:
        for spec in rss_specs:
            resp = client.get(spec["config"]["url"])
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("application/rss+xml")
            parsed = feedparser.parse(resp.content)
            assert not parsed.bozo, (spec["name"], parsed.get("bozo_exception"))
            assert 0 < len(parsed.entries) <= 100
            for entry in parsed.entries:
                _, dataset, rid = entry.id.split(":")
                original = originals[dataset][rid]
                assert _utc_seconds(entry.published_parsed) == int(original.time.timestamp())
                assert entry.link.startswith(base)
            stamps = [_utc_seconds(e.published_parsed) for e in parsed.entries]
            assert stamps == sorted(stamps, reverse=True)  # newest first


def test_news_article_pages_are_linked_and_served(fast_server) -> None:
    _, base = fast_server
    with httpx.Client() as client:
        feed = feedparser.parse(client.get(f"{base}/feeds/news-reuters.xml").content)
        entry = feed.entries[0]
        assert entry.source.title == "Reuters"
        page = client.get(entry.link)
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "<h1>" in page.text and "Reuters" in page.text


def test_conditional_get_gives_304(fast_server) -> None:
    _, base = fast_server
    url = f"{base}/feeds/crisis.xml"
    with httpx.Client() as client:
        first = client.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        by_etag = client.get(url, headers={"If-None-Match": etag})
        by_date = client.get(url, headers={"If-Modified-Since": modified})
        stale = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_date.status_code == 304
    assert stale.status_code == 200


def test_hot_portal_is_gb18030(fast_server) -> None:
    server, base = fast_server
    hot = {r.id: r for r in load_dataset("hot_zh")}
    portal = next(s for s in server.source_specs() if s["kind"] == "web")
    assert portal["name"] == "demo-hot-portal"
    assert portal["config"]["url"] == f"{base}/hot/"
    with httpx.Client() as client:
        listing = client.get(portal["config"]["url"])
        assert listing.headers["content-type"] == "text/html; charset=gb18030"
        html = listing.content.decode("gb18030")
        ids = re.findall(r'<li><a href="(/hot/(\d+)\.html)">', html)
        assert 0 < len(ids) <= 50
        assert all(re.search(portal["config"]["link_pattern"], path) for path, _ in ids)
        path, rid = ids[0]
        page = client.get(base + path)
    assert page.headers["content-type"] == "text/html; charset=gb18030"
    raw = page.content
    text = raw.decode("gb18030")
    record = hot[rid]
    assert record.title in text and f"<h1>{record.title}</h1>" in text
    assert '<meta charset="gb18030">' in text and "<script>" in text
    assert f'<time datetime="{record.time.isoformat()}">' in text
    assert record.title.encode("gb18030") in raw  # really GB18030 bytes, not UTF-8
    assert record.title.encode("utf-8") not in raw


def test_robots_unknown_paths_and_future_articles(fast_server) -> None:
    server, base = fast_server
    last_news = load_dataset("news_en")[-1]
    assert last_news.time > server.virtual_now("news_en")
    with httpx.Client() as client:
        robots = client.get(f"{base}/robots.txt")
        assert robots.status_code == 200 and "Allow: /" in robots.text
        assert client.get(f"{base}/nope").status_code == 404
        assert client.get(f"{base}/feeds/nope.xml").status_code == 404
        assert client.get(f"{base}/hot/99999999.html").status_code == 404
        assert client.get(f"{base}/news/{last_news.id}.html").status_code == 404  # not yet


def test_items_appear_as_the_clock_advances() -> None:
    clock = FakeClock()
    server = DemoServer(speed=3600.0, head_start=timedelta(hours=1), clock=clock)
    base = server.start()
    try:
        origin = load_dataset("crisis_en")[0].time
        assert server.virtual_now("crisis_en") == origin + timedelta(hours=1)
        feed_counts, hot_counts, newest_hot, tags = [], [], [], []
        with httpx.Client() as client:
            for _ in range(4):
                resp = client.get(f"{base}/feeds/airline.xml")
                feed_counts.append(len(feedparser.parse(resp.content).entries))
                tags.append(resp.headers["etag"])
                listing = client.get(f"{base}/hot/").content.decode("gb18030")
                newest_hot.append(re.search(r'<li><a href="/hot/(\d+)\.html">', listing)[1])
                hot_counts.append(server.status()["hot_zh"]["visible"])
                clock.now += 3.0  # three virtual hours
            unchanged = client.get(f"{base}/feeds/airline.xml", headers={"If-None-Match": tags[0]})
        assert unchanged.status_code == 200  # new items since: the old ETag no longer matches
        assert feed_counts == sorted(feed_counts) and feed_counts[-1] > feed_counts[0] > 0
        assert hot_counts == sorted(hot_counts) and hot_counts[-1] > hot_counts[0] > 0
        assert len(set(tags)) > 1 and len(set(newest_hot)) > 1
        assert server.virtual_now("crisis_en") == origin + timedelta(hours=13)
    finally:
        server.stop()


HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def _hostile(rid: str, when: datetime, **kw: str) -> DemoRecord:
    return DemoRecord(id=rid, time=when, text=HOSTILE, lang=kw.pop("lang", "en"), **kw)


def test_hostile_text_is_escaped_in_rss_and_html() -> None:
    when = datetime(2026, 7, 24, 12, 0, tzinfo=UTC)
    datasets = {
        "news_en": [_hostile("1", when, title=HOSTILE, publisher="Evil <Corp> & Co")],
        "hot_zh": [_hostile("7", when, title=HOSTILE + " 热搜", lang="zh")],
        "crisis_en": [_hostile("2", when)],
        "airline_en": [_hostile("3", when)],
    }
    server = DemoServer(speed=1.0, datasets=datasets)
    base = server.start()
    try:
        with httpx.Client() as client:
            feeds = [client.get(s["config"]["url"]) for s in server.source_specs()[:-1]]
            pages = [
                client.get(f"{base}/news/1.html").content.decode("utf-8"),
                client.get(f"{base}/crisis/2.html").content.decode("utf-8"),
                client.get(f"{base}/hot/").content.decode("gb18030"),
                client.get(f"{base}/hot/7.html").content.decode("gb18030"),
            ]
    finally:
        server.stop()
    assert [s["name"] for s in server.source_specs()[:2]] == [
        "demo-news-evil-corp-co",
        "demo-crisis",
    ]
    for resp in feeds:
        body = resp.content.decode("utf-8")
        assert "<script" not in body and "<b>" not in body
        parsed = feedparser.parse(resp.content)
        assert not parsed.bozo and len(parsed.entries) == 1
        # the description is HTML that shows the text literally, tags and all
        assert "&lt;script&gt;" in parsed.entries[0].description
    for page in pages:
        assert '<script>alert("x")' not in page and "<b>bold" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page


def test_source_specs_need_a_started_server_and_stop_is_idempotent() -> None:
    server = DemoServer(datasets={})
    with pytest.raises(RuntimeError):
        server.source_specs()
    base = server.start()
    specs = server.source_specs()
    assert all(s["config"]["url"].startswith(base) for s in specs)
    assert len({s["name"] for s in specs}) == len(specs)
    server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/robots.txt", timeout=2)
