"""RssSource through the real fetcher: mapping, conditional GET and bad feeds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from groundswell.collect.fetcher import FetchPolicy, PoliteFetcher
from groundswell.errors import HttpStatusError, ParseError
from groundswell.models import SourceBatch
from groundswell.sources.base import CollectContext
from groundswell.sources.rss import RssSource
from tests.support.http_server import LocalHTTPServer, Reply

RSS = "application/rss+xml"
POLICY = FetchPolicy(per_host_interval=0.0, allowed_hosts=frozenset({"127.0.0.1"}))

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>市政新闻</title><link>http://example.com/</link>
<item>
  <guid>urn:news:1</guid><title>自来水厂检修公告</title><link>/news/1.html</link>
  <dc:creator>记者 王某</dc:creator>
  <pubDate>Tue, 04 Mar 2025 08:30:00 +0800</pubDate>
  <description>短摘要</description>
  <content:encoded><![CDATA[<p>全文 <b>内容</b></p>]]></content:encoded>
</item>
<item><title>Plain item</title><description>just text</description></item>
<item><description></description></item>
</channel></rss>"""


@pytest.fixture
async def fetcher() -> AsyncIterator[PoliteFetcher]:
    async with PoliteFetcher(POLICY) as f:
        yield f


async def collect(
    server: LocalHTTPServer, fetcher: PoliteFetcher, path: str, **config: object
) -> SourceBatch:
    source = RssSource(RssSource.Config(url=server.url(path), **config))  # type: ignore[arg-type]
    return await source.collect(CollectContext(fetcher=fetcher))


def test_config_accepts_only_http_urls():
    assert RssSource.Config(url=" https://example.com/feed ").url == "https://example.com/feed"
    for bad in ["ftp://example.com/feed", "file:///etc/passwd", "example.com/feed", "http://"]:
        with pytest.raises(ValidationError, match="must be an http"):
            RssSource.Config(url=bad)
    with pytest.raises(ValidationError):
        RssSource.Config(url="http://x/", max_items=0)
    with pytest.raises(ValidationError):
        RssSource.Config(url="http://x/", unknown=1)  # type: ignore[call-arg]


