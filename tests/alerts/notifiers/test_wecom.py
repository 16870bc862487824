"""WeCom group robot: the documented markdown payload, errcode handling."""

from __future__ import annotations

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from tests.alerts.notifiers.messages import hostile_message, make_message, post
from tests.support.http_server import Reply, Request
from tests.support.receivers import HttpReceiver, json_reply, query

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def robot(request: Request) -> Reply:
    """Like qyapi.weixin.qq.com/cgi-bin/webhook/send: checks key and payload shape."""
    if query(request).get("key") != KEY:
        return json_reply({"errcode": 93000, "errmsg": "invalid webhook url"})
    import json

    body = json.loads(request.body)
    content = body.get("markdown", {}).get("content")
    if body.get("msgtype") != "markdown" or not isinstance(content, str):
        return json_reply({"errcode": 40008, "errmsg": "invalid message type"})
    if len(content.encode()) > 4096:
        return json_reply({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
    return json_reply({"errcode": 0, "errmsg": "ok"})


def _notifier(http_receiver: HttpReceiver, key: str = KEY, path: str = "/send"):
    url = http_receiver.endpoint(path, robot)
    return build_notifier("wecom", {"key": key, "base_url": url})


async def test_markdown_message_is_accepted(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    receipt = await _notifier(http_receiver).send(make_message(), client)
    assert receipt.status == "ok"
    [body] = http_receiver.json_bodies("/send")
    content = body["markdown"]["content"]
    assert content.startswith('### <font color="warning">【II级 橙色】地铁站积水')
    assert "[一键确认](https://desk.example.org/alerts/42/ack?sig=abc123)" in content


async def test_long_evidence_stays_within_4096_bytes(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    message = make_message(reason="原因" * 3000, posts=tuple(post(i, "长" * 500) for i in range(9)))
    await _notifier(http_receiver).send(message, client)


async def test_no_mentions_or_tags_from_posts(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    await _notifier(http_receiver).send(hostile_message(), client)
    content = http_receiver.json_bodies("/send")[0]["markdown"]["content"]
    assert "<@U123>" not in content and "@all" not in content
    assert "<script>" not in content and "<at " not in content


async def test_bad_key_is_not_retryable_and_key_is_not_in_the_error(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    with pytest.raises(DeliveryError) as info:
        await _notifier(http_receiver, key="wrong-key-123").send(make_message(), client)
    assert info.value.retryable is False and "93000" in str(info.value)
    assert "wrong-key-123" not in str(info.value)


async def test_rate_limited_is_retryable(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/send", {"errcode": 45009, "errmsg": "api freq out of limit"})
    with pytest.raises(DeliveryError) as info:
        await build_notifier("wecom", {"key": KEY, "base_url": url}).send(make_message(), client)
    assert info.value.retryable is True
