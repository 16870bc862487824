"""Replays the Weibo cascades into the push endpoint, as a partner's client would.

Originals and their reposts are POSTed at their original relative times,
compressed by the same speed and head start as the demo server, so cascades
grow in the store the way they grew on Weibo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx

from groundswell.demo.dataset import DemoRecord, ReplayClock, load_dataset

log = logging.getLogger(__name__)

PUSH_SOURCE_NAME = "demo-weibo-push"
MAX_IDLE_WAIT = 1.0  # seconds between checks while waiting for the next item


def push_source_spec(token: str) -> dict:
    """The push source the demo registers; the replayer authenticates with `token`."""
    return {"name": PUSH_SOURCE_NAME, "kind": "push", "config": {"token": token}}


def push_item(rec: DemoRecord) -> dict[str, Any]:
    """The push API's item shape; optional fields are left out when empty."""
    item: dict[str, Any] = {"id": rec.id}
    if rec.title:
        item["title"] = rec.title
    item["text"] = rec.text
    if rec.author:
        item["author"] = rec.author
    item["published_at"] = rec.time.isoformat()
    if rec.parent:
        item["parent"] = rec.parent
    return item


class PushReplayer:
    """POSTs due items in batches of at most `batch_size`, retrying failures with backoff."""

    def __init__(
        self,
        endpoint_url: str,
        token: str,
        speed: float = 1440.0,
        head_start: timedelta = timedelta(hours=6),
        batch_size: int = 100,
        *,
        records: Sequence[DemoRecord] | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= batch_size <= 100:
            raise ValueError("batch_size must be between 1 and 100")
        self.endpoint_url = endpoint_url
        self.token = token
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.clock = ReplayClock(speed, head_start, clock)
        recs = load_dataset("weibo_zh") if records is None else records
        self.records: list[DemoRecord] = sorted(recs, key=lambda r: r.time)
        self.failed = 0  # items given up on after all retries

    async def run(self, stop: asyncio.Event) -> int:
        """Send items as they fall due until done or `stop` is set; returns items accepted."""
        if not self.records:
            return 0
        origin = self.records[0].time
        self.clock.start()
        sent = pos = 0
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=self.timeout) as client:
            while pos < len(self.records) and not stop.is_set():
                now = self.clock.virtual_now(origin)
                due = pos
                while due < len(self.records) and self.records[due].time <= now:
                    due += 1
                for start in range(pos, due, self.batch_size):
                    if stop.is_set():
                        return sent
                    batch = self.records[start : min(start + self.batch_size, due)]
                    if await self._post(client, batch, stop):
                        sent += len(batch)
                    else:
                        self.failed += len(batch)
                pos = due
                if pos < len(self.records):
                    wait = self.clock.real_delay(origin, self.records[pos].time)
                    await _sleep(stop, min(max(wait, 0.0), MAX_IDLE_WAIT))
        log.info("push replay: %d items sent, %d failed", sent, self.failed)
        return sent

    async def _post(
        self, client: httpx.AsyncClient, batch: Sequence[DemoRecord], stop: asyncio.Event
    ) -> bool:
        """One batch, with retries on network errors, 429 and 5xx; other 4xx are final."""
        payload = {"items": [push_item(r) for r in batch]}
        for attempt in range(self.retries + 1):
            try:
                resp = await client.post(self.endpoint_url, json=payload)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if resp.is_success:
                    return True
                problem = f"HTTP {resp.status_code}"
                if resp.status_code != 429 and resp.status_code < 500:
                    log.error("push replay: batch of %d rejected (%s)", len(batch), problem)
                    return False
            if attempt < self.retries:
                delay = self.backoff * 2**attempt
                log.warning("push replay: %s; retry in %.1fs", problem, delay)
                if await _sleep(stop, delay):
                    return False
        log.error("push replay: batch of %d dropped after %d tries", len(batch), self.retries + 1)
        return False


async def _sleep(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`, waking early when stopped; returns True if stopped."""
    if seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
    else:
        await asyncio.sleep(0)  # still yield to the loop
    return stop.is_set()
