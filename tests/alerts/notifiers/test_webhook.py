"""Generic webhook: the receiver verifies the signature by the documented rule."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from tests.alerts.notifiers.messages import make_message
from tests.support.http_server import Reply, Request
from tests.support.receivers import HttpReceiver

SECRET = "whsec-0123456789"


def verify(request: Request, secret: str = SECRET, tolerance: int = 300) -> bool:
    """What docs/alerts/channels.md tells a receiver to do, written out independently."""
    timestamp = request.headers.get("x-groundswell-timestamp", "")
    signature = request.headers.get("x-groundswell-signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = timestamp.encode() + b"." + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def checking(request: Request) -> Reply:
    return Reply(204) if verify(request) else Reply(401, "bad signature")


async def test_signed_json_is_verified_by_the_receiver(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/hook", checking)
    config = {"url": url, "secret": SECRET, "headers": {"X-Tenant": "city"}}
    receipt = await build_notifier("webhook", config).send(make_message(), client)
    assert receipt.status == "HTTP 204"

    [request] = http_receiver.requests_to("/hook")
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["x-tenant"] == "city"
    assert "city" not in repr(build_notifier("webhook", config).config)
    body = json.loads(request.body)
    alert = body["alert"]
    assert body["version"] == 1 and body["type"] == "alert"
    assert alert["alert_id"] == 42 and alert["level"] == 2 and alert["level_name"] == "II"
    assert alert["ack_url"] == "https://desk.example.org/alerts/42/ack?sig=abc123"
    assert alert["counts"]["observed"] == 48
    assert alert["posts"][0]["published_at"] == "2026-11-28T09:01:00+00:00"
    assert alert["created_at"] == "2026-11-28T09:30:00+00:00"
    assert "volume 48" in alert["text"]


async def test_wrong_secret_is_rejected_and_not_retryable(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/hook", checking)
    notifier = build_notifier("webhook", {"url": url, "secret": "not-the-secret"})
    with pytest.raises(DeliveryError) as info:
        await notifier.send(make_message(), client)
    assert info.value.retryable is False and "401" in str(info.value)
    assert "not-the-secret" not in str(info.value)


async def test_unsigned_without_secret(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/hook", "fine")
    await build_notifier("webhook", {"url": url}).send(make_message(), client)
    [request] = http_receiver.requests_to("/hook")
    assert "x-groundswell-signature" not in request.headers
    assert request.headers["x-groundswell-timestamp"].isdigit()


def test_our_headers_cannot_be_overridden() -> None:
    from groundswell.errors import ConfigError

    with pytest.raises(ConfigError, match="X-Groundswell-Signature"):
        build_notifier(
            "webhook", {"url": "https://x.example", "headers": {"X-Groundswell-Signature": "x"}}
        )
