"""robots.txt per scheme+host, cached, interpreted as RFC 9309 says.

2xx: obey the rules. 4xx: no rules, allow all. 5xx (and 429): assume the site
wants no crawling and disallow everything on it, with a message saying so,
until the short error TTL lets us try again. Network failures propagate as
FetchError (nothing is fetched from the host either way).
The fetch itself is injected, so it goes through the fetcher's SSRF guard,
politeness and size limits like any other request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from groundswell.errors import RobotsDisallowedError

# Called with the robots.txt URL; returns (status, body) or raises FetchError.
RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]

ROBOTS_MAX_BYTES = 512_000  # RFC 9309 asks crawlers to parse at least 500 KiB


@dataclass
class RobotsRules:
    """What one robots.txt said, or why we could not read it."""

    robots_url: str
    fetched_at: float
    parser: RobotFileParser | None = None  # None: allow all (4xx) or unreachable
    unreachable: str | None = None  # reason; set means disallow all

    def can_fetch(self, user_agent: str, url: str) -> bool:
        if self.unreachable is not None:
            return False
        return self.parser is None or self.parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


def robots_url_for(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}/robots.txt"


def rules_from_response(robots_url: str, status: int, body: bytes) -> RobotsRules:
    """Interpret a robots.txt response per RFC 9309 section 2.3.1."""
    now = time.monotonic()
    if 200 <= status < 300:
        parser = RobotFileParser(robots_url)
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return RobotsRules(robots_url, now, parser=parser)
    if 400 <= status < 500 and status != 429:
        return RobotsRules(robots_url, now)
    return RobotsRules(robots_url, now, unreachable=f"HTTP {status}")


class RobotsCache:
    """Caches parsed robots.txt per scheme+host; one fetch at a time per host."""

    def __init__(
        self,
        fetch: RobotsFetch,
        user_agent: str,
        *,
        ttl: float = 3600.0,
        error_ttl: float = 300.0,
    ) -> None:
        self._fetch = fetch
        self.user_agent = user_agent
        self.ttl = ttl
        self.error_ttl = error_ttl
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules_for(self, url: str) -> RobotsRules:
        robots_url = robots_url_for(url)
        lock = self._locks.setdefault(robots_url, asyncio.Lock())
        async with lock:
            rules = self._rules.get(robots_url)
            if rules is None or self._expired(rules):
                rules = await self._load(robots_url)
                self._rules[robots_url] = rules
            return rules

    def _expired(self, rules: RobotsRules) -> bool:
        ttl = self.error_ttl if rules.unreachable is not None else self.ttl
        return time.monotonic() - rules.fetched_at > ttl

    async def _load(self, robots_url: str) -> RobotsRules:
        # Network failures (DNS, refused, timeouts, SSRF guard) propagate as the
        # FetchError they are, uncached: the page is not fetched either way, and
        # "cannot resolve host" is clearer in source health than a robots error.
        status, body = await self._fetch(robots_url)
        return rules_from_response(robots_url, status, body)

    async def check(self, url: str) -> RobotsRules:
        """Return the rules for `url`'s host, raising RobotsDisallowedError if it is barred."""
        rules = await self.rules_for(url)
        if rules.unreachable is not None:
            raise RobotsDisallowedError(
                f"robots.txt at {rules.robots_url} could not be read ({rules.unreachable}); "
                f"not fetching {url} (RFC 9309: an unreachable robots.txt means disallow all)"
            )
        if not rules.can_fetch(self.user_agent, url):
            token = self.user_agent.split("/", 1)[0]
            raise RobotsDisallowedError(
                f"robots.txt at {rules.robots_url} disallows {url} for user-agent {token!r}"
            )
        return rules

    def clear(self) -> None:
        self._rules.clear()
