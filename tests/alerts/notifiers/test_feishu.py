"""Feishu bot: interactive card payload; the receiver recomputes `sign` from the body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from tests.alerts.notifiers.messages import hostile_message, make_message
from tests.support.http_server import Reply, Request
from tests.support.receivers import HttpReceiver, json_reply

SECRET = "nIMtb7r3N9pkXyXdtAbx6e"
CARD_TAGS = {"div", "hr", "action", "note", "markdown", "img"}


def bot(request: Request, secret: str | None = SECRET) -> Reply:
    """Like open.feishu.cn/open-apis/bot/v2/hook/<token> with "签名校验" on."""
    body = json.loads(request.body)
    if secret is not None:
        timestamp = str(body.get("timestamp", ""))
        key = f"{timestamp}\n{secret}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 3600
        if not fresh or body.get("sign") != expected:
            msg = "sign match fail or timestamp is not within one hour from current time"
            return json_reply({"code": 19021, "data": {}, "msg": msg})
    card = body.get("card", {})
    ok = (
        body.get("msg_type") == "interactive"
        and card.get("header", {}).get("title", {}).get("tag") == "plain_text"
        and all(e.get("tag") in CARD_TAGS for e in card.get("elements", []))
    )
    if not ok:
        return json_reply({"code": 9499, "data": {}, "msg": "Bad Request"})
    return json_reply({"code": 0, "data": {}, "msg": "success"})


def _texts(card: dict[str, Any]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = [card["header"]["title"]]
    for element in card["elements"]:
        if "text" in element:
            found.append(element["text"])
        found += [f["text"] for f in element.get("fields", [])]
        found += [a["text"] for a in element.get("actions", [])]
    return found


async def test_signed_card_is_accepted(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/open-apis/bot/v2/hook/abc", bot)
    receipt = await build_notifier("feishu", {"webhook_url": url, "secret": SECRET}).send(
        make_message(level=1), client
    )
    assert receipt.status == "success"
    [body] = http_receiver.json_bodies("/open-apis/bot/v2/hook/abc")
    card = body["card"]
    assert card["header"]["template"] == "red"
    assert card["header"]["title"]["content"] == "【I级 红色】地铁站积水 Metro flooding"
    [actions] = [e for e in card["elements"] if e["tag"] == "action"]
    ack = actions["actions"][-1]
    assert ack["url"] == "https://desk.example.org/alerts/42/ack?sig=abc123"
    assert ack["text"]["content"] == "一键确认"


async def test_wrong_secret_is_not_retryable(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/hook", bot)
    notifier = build_notifier("feishu", {"webhook_url": url, "secret": "wrong-secret"})
    with pytest.raises(DeliveryError) as info:
        await notifier.send(make_message(), client)
    assert info.value.retryable is False and "19021" in str(info.value)
    assert "wrong-secret" not in str(info.value)


async def test_post_text_only_in_plain_text(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/hook", lambda r: bot(r, secret=None))
    await build_notifier("feishu", {"webhook_url": url, "locale": "en"}).send(
        hostile_message(), client
    )
    [body] = http_receiver.json_bodies("/hook")
    assert "timestamp" not in body and "sign" not in body
    texts = _texts(body["card"])
    for text in texts:
        if text["tag"] == "lark_md":  # only our own links
            assert text["content"].startswith("[🔗](https://")
            assert "script" not in text["content"]
        else:
            assert text["tag"] == "plain_text"
    assert any("<script>" in t["content"] for t in texts if t["tag"] == "plain_text")
    assert not any("@all" in t["content"] for t in texts)


async def test_old_status_code_answer_and_rate_limit(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/old", {"StatusCode": 0, "StatusMessage": "success"})
    receipt = await build_notifier("feishu", {"webhook_url": url}).send(make_message(), client)
    assert receipt.status == "success"
    url = http_receiver.endpoint("/busy", {"code": 11232, "msg": "frequency limited", "data": {}})
    with pytest.raises(DeliveryError) as info:
        await build_notifier("feishu", {"webhook_url": url}).send(make_message(), client)
    assert info.value.retryable is True
