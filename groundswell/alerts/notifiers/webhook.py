"""Generic webhook: the whole message as JSON, signed with HMAC-SHA256.

The receiver verifies `X-Groundswell-Signature: sha256=<hex>` where hex is
HMAC-SHA256(secret, f"{X-Groundswell-Timestamp}.{raw body}"), and rejects old
timestamps to stop replays (see docs/alerts/channels.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

import httpx
from pydantic import Field, SecretStr, field_validator

from groundswell.alerts.message import AlertMessage
from groundswell.alerts.notifiers.base import DeliveryReceipt, Notifier, NotifierConfig, register
from groundswell.alerts.notifiers.render import headline, render_text

SIGNATURE_HEADER = "X-Groundswell-Signature"
TIMESTAMP_HEADER = "X-Groundswell-Timestamp"
RESERVED_HEADERS = {SIGNATURE_HEADER.lower(), TIMESTAMP_HEADER.lower(), "content-type"}


class WebhookConfig(NotifierConfig):
    url: str = Field(pattern=r"^https?://")
    secret: SecretStr | None = None  # without one, requests go unsigned
    # e.g. a bearer token for a gateway; values are secrets (kept out of reprs and errors)
    headers: dict[str, SecretStr] = Field(default_factory=dict)

    @field_validator("headers")
    @classmethod
    def _not_ours(cls, headers: dict[str, SecretStr]) -> dict[str, SecretStr]:
        clash = sorted(h for h in headers if h.lower() in RESERVED_HEADERS)
        if clash:
            raise ValueError(f"headers set by Groundswell cannot be overridden: {clash}")
        return headers


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: `sha256=` + hex HMAC-SHA256 of `timestamp.body`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def payload(message: AlertMessage, locale: str) -> dict[str, Any]:
    """The full message as JSON-ready data, plus ready-made headline and text."""
    data = dataclasses.asdict(message)
    data["level_name"] = message.level_name
    data["colour"] = message.colour
    data["headline"] = headline(message, locale)
    data["text"] = render_text(message, locale)
    return {"version": 1, "type": "alert", "alert": data}


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@register
class WebhookNotifier(Notifier):
    """POST JSON to any URL; any 2xx is success."""

    name = "webhook"
    title = "Generic webhook (signed JSON)"
    Config = WebhookConfig
    config: WebhookConfig

    def body(self, message: AlertMessage) -> bytes:
        data = payload(message, self.config.locale)
        return json.dumps(data, ensure_ascii=False, default=_json_default).encode("utf-8")

    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        body = self.body(message)
        timestamp = str(int(time.time()))
        headers = {
            **{name: value.get_secret_value() for name, value in self.config.headers.items()},
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
        }
        if self.config.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.config.secret.get_secret_value(), timestamp, body)
        response = await self.post(client, self.config.url, content=body, headers=headers)
        remote = response.headers.get("x-request-id")
        return DeliveryReceipt(self.name, f"HTTP {response.status_code}", remote_id=remote)
