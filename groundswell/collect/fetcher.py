"""The polite fetcher: the one way Groundswell talks HTTP to the outside world.

Every source fetch goes through `PoliteFetcher.fetch`, so politeness (honest
User-Agent, robots.txt, per-host interval and concurrency, backoff on 429/5xx)
and safety (SSRF guard on every redirect hop, size and time limits) are
enforced in one place, and every failure is a `FetchError` whose message can be
shown as-is in source health.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin

import httpx

from groundswell import USER_AGENT
from groundswell.collect.charset import decode_body
from groundswell.collect.robots import ROBOTS_MAX_BYTES, RobotsCache, RobotsRules
from groundswell.collect.ssrf import AddressGuard, GuardedNetworkBackend
from groundswell.errors import BlockedAddressError, BodyTooLargeError, FetchError, HttpStatusError

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_CRAWL_DELAY = 60.0  # honour robots.txt Crawl-delay up to this; beyond it a fetch would stall


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and manners for one fetcher; defaults suit public news sites."""

    user_agent: str = USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # wall-clock cap per request including body (slow-loris servers)
    max_body_bytes: int = 10_000_000  # stream and abort past this -> BodyTooLargeError
    per_host_interval: float = 1.0  # min seconds between request starts to one host
    per_host_concurrency: int = 2
    max_retries: int = 3  # on 429, 5xx, and connect errors/timeouts
    backoff_base: float = (
        1.0  # exponential with jitter; Retry-After honoured, capped at backoff_max
    )
    backoff_max: float = 60.0
    respect_robots: bool = True
    allow_private: bool = False  # turn the SSRF guard off entirely
    allowed_hosts: frozenset[str] = frozenset()  # names, IPs or CIDRs allowed even if private
    max_redirects: int = 5


@dataclass
class FetchResult:
    """A successful (2xx) or not-modified (304) response, body decoded."""

    url: str  # final URL after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    text: str
    encoding: str
    etag: str | None
    last_modified: str | None
    not_modified: bool  # True on 304 (body empty)
    elapsed: float


@dataclass
class _Response:
    url: str
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    attempts: int = 1


class _TransientError(Exception):
    """A failure worth retrying (connect error, timeout, DNS hiccup)."""


class _HostState:
    def __init__(self, interval: float, concurrency: int) -> None:
        self.semaphore = asyncio.Semaphore(max(1, concurrency))
        self.interval = interval
        self.next_start = 0.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"bad URL {url!r}: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"refused {url!r}: only http and https URLs are fetched")
    if not parsed.host:
        raise FetchError(f"bad URL {url!r}: no host")
    return parsed


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~20 ms; share one context across fetchers.
    return httpx.create_ssl_context()


def _guarded_transport(guard: AddressGuard) -> httpx.AsyncHTTPTransport:
    """httpx transport whose connections go through the connect-time SSRF check."""
    transport = httpx.AsyncHTTPTransport(verify=_default_ssl_context(), trust_env=False)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is not None and backend is not None:
        pool._network_backend = GuardedNetworkBackend(backend, guard)
    else:  # httpx internals moved: the per-hop pre-check still applies
        log.warning("could not pin connections to checked addresses; DNS rebinding unguarded")
    return transport