async def test_entries_map_to_raw_items(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    headers = {"Content-Type": RSS, "ETag": '"abc"', "Last-Modified": "Tue, 04 Mar 2025 GMT"}
    http_server.route("/feed", Reply(200, FEED.encode(), headers))
    batch = await collect(http_server, fetcher, "/feed")

    first, second = batch.items
    assert first.external_id == "urn:news:1"
    assert first.url == http_server.url("/news/1.html")  # resolved against the feed URL
    assert first.title == "自来水厂检修公告"
    assert first.text == "<p>全文 <b>内容</b></p>" and first.is_html
    assert first.author == "记者 王某"
    assert first.published_at == datetime(2025, 3, 4, 0, 30, tzinfo=UTC)
    assert second.external_id is None and second.text == "just text"
    assert second.published_at is None
    for item in batch.items:
        json.dumps(item.raw)
    assert first.raw["published_parsed"] == "2025-03-04T00:30:00+00:00"

    assert [r.reason for r in batch.rejected] == ["feed entry has no title, text or link"]
    json.dumps(batch.rejected[0].raw)
    assert batch.state == {"etag": '"abc"', "last_modified": "Tue, 04 Mar 2025 GMT"}
    assert "accept" in http_server.requests_to("/feed")[0].headers


async def test_atom_text_and_html_content(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    atom = """<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <entry><id>tag:a,2025:1</id><title>A</title><updated>2025-01-02T03:04:05Z</updated>
      <content type="html">&lt;p&gt;hi&lt;/p&gt;</content></entry>
    <entry><id>tag:a,2025:2</id><title>B</title><summary type="text">plain</summary></entry>
    </feed>"""
    http_server.route("/atom", Reply(200, atom, {"Content-Type": "application/atom+xml"}))
    a, b = (await collect(http_server, fetcher, "/atom")).items
    assert (a.text, a.is_html) == ("<p>hi</p>", True)
    assert a.published_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (b.text, b.is_html) == ("plain", False)


async def test_not_modified_returns_empty_batch(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    http_server.route("/feed", Reply(200, FEED.encode(), {"Content-Type": RSS, "ETag": '"v2"'}))
    source = RssSource(RssSource.Config(url=http_server.url("/feed")))
    first = await source.collect(CollectContext(fetcher=fetcher))
    again = await source.collect(CollectContext(fetcher=fetcher, state=first.state))
    assert again.not_modified and again.items == [] and again.state["etag"] == '"v2"'
    assert http_server.requests_to("/feed")[-1].headers["if-none-match"] == '"v2"'


async def test_malformed_xml_without_entries_is_a_parse_error(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    http_server.route("/bad", Reply(200, b"<rss><channel><title", {"Content-Type": RSS}))
    with pytest.raises(ParseError, match=r"^not a feed: malformed XML: .* at line 1, column"):
        await collect(http_server, fetcher, "/bad")


async def test_malformed_feed_with_entries_keeps_them_and_warns(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    broken = "<rss version='2.0'><channel><title>T</title><item><title>仍然可读 & 保留</title>"
    http_server.route("/broken", Reply(200, broken.encode(), {"Content-Type": RSS}))
    batch = await collect(http_server, fetcher, "/broken")
    assert [i.title for i in batch.items] == ["仍然可读 & 保留"]
    assert batch.state["warning"].startswith("feed is not well-formed, parsed leniently: ")


async def test_html_page_is_not_a_feed(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    page = "<html><body><script>var a = 1;</script><p>首页</p></body></html>"
    http_server.route("/", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    with pytest.raises(ParseError, match=r"^not a feed: "):
        await collect(http_server, fetcher, "/")


async def test_http_error_propagates(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    with pytest.raises(HttpStatusError, match="HTTP 404"):
        await collect(http_server, fetcher, "/gone")


async def test_gbk_feed_mislabelled_as_utf8_decodes(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    feed = (
        "<rss version='2.0'><channel><title>舆情快报</title>"
        "<item><title>朱镕基旧居修缮完成，市民排队参观</title></item></channel></rss>"
    )
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    http_server.route("/gbk", Reply(200, feed.encode("gbk"), headers))
    batch = await collect(http_server, fetcher, "/gbk")
    assert batch.items[0].title == "朱镕基旧居修缮完成，市民排队参观"
    assert "declared as utf-8, but parsed as gb18030" in batch.state["warning"]


@pytest.mark.parametrize(
    ("codec", "title"),
    [("big5", "香港天文台發出暴雨警告"), ("gb2312", "朱镕基"), ("euc-kr", "서울시 뉴스")],
)
async def test_declared_cjk_encodings(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher, codec: str, title: str
):
    feed = f"<?xml version='1.0' encoding='{codec}'?><rss version='2.0'><channel>"
    feed += f"<item><title>{title}</title></item></channel></rss>"
    # 镕 is not in GB2312: the feed parser must widen gb2312 to gb18030.
    data = feed.encode("gbk" if codec == "gb2312" else codec)
    http_server.route("/cjk", Reply(200, data, {"Content-Type": "application/xml"}))
    batch = await collect(http_server, fetcher, "/cjk")
    assert batch.items[0].title == title and "warning" not in batch.state


async def test_max_items_is_reported(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    items = "".join(f"<item><title>n{i}</title></item>" for i in range(5))
    feed = f"<rss version='2.0'><channel>{items}</channel></rss>"
    http_server.route("/many", Reply(200, feed, {"Content-Type": RSS}))
    batch = await collect(http_server, fetcher, "/many", max_items=3)
    assert [i.title for i in batch.items] == ["n0", "n1", "n2"]
    assert batch.state["warning"] == "feed has 5 entries; kept the first 3 (max_items)"


async def test_body_naming_a_local_file_is_not_read(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher, tmp_path: Path
):
    secret = tmp_path / "secret.xml"
    secret.write_text(
        "<rss version='2.0'><channel><item><title>LEAK</title></item></channel></rss>"
    )
    http_server.route("/evil", Reply(200, str(secret), {"Content-Type": RSS}))
    with pytest.raises(ParseError, match=r"^not a feed"):
        await collect(http_server, fetcher, "/evil")
