"""PoliteFetcher against a real local server: limits, retries, robots, politeness."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from groundswell import USER_AGENT
from groundswell.collect.fetcher import FetchPolicy, PoliteFetcher, parse_retry_after
from groundswell.errors import (
    BodyTooLargeError,
    FetchError,
    HttpStatusError,
    RobotsDisallowedError,
)
from tests.support.http_server import LocalHTTPServer, Reply, Request

LOCAL = frozenset({"127.0.0.1", "localhost"})
MB = 1024 * 1024


def policy(**overrides: object) -> FetchPolicy:
    """A fast test policy: local hosts allowed, no politeness pause, tiny backoff."""
    base: dict[str, object] = {
        "per_host_interval": 0.0,
        "allowed_hosts": LOCAL,
        "backoff_base": 0.01,
        "backoff_max": 0.2,
    }
    return FetchPolicy(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.fixture
async def fetcher() -> AsyncIterator[PoliteFetcher]:
    async with PoliteFetcher(policy()) as f:
        yield f


def fifty_megabytes() -> object:
    return (b"x" * MB for _ in range(50))


async def test_sends_honest_user_agent(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    http_server.route("/page", "hello")
    result = await fetcher.fetch(http_server.url("/page"))
    assert result.status == 200 and result.text == "hello"
    agents = {r.headers["user-agent"] for r in http_server.requests}
    assert agents == {USER_AGENT}  # robots.txt request included


async def test_html_full_of_scripts_is_just_bytes(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    page = "<html><head>" + "<script>alert('x')</script>" * 500 + "</head><body>新闻</body></html>"
    http_server.route("/s", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    result = await fetcher.fetch(http_server.url("/s"))
    assert result.text == page
    assert result.encoding == "utf-8"
    assert result.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_fifty_megabyte_body_is_cut_off_early(http_server: LocalHTTPServer, declared: bool):
    headers = {"Content-Length": str(50 * MB)} if declared else {}
    http_server.route("/big", Reply(200, fifty_megabytes, headers))
    started = time.monotonic()
    async with PoliteFetcher(policy(max_body_bytes=2 * MB)) as fetcher:
        with pytest.raises(BodyTooLargeError) as caught:
            await fetcher.fetch(http_server.url("/big"))
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "2,097,152 byte limit" in message and "/big" in message
    if declared:
        assert "52,428,800 bytes (Content-Length)" in message
    else:
        assert "while streaming" in message


async def test_slow_server_hits_read_timeout(http_server: LocalHTTPServer):
    http_server.route("/slow", Reply(200, "late", delay=3.0))
    async with PoliteFetcher(policy(read_timeout=0.5, max_retries=0)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(http_server.url("/slow"))
    assert time.monotonic() - started < 2.5
    assert str(caught.value) == f"GET {http_server.url('/slow')}: read timed out after 0.5s"


async def test_read_timeout_is_retried(http_server: LocalHTTPServer):
    http_server.route("/flaky", Reply(200, "late", delay=3.0), Reply(200, "on time"))
    async with PoliteFetcher(policy(read_timeout=0.3, max_retries=1)) as fetcher:
        result = await fetcher.fetch(http_server.url("/flaky"))
    assert result.text == "on time"
    assert len(http_server.requests_to("/flaky")) == 2


async def test_trickling_server_is_cut_by_total_timeout(http_server: LocalHTTPServer):
    # Each byte arrives well within the read timeout; only the wall-clock cap stops it.
    http_server.route("/trickle", Reply(200, lambda: iter([b"x"] * 1000), chunk_delay=0.1))
    async with PoliteFetcher(policy(read_timeout=0.5, total_timeout=1.0)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(http_server.url("/trickle"))
    assert time.monotonic() - started < 2.5
    assert "gave up after 1.0s in total" in str(caught.value)
    assert len(http_server.requests_to("/trickle")) == 1  # the total cap is not retried


async def test_429_then_200_succeeds_after_retry(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    http_server.route("/feed", Reply(429, headers={"Retry-After": "0"}), Reply(200, "ok"))
    result = await fetcher.fetch(http_server.url("/feed"))
    assert result.status == 200 and result.text == "ok"
    assert len(http_server.requests_to("/feed")) == 2


async def test_retry_after_is_capped_by_backoff_max(http_server: LocalHTTPServer):
    http_server.route("/feed", Reply(429, headers={"Retry-After": "3600"}), Reply(200, "ok"))
    async with PoliteFetcher(policy(backoff_max=0.3)) as fetcher:
        started = time.monotonic()
        result = await fetcher.fetch(http_server.url("/feed"))
    assert result.text == "ok"
    assert 0.25 <= time.monotonic() - started < 2


async def test_503_forever_gives_up_with_http_status_error(http_server: LocalHTTPServer):
    http_server.route("/down", Reply(503, "maintenance"))
    async with PoliteFetcher(policy(max_retries=2)) as fetcher:
        with pytest.raises(HttpStatusError) as caught:
            await fetcher.fetch(http_server.url("/down"))
    assert caught.value.status == 503
    expected = f"GET {http_server.url('/down')}: HTTP 503 Service Unavailable"
    assert str(caught.value) == expected + " (gave up after 3 attempts)"
    assert len(http_server.requests_to("/down")) == 3


async def test_404_is_not_retried(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    with pytest.raises(HttpStatusError) as caught:
        await fetcher.fetch(http_server.url("/missing"))
    assert caught.value.status == 404
    assert str(caught.value).endswith("/missing: HTTP 404 Not Found")
    assert len(http_server.requests_to("/missing")) == 1


async def test_connection_refused_is_a_clear_fetch_error():
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with PoliteFetcher(policy(max_retries=1)) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    assert f"GET http://127.0.0.1:{port}/robots.txt: could not connect" in str(caught.value)
    assert "(tried 2 times)" in str(caught.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
async def test_non_http_schemes_are_refused(fetcher: PoliteFetcher, url: str):
    with pytest.raises(FetchError, match="only http and https URLs are fetched"):
        await fetcher.fetch(url)


async def test_redirects_are_followed_and_capped(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    http_server.route("/old", Reply(301, headers={"Location": "/new"}))
    http_server.route("/new", "moved here")
    http_server.route("/loop", Reply(302, headers={"Location": "/loop"}))
    result = await fetcher.fetch(http_server.url("/old"))
    assert result.url == http_server.url("/new") and result.text == "moved here"
    with pytest.raises(FetchError, match=r"more than 5 redirects"):
        await fetcher.fetch(http_server.url("/loop"))


async def test_robots_disallow_is_refused(http_server: LocalHTTPServer, fetcher: PoliteFetcher):
    http_server.route("/robots.txt", "User-agent: groundswell\nDisallow: /private/\n")
    http_server.route("/private/feed", "secret")
    http_server.route("/public", "fine")
    with pytest.raises(RobotsDisallowedError) as caught:
        await fetcher.fetch(http_server.url("/private/feed"))
    assert str(caught.value) == (
        f"robots.txt at {http_server.url('/robots.txt')} disallows "
        f"{http_server.url('/private/feed')} for user-agent 'Groundswell'"
    )
    assert not http_server.requests_to("/private/feed")
    assert (await fetcher.fetch(http_server.url("/public"))).text == "fine"
    assert len(http_server.requests_to("/robots.txt")) == 1  # cached


async def test_robots_5xx_disallows_the_host(http_server: LocalHTTPServer):
    http_server.route("/robots.txt", Reply(500))
    http_server.route("/feed", "x")
    async with PoliteFetcher(policy(max_retries=0)) as fetcher:
        with pytest.raises(RobotsDisallowedError, match=r"could not be read \(HTTP 500\)"):
            await fetcher.fetch(http_server.url("/feed"))
    assert not http_server.requests_to("/feed")


async def test_robots_can_be_switched_off(http_server: LocalHTTPServer):
    http_server.route("/robots.txt", "User-agent: *\nDisallow: /\n")
    http_server.route("/feed", "x")
    async with PoliteFetcher(policy(respect_robots=False)) as fetcher:
        assert (await fetcher.fetch(http_server.url("/feed"))).text == "x"
    assert not http_server.requests_to("/robots.txt")


async def test_robots_crawl_delay_spaces_requests(http_server: LocalHTTPServer):
    # urllib.robotparser only understands whole seconds.
    http_server.route("/robots.txt", "User-agent: *\nCrawl-delay: 1\n")
    http_server.route("/a", "a")
    async with PoliteFetcher(policy()) as fetcher:
        await asyncio.gather(*(fetcher.fetch(http_server.url("/a")) for _ in range(2)))
    first, second = (r.at for r in http_server.requests_to("/a"))
    assert second - first >= 0.85


async def test_conditional_get_returns_not_modified(
    http_server: LocalHTTPServer, fetcher: PoliteFetcher
):
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def feed(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, "<rss/>", {"ETag": '"v1"', "Last-Modified": stamp})

    http_server.route("/feed", feed)
    first = await fetcher.fetch(http_server.url("/feed"))
    assert (first.etag, first.last_modified, first.not_modified) == ('"v1"', stamp, False)
    second = await fetcher.fetch(
        http_server.url("/feed"), etag=first.etag, last_modified=first.last_modified
    )
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.etag == '"v1"' and second.last_modified == stamp
    last = http_server.requests_to("/feed")[-1]
    assert last.headers["if-modified-since"] == stamp


async def test_per_host_interval_holds_under_concurrency(http_server: LocalHTTPServer):
    http_server.route("/a", "a")
    async with PoliteFetcher(policy(per_host_interval=0.2, per_host_concurrency=4)) as f:
        await asyncio.gather(*(f.fetch(http_server.url("/a")) for _ in range(5)))
    arrivals = sorted(r.at for r in http_server.requests)  # robots.txt counts too
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # Server-side timestamps jitter under load; bunched requests would be ~1 ms apart.
    assert len(gaps) == 5 and min(gaps) >= 0.1
    assert arrivals[-1] - arrivals[0] >= 0.95


async def test_per_host_concurrency_is_capped(http_server: LocalHTTPServer):
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def slow(request: Request) -> Reply:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return Reply(200, "ok")

    http_server.route("/a", slow)
    async with PoliteFetcher(policy(per_host_concurrency=2)) as f:
        await asyncio.gather(*(f.fetch(http_server.url("/a")) for _ in range(6)))
    assert state["peak"] == 2


def test_parse_retry_after_accepts_seconds_and_dates():
    now = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Tue, 31 Dec 2024 00:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
