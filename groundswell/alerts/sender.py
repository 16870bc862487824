"""The outbox sender: deliver due messages, each channel on its own, and record every attempt.

Messages are sent concurrently with a time limit each, so a dead or slow channel
never holds up the others; a failure is retried with backoff until the
attempts run out, and then the message is marked dead, visibly, not dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine

from groundswell.alerts.clock import Clock, SystemClock
from groundswell.alerts.notifiers import DeliveryError, Notifier, build_notifier
from groundswell.alerts.payload import message_from_json
from groundswell.errors import ConfigError
from groundswell.metrics import DELIVERIES
from groundswell.settings import Settings
from groundswell.store.alert_rules import Channel, list_channels
from groundswell.store.outbox import Claimed, claim_due, record_attempt

# Whatever a channel's own timeout, one attempt never takes longer than this.
ATTEMPT_LIMIT_SECONDS = 30.0


@dataclass
class Outcome:
    claimed: Claimed
    kind: str
    ok: bool
    duration_ms: float
    error: str | None = None
    retryable: bool | None = None
    receipt: str | None = None


@dataclass
class OutboxSender:
    engine: Engine
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    _notifiers: dict[str, Notifier] = field(default_factory=dict)

    async def deliver_due(self, client: httpx.AsyncClient | None = None) -> dict[str, int]:
        """One pass: claim what is due, send it all at once, record each result."""
        now = self.clock.now()
        claimed, channels = await asyncio.to_thread(self._claim, now)
        if not claimed:
            return {}
        own = client is None
        client = client or httpx.AsyncClient(follow_redirects=False)
        try:
            outcomes = await asyncio.gather(
                *(self._send(c, channels.get(c.channel_id), client) for c in claimed)
            )
        finally:
            if own:
                await client.aclose()
        return await asyncio.to_thread(self._record, outcomes)

    def _claim(self, now: Any) -> tuple[list[Claimed], dict[int, Channel]]:
        with self.engine.begin() as conn:
            claimed = claim_due(conn, now)
            channels = {c.id: c for c in list_channels(conn)} if claimed else {}
        return claimed, channels

    def _record(self, outcomes: list[Outcome]) -> dict[str, int]:
        tally: dict[str, int] = {}
        with self.engine.begin() as conn:
            for o in outcomes:
                status = record_attempt(
                    conn,
                    o.claimed,
                    now=self.clock.now(),
                    ok=o.ok,
                    duration_ms=o.duration_ms,
                    error=o.error,
                    retryable=o.retryable,
                    receipt=o.receipt,
                    max_attempts=self.settings.alert_max_attempts,
                )
                tally[status] = tally.get(status, 0) + 1
                DELIVERIES.labels(o.kind, status).inc()
        return tally

    async def _send(
        self, claimed: Claimed, channel: Channel | None, client: httpx.AsyncClient
    ) -> Outcome:
        started = time.perf_counter()

        def done(**kw: Any) -> Outcome:
            elapsed = (time.perf_counter() - started) * 1000
            kind = channel.kind if channel is not None else "?"
            return Outcome(claimed, kind, duration_ms=elapsed, **kw)

        if channel is None or not channel.enabled:
            return done(ok=False, error="the channel was removed or disabled", retryable=False)
        try:
            notifier = self._notifier(channel, claimed.address)
            message = message_from_json(claimed.payload)
            receipt = await asyncio.wait_for(
                notifier.send(message, client), timeout=ATTEMPT_LIMIT_SECONDS
            )
        except DeliveryError as exc:
            return done(ok=False, error=str(exc), retryable=exc.retryable)
        except ConfigError as exc:
            return done(ok=False, error=f"channel config: {exc}", retryable=False)
        except TimeoutError:
            return done(ok=False, error=f"no answer in {ATTEMPT_LIMIT_SECONDS:g} s", retryable=True)
        except Exception as exc:  # a notifier bug must not stop the other channels
            return done(ok=False, error=f"{type(exc).__name__}: {exc}", retryable=True)
        return done(
            ok=True,
            receipt=receipt.status + (f" id={receipt.remote_id}" if receipt.remote_id else ""),
        )

    def _notifier(self, channel: Channel, address: str | None) -> Notifier:
        config = dict(channel.config)
        if address is not None:
            config["to"] = [address]
        key = hashlib.sha256(
            json.dumps([channel.kind, config], sort_keys=True, default=str).encode()
        ).hexdigest()
        if key not in self._notifiers:
            self._notifiers[key] = build_notifier(channel.kind, config)
        return self._notifiers[key]
