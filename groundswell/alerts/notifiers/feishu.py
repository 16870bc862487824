"""Feishu / Lark custom bot: an interactive card, optionally signed with the bot's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import httpx
from pydantic import Field, SecretStr

from groundswell.alerts.message import AlertMessage
from groundswell.alerts.notifiers.base import DeliveryReceipt, Notifier, NotifierConfig, register
from groundswell.alerts.notifiers.render import (
    break_mentions,
    count_pairs,
    headline,
    labels,
    meta_line,
    more_posts,
    post_line,
    posts,
    safe_url,
)

RETRYABLE_CODES = {11232}  # frequency limited


class FeishuConfig(NotifierConfig):
    # https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: open.larksuite.com); a secret
    webhook_url: SecretStr = Field(description="the bot's full webhook address")
    secret: SecretStr | None = None  # "签名校验" secret, if enabled


def sign(secret: str, timestamp_s: str) -> str:
    """Feishu's rule: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _plain(text: str) -> dict[str, str]:
    # plain_text is never parsed: no lark_md, no <at>; mentions broken for good measure
    return {"tag": "plain_text", "content": break_mentions(text)}


def card(message: AlertMessage, locale: str) -> dict[str, Any]:
    """The card: coloured header, the reason and numbers, the evidence, two buttons."""
    words = labels(locale)
    elements: list[dict[str, Any]] = [
        {"tag": "div", "text": _plain(meta_line(message, locale))},
        {"tag": "div", "text": _plain(f"{words['reason']}: {message.reason_in(locale)}")},
    ]
    if message.counts:
        fields = [
            {"is_short": True, "text": _plain(f"{k}: {v}")} for k, v in count_pairs(message, locale)
        ]
        elements.append({"tag": "div", "fields": fields})
    views = posts(message)
    if views:
        elements.append({"tag": "hr"})
        elements.append({"tag": "div", "text": _plain(f"{words['evidence']}:")})
        for i, p in enumerate(views, 1):
            elements.append({"tag": "div", "text": _plain(f"{i}. {post_line(p)}")})
            if p.url:  # our label, a quoted http(s) URL: nothing of the post's text in lark_md
                link = {"tag": "lark_md", "content": f"[🔗]({p.url})"}
                elements.append({"tag": "div", "text": link})
        if more := more_posts(message, locale):
            elements.append({"tag": "div", "text": _plain(more)})
    buttons = [
        {"tag": "button", "text": _plain(words[label]), "type": kind, "url": url}
        for label, kind, url in (
            ("open", "default", safe_url(message.url)),
            ("ack", "primary", safe_url(message.ack_url)),
        )
        if url
    ]
    if buttons:
        elements.append({"tag": "action", "actions": buttons})
    return {
        "config": {"wide_screen_mode": True},
        "header": {"template": message.colour, "title": _plain(headline(message, locale))},
        "elements": elements,
    }


@register
class FeishuNotifier(Notifier):
    """code 0 (or old StatusCode 0) is success; rate limiting is retryable, the rest not."""

    name = "feishu"
    title = "Feishu / Lark custom bot (飞书自定义机器人)"
    Config = FeishuConfig
    config: FeishuConfig

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": card(message, self.config.locale),
        }
        if self.config.secret is not None:
            timestamp = str(int(time.time()))
            body = {
                "timestamp": timestamp,
                "sign": sign(self.config.secret.get_secret_value(), timestamp),
                **body,
            }
        return body

    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        url = self.config.webhook_url.get_secret_value()
        response = await self.post(client, url, json=self.payload(message))
        reply = self.json_reply(response)
        code = reply.get("code", reply.get("StatusCode"))
        if code != 0:
            why = f"code {code}: {reply.get('msg', reply.get('StatusMessage', ''))}"
            raise self.fail(why, retryable=code in RETRYABLE_CODES)
        return DeliveryReceipt(self.name, str(reply.get("msg", reply.get("StatusMessage", "ok"))))