class PoliteFetcher:
    """Fetches URLs politely and safely; one instance shared by all sources."""

    def __init__(
        self,
        policy: FetchPolicy = FetchPolicy(),
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self._guard = AddressGuard(
            allow_private=policy.allow_private, allowed_hosts=policy.allowed_hosts
        )
        self._pinned = transport is None
        self._client = httpx.AsyncClient(
            transport=transport or _guarded_transport(self._guard),
            follow_redirects=False,
            trust_env=False,  # an env proxy would bypass the address guard
            timeout=httpx.Timeout(
                connect=policy.connect_timeout,
                read=policy.read_timeout,
                write=policy.read_timeout,
                pool=policy.total_timeout,
            ),
            headers={"User-Agent": policy.user_agent},
        )
        self._hosts: dict[str, _HostState] = {}
        self._robots = RobotsCache(self._fetch_robots, policy.user_agent)

    async def __aenter__(self) -> PoliteFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        """GET `url`; raises a FetchError subclass with a user-readable message on failure."""
        started = time.monotonic()
        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        resp = await self._follow(
            url,
            headers,
            max_body=self.policy.max_body_bytes,
            truncate=False,
            robots=self.policy.respect_robots,
        )
        not_modified = resp.status == 304
        if not (200 <= resp.status < 300 or not_modified):
            raise HttpStatusError(_status_message(resp), resp.status)
        text, encoding = decode_body(resp.body, resp.headers.get("content-type"))
        return FetchResult(
            url=resp.url,
            status=resp.status,
            headers=resp.headers,
            body=resp.body,
            text=text,
            encoding=encoding,
            etag=resp.headers.get("etag") or (etag if not_modified else None),
            last_modified=resp.headers.get("last-modified")
            or (last_modified if not_modified else None),
            not_modified=not_modified,
            elapsed=time.monotonic() - started,
        )

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        *,
        max_body: int,
        truncate: bool,
        robots: bool,
    ) -> _Response:
        """Follow redirects by hand so every hop is checked by the guard (and robots)."""
        current = url
        for _ in range(self.policy.max_redirects + 1):
            target = _parse_url(current)
            await self._precheck(target)
            if robots:
                self._apply_crawl_delay(target.host, await self._robots.check(current))
            resp = await self._with_retries(target, headers, max_body=max_body, truncate=truncate)
            location = resp.headers.get("location")
            if resp.status not in REDIRECT_STATUSES or not location:
                return resp
            current = urljoin(str(target), location.strip())
        raise FetchError(
            f"GET {url}: more than {self.policy.max_redirects} redirects (last to {current})"
        )

    async def _precheck(self, url: httpx.URL) -> None:
        """Refuse a blocked address before robots.txt or anything else touches it."""
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            await self._guard.resolve(url.host, port, url=str(url))
        except BlockedAddressError:
            raise
        except FetchError:
            pass  # DNS trouble is reported (and retried) by the request itself

    async def _with_retries(
        self, url: httpx.URL, headers: dict[str, str], *, max_body: int, truncate: bool
    ) -> _Response:
        attempts = self.policy.max_retries + 1
        for attempt in range(attempts):
            final = attempt == attempts - 1
            try:
                resp = await self._exchange(url, headers, max_body=max_body, truncate=truncate)
            except _TransientError as exc:
                if final:
                    note = f" (tried {attempts} times)" if attempts > 1 else ""
                    raise FetchError(f"{exc}{note}") from exc.__cause__
                await asyncio.sleep(self._backoff(attempt, None))
                continue
            resp.attempts = attempt + 1
            if (resp.status == 429 or resp.status >= 500) and not final:
                await asyncio.sleep(self._backoff(attempt, resp.headers.get("retry-after")))
                continue
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        policy = self.policy
        wanted = parse_retry_after(retry_after)
        if wanted is not None:
            return min(wanted, policy.backoff_max)
        delay = min(policy.backoff_max, policy.backoff_base * 2**attempt)
        return delay / 2 + random.uniform(0, delay / 2)

    async def _exchange(
        self, url: httpx.URL, headers: dict[str, str], *, max_body: int, truncate: bool
    ) -> _Response:
        """One request and its body, inside the host's politeness slot and time cap."""
        shown = str(url)
        port = url.port or (443 if url.scheme == "https" else 80)
        policy = self.policy
        async with self._slot(url.host):
            if not self._pinned:  # our own transport re-checks at connect time instead
                try:
                    await self._guard.resolve(url.host, port, url=shown)
                except BlockedAddressError:
                    raise
                except FetchError as exc:  # DNS failures are often transient
                    raise _TransientError(str(exc)) from exc
            try:
                async with asyncio.timeout(policy.total_timeout):
                    return await self._send(url, headers, max_body=max_body, truncate=truncate)
            except TimeoutError as exc:
                raise FetchError(
                    f"GET {shown}: gave up after {policy.total_timeout}s in total "
                    "(server too slow to send the response)"
                ) from exc
            except httpx.ConnectTimeout as exc:
                msg = f"GET {shown}: connect timed out after {policy.connect_timeout}s"
                raise _TransientError(msg) from exc
            except httpx.ReadTimeout as exc:
                msg = f"GET {shown}: read timed out after {policy.read_timeout}s"
                raise _TransientError(msg) from exc
            except httpx.TimeoutException as exc:
                raise _TransientError(f"GET {shown}: timed out ({type(exc).__name__})") from exc
            except httpx.ConnectError as exc:
                raise _TransientError(f"GET {shown}: could not connect: {exc}") from exc
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                raise _TransientError(f"GET {shown}: connection failed: {exc}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"GET {shown}: {type(exc).__name__}: {exc}") from exc

    async def _send(
        self, url: httpx.URL, headers: dict[str, str], *, max_body: int, truncate: bool
    ) -> _Response:
        request = self._client.build_request("GET", url, headers=headers)
        response = await self._client.send(request, stream=True)
        try:
            body = b""
            if 200 <= response.status_code < 300:
                body = await _read_body(response, str(url), max_body, truncate)
            return _Response(
                url=str(url),
                status=response.status_code,
                reason=response.reason_phrase,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=body,
            )
        finally:
            await response.aclose()

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Cap concurrent requests per host and space their starts by the interval."""
        state = self._host_state(host)
        async with state.semaphore:
            loop = asyncio.get_running_loop()
            now = loop.time()
            start = max(now, state.next_start)
            state.next_start = start + state.interval  # reserved before any await: race-free
            if start > now:
                await asyncio.sleep(start - now)
            yield

    def _host_state(self, host: str) -> _HostState:
        key = host.lower()
        state = self._hosts.get(key)
        if state is None:
            state = _HostState(self.policy.per_host_interval, self.policy.per_host_concurrency)
            self._hosts[key] = state
        return state

    def _apply_crawl_delay(self, host: str, rules: RobotsRules) -> None:
        delay = rules.crawl_delay(self.policy.user_agent)
        if delay:
            state = self._host_state(host)
            state.interval = max(self.policy.per_host_interval, min(delay, MAX_CRAWL_DELAY))

    async def _fetch_robots(self, robots_url: str) -> tuple[int, bytes]:
        resp = await self._follow(
            robots_url, {}, max_body=ROBOTS_MAX_BYTES, truncate=True, robots=False
        )
        return resp.status, resp.body


async def _read_body(response: httpx.Response, url: str, limit: int, truncate: bool) -> bytes:
    """Read at most `limit` bytes; past it, stop (robots.txt) or raise BodyTooLargeError."""
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit and not truncate:
        raise BodyTooLargeError(
            f"GET {url}: body of {int(declared):,} bytes (Content-Length) "
            f"is over the {limit:,} byte limit"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            if truncate:
                chunks.append(chunk[: len(chunk) - (size - limit)])
                break
            raise BodyTooLargeError(
                f"GET {url}: body passed the {limit:,} byte limit while streaming; stopped reading"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _status_message(resp: _Response) -> str:
    reason = f" {resp.reason}" if resp.reason else ""
    message = f"GET {resp.url}: HTTP {resp.status}{reason}"
    if resp.status in REDIRECT_STATUSES:
        message += " without a Location header"
    if resp.attempts > 1:
        message += f" (gave up after {resp.attempts} attempts)"
    return message
