"""DingTalk robot: markdown payload; the receiver recomputes the `sign` query parameter."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from tests.alerts.notifiers.messages import hostile_message, make_message
from tests.support.http_server import Reply, Request
from tests.support.receivers import HttpReceiver, json_reply, query

TOKEN = "bf73a1c0ffee"
SECRET = "SEC8d4f2e0b1a9c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"


def robot(request: Request, secret: str | None = SECRET) -> Reply:
    """Like oapi.dingtalk.com/robot/send with "加签" security on."""
    params = query(request)  # parse_qs undoes the URL encoding, as DingTalk does
    if params.get("access_token") != TOKEN:
        return json_reply({"errcode": 300001, "errmsg": "token is not exist"})
    if secret is not None:
        timestamp = params.get("timestamp", "")
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3_600_000:
            return json_reply({"errcode": 310000, "errmsg": "timestamp invalid"})
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
        if params.get("sign") != base64.b64encode(digest.digest()).decode():
            return json_reply({"errcode": 310000, "errmsg": "sign not match"})
    body = json.loads(request.body)
    markdown = body.get("markdown", {})
    if body.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
        return json_reply({"errcode": 40035, "errmsg": "缺少参数 markdown"})
    return json_reply({"errcode": 0, "errmsg": "ok"})


async def test_signed_markdown_is_accepted(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/robot/send", robot)
    config = {"access_token": TOKEN, "secret": SECRET, "base_url": url}
    receipt = await build_notifier("dingtalk", config).send(make_message(), client)
    assert receipt.status == "ok"
    [request] = http_receiver.requests_to("/robot/send")
    assert "%2B" in request.path or "%2F" in request.path or "%3D" in request.path  # encoded
    body = json.loads(request.body)
    assert body["markdown"]["title"].startswith("【II级 橙色】")
    assert body["at"]["isAtAll"] is False
    assert (
        "[一键确认](https://desk.example.org/alerts/42/ack?sig=abc123)" in body["markdown"]["text"]
    )


async def test_wrong_secret_fails_verification_and_is_not_retryable(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/robot/send", robot)
    config = {"access_token": TOKEN, "secret": "SECwrong", "base_url": url}
    with pytest.raises(DeliveryError) as info:
        await build_notifier("dingtalk", config).send(make_message(), client)
    assert info.value.retryable is False and "310000" in str(info.value)
    assert "SECwrong" not in str(info.value) and TOKEN not in str(info.value)


async def test_unsigned_robot(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    url = http_receiver.endpoint("/robot/send", lambda r: robot(r, secret=None))
    await build_notifier("dingtalk", {"access_token": TOKEN, "base_url": url}).send(
        hostile_message(), client
    )
    [request] = http_receiver.requests_to("/robot/send")
    assert set(query(request)) == {"access_token"}
    text = json.loads(request.body)["markdown"]["text"]
    assert "@all" not in text and "<script>" not in text


async def test_too_fast_is_retryable(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/robot/send", {"errcode": 130101, "errmsg": "send too fast"})
    with pytest.raises(DeliveryError) as info:
        await build_notifier("dingtalk", {"access_token": TOKEN, "base_url": url}).send(
            make_message(), client
        )
    assert info.value.retryable is True
