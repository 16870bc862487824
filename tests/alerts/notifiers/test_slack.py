"""Slack incoming webhook: Block Kit shape, fallback text, escaping, answers."""

from __future__ import annotations

import json

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from tests.alerts.notifiers.messages import hostile_message, make_message
from tests.support.http_server import Reply, Request
from tests.support.receivers import HttpReceiver

BLOCK_TYPES = {"header", "section", "context", "divider", "actions"}


def slack(request: Request) -> Reply:
    """Like hooks.slack.com: `ok`, or 400 invalid_blocks for a malformed payload."""
    body = json.loads(request.body)
    blocks = body.get("blocks", [])
    valid = (
        isinstance(body.get("text"), str)
        and 0 < len(blocks) <= 50
        and all(b.get("type") in BLOCK_TYPES for b in blocks)
        and all(len(b["text"]["text"]) <= 150 for b in blocks if b["type"] == "header")
        and all(len(b["text"]["text"]) <= 3000 for b in blocks if "text" in b)
        and all(len(b.get("fields", [])) <= 10 for b in blocks)
    )
    return Reply(200, "ok") if valid else Reply(400, "invalid_blocks")


async def test_blocks_are_accepted(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    url = http_receiver.endpoint("/services/T0/B0/X", slack)
    receipt = await build_notifier("slack", {"webhook_url": url, "locale": "en"}).send(
        make_message(), client
    )
    assert receipt.status == "ok"
    [body] = http_receiver.json_bodies("/services/T0/B0/X")
    header = body["blocks"][0]
    assert header["type"] == "header"
    assert header["text"]["text"] == "🟠 [Level II orange] 地铁站积水 Metro flooding"
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    assert actions["elements"][-1]["url"] == "https://desk.example.org/alerts/42/ack?sig=abc123"
    assert body["text"].startswith("[Level II orange]")


async def test_no_mentions_or_links_from_posts(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/hook", slack)
    await build_notifier("slack", {"webhook_url": url}).send(hostile_message(), client)
    [body] = http_receiver.json_bodies("/hook")
    assert "<!channel>" not in body["text"] and "<@U123>" not in body["text"]
    for block in body["blocks"]:
        texts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        for text in filter(None, texts):
            if text.get("type") == "mrkdwn":  # only our own post links
                assert (
                    text["text"].startswith("<https://news.example.cn/") and "|🔗>" in text["text"]
                )


async def test_bad_payload_answer_is_not_retryable(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/gone", Reply(404, "no_service"))
    with pytest.raises(DeliveryError) as info:
        await build_notifier("slack", {"webhook_url": url}).send(make_message(), client)
    assert info.value.retryable is False and "no_service" in str(info.value)
    assert "/gone" not in str(info.value)  # the hook URL is the secret
