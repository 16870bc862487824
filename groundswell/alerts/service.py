"""The alert loops inside `serve`: evaluate soon after posts are stored, deliver at once.

Both loops wake on a poke (a push was stored, a collection run finished, an
alert was written) or after a short interval, whichever comes first, so an
alert reaches its receiver within a second or two of the post that caused it,
not at the next cron tick. Both are idempotent: several processes may run them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import httpx

from groundswell.alerts.clock import Clock, SystemClock
from groundswell.alerts.engine import AlertEngine
from groundswell.alerts.sender import OutboxSender
from groundswell.context import Desk

log = logging.getLogger(__name__)

# The sender also wakes this often for retries that come due.
SENDER_IDLE_SECONDS = 1.0


@dataclass
class AlertService:
    desk: Desk
    clock: Clock = field(default_factory=SystemClock)
    _evaluate: asyncio.Event = field(default_factory=asyncio.Event)
    _deliver: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.engine = AlertEngine(self.desk.engine, self.desk.settings, self.clock)
        self.sender = OutboxSender(self.desk.engine, self.desk.settings, self.clock)

    def poke(self) -> None:
        """New posts were stored: evaluate now rather than at the next interval."""
        self._evaluate.set()

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            await asyncio.gather(self._evaluate_loop(stop), self._deliver_loop(stop, client))

    async def _evaluate_loop(self, stop: asyncio.Event) -> None:
        interval = self.desk.settings.alert_interval_seconds
        while not stop.is_set():
            self._evaluate.clear()
            try:
                report = await asyncio.to_thread(self.engine.run_once)
                if report.messages:
                    self._deliver.set()
            except Exception:  # keep watching; the error is logged, the next pass retries
                log.exception("alert evaluation failed")
            await _wait_any(stop, self._evaluate, interval)

    async def _deliver_loop(self, stop: asyncio.Event, client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            self._deliver.clear()
            try:
                await self.sender.deliver_due(client)
            except Exception:
                log.exception("alert delivery pass failed")
            await _wait_any(stop, self._deliver, SENDER_IDLE_SECONDS)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
