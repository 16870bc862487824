"""A real local HTTP server for tests: threaded, on 127.0.0.1, on a free port.

Tests of anything that fetches (the fetcher, RSS and web sources, the demo) talk
to this server over real sockets instead of mocking httpx, so timeouts, size
limits, redirects and encodings are exercised for real.

Fixtures (registered via `pytest_plugins = ["tests.support.http_server"]`):

- `http_server`: a fresh server per test.
- `http_server_module`: one server per test module (call `.reset()` if needed).

Routes map a path to one or more replies; successive requests get successive
replies and the last one repeats (so `route("/x", Reply(429), Reply(200))`
means "429 once, then 200 forever")::

    def test_feed(http_server):
        http_server.route("/feed", Reply(200, FEED_BYTES, {"Content-Type": "application/rss+xml"}))
        http_server.route("/hello", "plain text body")  # str/bytes: 200 with that body
        http_server.route("/echo", lambda req: Reply(200, req.headers.get("user-agent", "")))
        http_server.route("/slow", Reply(200, b"late", delay=2.0))  # sleeps before the status line
        http_server.route("/big", Reply(200, lambda: (b"x" * 65536 for _ in range(800))))
        http_server.route("/trickle", Reply(200, lambda: iter([b"a"] * 100), chunk_delay=0.1))
        url = http_server.url("/feed")  # http://127.0.0.1:PORT/feed ; host="localhost" also works
        ...
        assert http_server.requests_to("/feed")[0].headers["user-agent"].startswith("Groundswell")

Like a real static server, a 200 reply that carries ETag or Last-Modified
answers a matching If-None-Match / If-Modified-Since with 304 and no body
(`Reply(..., conditional=False)` turns that off).

A reply body may be bytes, str (UTF-8), an iterable of byte chunks, or a
zero-argument callable returning one (use this for generators, so the reply can
be served more than once). Iterable bodies are sent with chunked encoding unless
the reply sets Content-Length itself (which may lie, on purpose). A route
handler may also be a callable taking the `Request` and returning a `Reply`.
Every request is recorded in `server.requests` with its arrival time
(`time.monotonic()`), method, path, lower-cased headers and body. Unknown paths
get 404 (so an unrouted /robots.txt means "allow all"). Paths are matched with
the query string first, then without it; any method matches, and a handler can
look at `request.method`. The server is on 127.0.0.1, which the fetcher's SSRF
guard refuses by default: use `FetchPolicy(allowed_hosts=frozenset({"127.0.0.1",
"localhost"}), per_host_interval=0.0)` in tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Body = bytes | str | Iterable[bytes] | Callable[[], Iterable[bytes]]


@dataclass
class Reply:
    """One canned response."""

    status: int = 200
    body: Body = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before sending the status line
    chunk_delay: float = 0.0  # seconds to wait before each body chunk
    conditional: bool = True  # a 200 with ETag/Last-Modified answers 304 when they match


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival


Handler = Callable[[Request], Reply]
RouteItem = Reply | Handler | bytes | str


class _Route:
    def __init__(self, items: tuple[RouteItem, ...]) -> None:
        self.items = items
        self.hits = 0
        self.lock = threading.Lock()

    def next_item(self) -> RouteItem:
        with self.lock:
            item = self.items[min(self.hits, len(self.items) - 1)]
            self.hits += 1
            return item


class LocalHTTPServer:
    """The server; use as a context manager or through the fixtures."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.routes: dict[str, _Route] = {}
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((self.host, 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> LocalHTTPServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers sleeping in delays
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def route(self, path: str, *items: RouteItem) -> None:
        """Serve `items` in turn at `path` (last one repeats); replaces an existing route."""
        if not items:
            raise ValueError("route needs at least one reply")
        self.routes[path] = _Route(items)

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path or r.path == path]

    def reset(self) -> None:
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _resolve(self, request: Request) -> Reply:
        route = self.routes.get(request.path) or self.routes.get(request.path.split("?", 1)[0])
        if route is None:
            return Reply(404, f"no route for {request.path}\n")
        item = route.next_item()
        if isinstance(item, bytes | str):
            item = Reply(200, item)
        reply = item if isinstance(item, Reply) else item(request)
        return _not_modified(reply, request) or reply


def _not_modified(reply: Reply, request: Request) -> Reply | None:
    """A 304 for a matching conditional GET, as a real static file server would send."""
    if reply.status != 200 or not reply.conditional:
        return None
    headers = {k.lower(): v for k, v in reply.headers.items()}
    etag, stamp = headers.get("etag"), headers.get("last-modified")
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        matched = etag is not None and ("*" in tags or etag.removeprefix("W/") in tags)
    else:
        matched = stamp is not None and request.headers.get("if-modified-since") == stamp
    if not matched:
        return None
    kept = {k: v for k, v in reply.headers.items() if k.lower() in ("etag", "last-modified")}
    return Reply(304, b"", kept)


def _chunks(body: Body) -> tuple[bytes | None, Iterable[bytes]]:
    """(whole body, or None when streamed; chunks)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, bytes):
        return body, [body]
    if callable(body):
        body = body()
    return None, body


def _make_handler(server: LocalHTTPServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers+body writes cost a 40 ms delayed ACK

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def handle(self) -> None:
            try:
                super().handle()
            except ConnectionError:  # the client went away mid-request; not a test failure
                self.close_connection = True

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
                at=time.monotonic(),
            )
            server._record(request)
            try:
                self._send(server._resolve(request))
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self.close_connection = True  # the client hung up (e.g. a size limit)

        def _send(self, reply: Reply) -> None:
            if reply.delay and server.stopping.wait(reply.delay):
                self.close_connection = True
                return
            whole, chunks = _chunks(reply.body)
            names = {k.lower() for k in reply.headers}
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            chunked = whole is None and "content-length" not in names
            if whole is not None and "content-length" not in names:
                self.send_header("Content-Length", str(len(whole)))
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if self.command == "HEAD":
                return
            for chunk in _iter_chunks(chunks, reply.chunk_delay):
                if chunk:
                    data = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
                    self.wfile.write(data)
                    self.wfile.flush()
            if chunked:
                self.wfile.write(b"0\r\n\r\n")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def _iter_chunks(chunks: Iterable[bytes], delay: float) -> Iterator[bytes]:
        for chunk in chunks:
            if delay and server.stopping.wait(delay):
                return
            yield chunk

    return _Handler


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A fresh local HTTP server for one test."""
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture(scope="module")
def http_server_module() -> Iterator[LocalHTTPServer]:
    """One local HTTP server shared by a test module (cheaper for big parametrised runs)."""
    with LocalHTTPServer() as server:
        yield server
