"""A real local HTTP server that replays the demo data as RSS feeds and a portal.

The demo collects these through the real fetch path (robots.txt, conditional
GET, charset detection, list-page crawling), so the server behaves like the
sites it stands for: ETag/Last-Modified with 304s, a GB18030 Chinese portal,
and items that appear over (compressed) time but keep their original dates.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from groundswell.demo import render
from groundswell.demo.dataset import DemoRecord, ReplayClock, Timeline, load_dataset

log = logging.getLogger(__name__)

FEED_SIZE = 100
HOT_LIST_SIZE = 50
TOP_PUBLISHERS = 5
SERVED_DATASETS = ("news_en", "hot_zh", "crisis_en", "airline_en")
# article route -> dataset behind it
SECTIONS = {"news": "news_en", "crisis": "crisis_en", "airline": "airline_en", "hot": "hot_zh"}
HOT_LINK_PATTERN = r"/hot/\d+\.html$"
_ARTICLE = re.compile(r"^/(news|crisis|airline|hot)/([0-9A-Za-z_-]+)\.html$")
_FEED = re.compile(r"^/feeds/([a-z0-9-]+)\.xml$")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug.removeprefix("the-") or "x"


@dataclass(frozen=True)
class Feed:
    """One served RSS feed: a slice of a dataset, paced by that dataset's clock."""

    slug: str  # "news-reuters" -> /feeds/news-reuters.xml, source "demo-news-reuters"
    title: str
    description: str
    dataset: str
    section: str
    lang: str
    timeline: Timeline


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    etag: str | None = None
    last_modified: datetime | None = None


def _not_found() -> Response:
    return Response(404, b"not found\n")


