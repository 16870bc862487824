"""Pure renderers for the demo server: RSS 2.0 feeds and portal-like HTML pages.

Everything that comes from data is escaped here, once, in one place: RSS titles
are plain text (XML-escaped), RSS descriptions are HTML (HTML- then XML-escaped),
and pages are HTML-escaped. Pages carry nav, footer and script boilerplate on
purpose so that main-text extraction is exercised by the demo.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as _xml_escape

from groundswell.demo.dataset import DemoRecord

# Characters XML 1.0 forbids (C0 controls except tab/newline/CR, surrogates, FFFE/FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR = {'"': "&quot;", "'": "&apos;"}


def xml_text(value: str) -> str:
    return _xml_escape(_XML_INVALID.sub("", value))


def xml_attr(value: str) -> str:
    return _xml_escape(_XML_INVALID.sub("", value), _ATTR)


def h(value: str) -> str:
    """HTML-escape text or an attribute value."""
    return html.escape(_XML_INVALID.sub("", value), quote=True)


def rfc822(dt: datetime) -> str:
    return format_datetime(dt)


def _item_xml(rec: DemoRecord, link: str, guid: str, feed_url: str) -> str:
    parts = ["<item>"]
    if rec.title:
        parts.append(f"<title>{xml_text(rec.title)}</title>")
    parts.append(f"<link>{xml_text(link)}</link>")
    parts.append(f'<guid isPermaLink="false">{xml_text(guid)}</guid>')
    parts.append(f"<pubDate>{rfc822(rec.time)}</pubDate>")
    as_html = html.escape(_XML_INVALID.sub("", rec.text), quote=False)
    parts.append(f"<description>{xml_text(as_html)}</description>")
    if rec.author:
        parts.append(f"<dc:creator>{xml_text(rec.author)}</dc:creator>")
    if rec.publisher:
        parts.append(f'<source url="{xml_attr(feed_url)}">{xml_text(rec.publisher)}</source>')
    parts.append("</item>")
    return "".join(parts)


def rss_feed(
    *,
    title: str,
    description: str,
    site_url: str,
    feed_url: str,
    lang: str,
    items: Sequence[tuple[DemoRecord, str, str]],  # (record, link, guid), newest first
) -> bytes:
    """An RSS 2.0 document; lastBuildDate is the newest item's time so bytes are stable."""
    built = rfc822(items[0][0].time) if items else None
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        f"<title>{xml_text(title)}</title>",
        f"<link>{xml_text(site_url)}</link>",
        f"<description>{xml_text(description)}</description>",
        f"<language>{xml_text(lang)}</language>",
        f'<atom:link href="{xml_attr(feed_url)}" rel="self" type="application/rss+xml"/>',
    ]
    if built:
        head.append(f"<lastBuildDate>{built}</lastBuildDate>")
    body = [_item_xml(rec, link, guid, feed_url) for rec, link, guid in items]
    tail = ["</channel>", "</rss>", ""]
    return "\n".join(head + body + tail).encode("utf-8")


_ZH_SCRIPT = (
    "<script>\n"
    "  window.dataLayer = window.dataLayer || [];\n"
    "  function track(){ dataLayer.push(arguments); }\n"
    "  track('page', '热点观察');\n"
    "</script>"
)
_EN_SCRIPT = (
    "<script>\n"
    "  window.analytics = window.analytics || [];\n"
    "  analytics.push(['pageview', location.pathname]);\n"
    "</script>"
)


def _zh_page(title: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="gb18030">
<title>{h(title)} - 热点观察</title>
{_ZH_SCRIPT}
</head>
<body>
<header><div class="logo">热点观察</div>
<nav><ul><li><a href="/">首页</a></li><li><a href="/hot/">热搜榜</a></li>\
<li><a href="/about.html">关于我们</a></li></ul></nav></header>
<main>
{main}
</main>
<footer><p>© 热点观察 演示门户 版权所有 · 本站内容为演示回放数据</p>\
<p><a href="/about.html">联系我们</a> | <a href="/robots.txt">robots.txt</a></p></footer>
<script>document.querySelectorAll('a').forEach(function(a){{a.rel='noopener';}});</script>
</body>
</html>
"""


def hot_list_page(items: Sequence[DemoRecord]) -> bytes:
    """The portal's list page: newest topics first, as GB18030 bytes."""
    lis = "\n".join(
        f'<li><a href="/hot/{h(r.id)}.html">{h(r.title or r.text)}</a>'
        f' <span class="when">{r.time:%m-%d %H:%M}</span></li>'
        for r in items
    )
    main = (
        f'<section class="hot-list"><h2>实时热搜</h2>\n<ol class="topics">\n{lis}\n</ol></section>'
    )
    return _zh_page("实时热搜", main).encode("gb18030")


def hot_article_page(rec: DemoRecord) -> bytes:
    """A topic page with title, time and one paragraph, as GB18030 bytes."""
    title = rec.title or rec.text
    rank = rec.extra.get("rank")
    where = f"热搜榜第{rank}位" if rank else "热搜推荐"
    main = (
        f"<article>\n<h1>{h(title)}</h1>\n"
        f'<div class="meta"><time datetime="{rec.time.isoformat()}">'
        f"{rec.time:%Y年%m月%d日 %H:%M}</time> 来源：微博热搜 · {where}</div>\n"
        f"<p>{h(rec.text)}</p>\n</article>\n"
        '<aside class="related"><h3>相关推荐</h3><ul><li><a href="/hot/">更多热搜</a></li></ul>'
        "</aside>"
    )
    return _zh_page(title, main).encode("gb18030")


def article_page(rec: DemoRecord, *, site: str, lang: str = "en") -> bytes:
    """An English article page (news headline or a post), UTF-8."""
    title = rec.title or (rec.text[:80] + ("…" if len(rec.text) > 80 else ""))
    byline = f'<div class="byline">{h(rec.publisher)}</div>\n' if rec.publisher else ""
    return f"""<!DOCTYPE html>
<html lang="{h(lang)}">
<head>
<meta charset="utf-8">
<title>{h(title)} | {h(site)}</title>
{_EN_SCRIPT}
</head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/feeds/">Feeds</a></li></ul></nav>\
</header>
<main>
<article>
<h1>{h(title)}</h1>
{byline}<time datetime="{rec.time.isoformat()}">{rec.time:%d %b %Y %H:%M %z}</time>
<p>{h(rec.text)}</p>
</article>
</main>
<footer><p>{h(site)} · demo replay of public data · <a href="/robots.txt">robots</a></p></footer>
</body>
</html>
""".encode()


def index_page(links: Sequence[tuple[str, str]]) -> bytes:
    lis = "\n".join(f'<li><a href="{h(url)}">{h(label)}</a></li>' for label, url in links)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Groundswell demo replay</title></head>\n<body><h1>Groundswell demo replay</h1>\n"
        f"<ul>\n{lis}\n</ul>\n</body></html>\n"
    ).encode()