class DemoServer:
    """Replays demo datasets over HTTP on 127.0.0.1 at `speed` x real time.

    Each dataset replays from its own earliest item: its virtual now is
    earliest + head_start + real seconds since start() x speed, and an item is
    served once its original time <= virtual now. Exhausted datasets stay complete.
    """

    def __init__(
        self,
        speed: float = 1440.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        head_start: timedelta = timedelta(hours=6),
        clock: Callable[[], float] = time.monotonic,
        datasets: Mapping[str, Sequence[DemoRecord]] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.clock = ReplayClock(speed, head_start, clock)
        given = dict(datasets or {})
        self.timelines: dict[str, Timeline] = {
            name: Timeline(given[name] if name in given else load_dataset(name))
            for name in SERVED_DATASETS
        }
        self.feeds: dict[str, Feed] = {f.slug: f for f in self._make_feeds()}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None

    def _make_feeds(self) -> list[Feed]:
        news = self.timelines["news_en"]
        counts = Counter(r.publisher or "" for r in news.records)
        top = [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if p]
        top = top[:TOP_PUBLISHERS]
        feeds = []
        for pub in top:
            recs = [r for r in news.records if r.publisher == pub]
            feeds.append(
                Feed(
                    f"news-{slugify(pub)}",
                    f"{pub} (demo replay)",
                    f"Headlines from {pub}",
                    "news_en",
                    "news",
                    "en",
                    Timeline(recs),
                )
            )
        other = [r for r in news.records if r.publisher not in top]
        if other:
            feeds.append(
                Feed(
                    "news-other",
                    "Other publishers (demo replay)",
                    "Headlines, other outlets",
                    "news_en",
                    "news",
                    "en",
                    Timeline(other),
                )
            )
        for ds, slug, title in (
            ("crisis_en", "crisis", "Crisis tweets (CrisisLex T26, demo replay)"),
            ("airline_en", "airline", "Tweets to US airlines (demo replay)"),
        ):
            tl = self.timelines[ds]
            if len(tl):
                feeds.append(Feed(slug, title, title, ds, slug, "en", tl))
        return feeds

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        """Bind, start serving in a daemon thread and start the replay clock."""
        if self._httpd is not None:
            raise RuntimeError("DemoServer already started")
        handler = type("DemoHandler", (_Handler,), {"demo": self})
        httpd = ThreadingHTTPServer((self.host, self.port), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        host, port = httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self.clock.start()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"demo-server-{port}",
        )
        self._thread.start()
        log.info("demo server at %s (speed x%g)", self.base_url, self.clock.speed)
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- replay ----------------------------------------------------------------------------

    def virtual_now(self, dataset: str) -> datetime:
        return self.clock.virtual_now(self.timelines[dataset].earliest)

    def visible(self, timeline: Timeline, dataset: str) -> list[DemoRecord]:
        return timeline.visible(self.virtual_now(dataset))

    def source_specs(self) -> list[dict]:
        """Sources the demo registers: one per feed, plus the Chinese portal."""
        base = self._base()
        specs: list[dict] = [
            {
                "name": f"demo-{f.slug}",
                "kind": "rss",
                "config": {"url": f"{base}/feeds/{f.slug}.xml"},
            }
            for f in self.feeds.values()
        ]
        specs.append(
            {
                "name": "demo-hot-portal",
                "kind": "web",
                "config": {
                    "url": f"{base}/hot/",
                    "link_selector": "li a",
                    "link_pattern": HOT_LINK_PATTERN,
                    "max_articles": HOT_LIST_SIZE,
                    "title_selector": "h1",
                    "text_selector": "article p",
                    "time_selector": "time",
                },
            }
        )
        return specs

    def status(self) -> dict[str, dict[str, object]]:
        """Per dataset: virtual now, items visible and total (for progress displays)."""
        out: dict[str, dict[str, object]] = {}
        for name, tl in self.timelines.items():
            if not len(tl):
                continue
            now = self.virtual_now(name)
            out[name] = {
                "virtual_now": now.isoformat(),
                "visible": tl.visible_count(now),
                "total": len(tl),
            }
        return out

    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError("DemoServer not started")
        return self.base_url

    # -- routing ---------------------------------------------------------------------------

    def respond(self, path: str) -> Response:
        """Build the response for a request path (no I/O: easy to reason about)."""
        if path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n")
        if path in ("/", "/feeds/"):
            return self._index()
        if path == "/status.json":
            return Response(200, json.dumps(self.status()).encode(), "application/json")
        if path in ("/hot/", "/hot"):
            return self._hot_list()
        if m := _FEED.match(path):
            return self._feed(m.group(1))
        if m := _ARTICLE.match(path):
            return self._article(m.group(1), m.group(2))
        return _not_found()

    def _index(self) -> Response:
        links = [(f.title, f"/feeds/{f.slug}.xml") for f in self.feeds.values()]
        links.append(("热点观察 (hot-search portal, GB18030)", "/hot/"))
        return Response(200, render.index_page(links), "text/html; charset=utf-8")

    def _feed(self, slug: str) -> Response:
        feed = self.feeds.get(slug)
        if feed is None:
            return _not_found()
        base = self._base()
        shown = self.visible(feed.timeline, feed.dataset)[-FEED_SIZE:][::-1]
        items = [
            (r, f"{base}/{feed.section}/{r.id}.html", f"demo:{feed.dataset}:{r.id}") for r in shown
        ]
        body = render.rss_feed(
            title=feed.title,
            description=feed.description,
            site_url=f"{base}/",
            feed_url=f"{base}/feeds/{slug}.xml",
            lang=feed.lang,
            items=items,
        )
        return self._validated(body, "application/rss+xml; charset=utf-8", slug, shown)

    def _hot_list(self) -> Response:
        shown = self.visible(self.timelines["hot_zh"], "hot_zh")[-HOT_LIST_SIZE:][::-1]
        body = render.hot_list_page(shown)
        return self._validated(body, "text/html; charset=gb18030", "hot", shown)

    def _article(self, section: str, rid: str) -> Response:
        dataset = SECTIONS[section]
        tl = self.timelines[dataset]
        rec = tl.by_id.get(rid)
        if rec is None or rec.time > self.virtual_now(dataset):
            return _not_found()  # unknown, or not yet "published"
        if section == "hot":
            return Response(
                200,
                render.hot_article_page(rec),
                "text/html; charset=gb18030",
                last_modified=rec.time,
            )
        site = rec.publisher or {"crisis": "Crisis watch", "airline": "Airline watch"}.get(
            section, "News"
        )
        page = render.article_page(rec, site=site)
        return Response(200, page, "text/html; charset=utf-8", last_modified=rec.time)

    @staticmethod
    def _validated(body: bytes, ctype: str, key: str, shown: Sequence[DemoRecord]) -> Response:
        """Attach validators: the ETag names how many items are shown and the newest one."""
        newest = shown[0] if shown else None
        tag = f'"{key}-{len(shown)}-{newest.id if newest else 0}"'
        return Response(200, body, ctype, tag, newest.time if newest else None)


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def _not_modified(headers: Mapping[str, str], resp: Response) -> bool:
    """RFC 9110: If-None-Match wins; otherwise If-Modified-Since against Last-Modified."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        return resp.etag is not None and _etag_matches(inm, resp.etag)
    ims = headers.get("If-Modified-Since")
    if ims and resp.last_modified is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return resp.last_modified.replace(microsecond=0) <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP glue: route with DemoServer.respond, then add caching headers."""

    demo: DemoServer
    protocol_version = "HTTP/1.1"
    server_version = "GroundswellDemo/1.0"
    timeout = 30  # idle keep-alive connections do not linger forever

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        path = urlsplit(self.path).path or "/"
        try:
            resp = self.demo.respond(path)
        except Exception:  # a bug in the demo must surface as a 500, and in the log
            log.exception("demo server failed on %s", path)
            resp = Response(500, b"internal error\n")
        status = resp.status
        if status == 200 and _not_modified(self.headers, resp):
            status = 304
        self.send_response(status)
        if resp.etag:
            self.send_header("ETag", resp.etag)
        if resp.last_modified is not None:
            lm = format_datetime(resp.last_modified.astimezone(UTC), usegmt=True)
            self.send_header("Last-Modified", lm)
        body = b"" if status == 304 else resp.body
        if status != 304:
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("demo %s - %s", self.address_string(), format % args)
