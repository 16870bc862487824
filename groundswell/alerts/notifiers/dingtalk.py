"""DingTalk (钉钉) custom robot: markdown, optionally signed with the robot's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx
from pydantic import SecretStr

from groundswell.alerts.message import AlertMessage
from groundswell.alerts.notifiers.base import DeliveryReceipt, Notifier, NotifierConfig, register
from groundswell.alerts.notifiers.render import (
    escape_markdown,
    headline,
    render_markdown,
    truncate,
    truncate_bytes,
)

MAX_MARKDOWN_BYTES = 20000
RETRYABLE_ERRCODES = {-1, 130101}  # system busy; sending too fast


class DingTalkConfig(NotifierConfig):
    access_token: SecretStr  # the `access_token=` of the robot's webhook address
    secret: SecretStr | None = None  # the `SEC...` of "加签" security, if enabled
    base_url: str = "https://oapi.dingtalk.com/robot/send"


def sign(secret: str, timestamp_ms: str) -> str:
    """base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")); httpx URL-encodes it."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


@register
class DingTalkNotifier(Notifier):
    """errcode 0 is success; busy/too fast are retryable; bad token, sign or keywords are not."""

    name = "dingtalk"
    title = "DingTalk custom robot (钉钉自定义机器人)"
    Config = DingTalkConfig
    config: DingTalkConfig

    def payload(self, message: AlertMessage) -> dict[str, object]:
        text = render_markdown(message, self.config.locale)
        return {
            "msgtype": "markdown",
            "markdown": {
                # the title shows in the notification list; kept plain and short
                "title": escape_markdown(truncate(headline(message, self.config.locale), 60)),
                "text": truncate_bytes(text, MAX_MARKDOWN_BYTES),
            },
            "at": {"atMobiles": [], "atUserIds": [], "isAtAll": False},
        }

    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        params = {"access_token": self.config.access_token.get_secret_value()}
        if self.config.secret is not None:
            timestamp = str(int(time.time() * 1000))
            params["timestamp"] = timestamp
            params["sign"] = sign(self.config.secret.get_secret_value(), timestamp)
        response = await self.post(
            client, self.config.base_url, params=params, json=self.payload(message)
        )
        reply = self.json_reply(response)
        errcode = reply.get("errcode")
        if errcode != 0:
            why = f"errcode {errcode}: {reply.get('errmsg', '')}"
            raise self.fail(why, retryable=errcode in RETRYABLE_ERRCODES)
        return DeliveryReceipt(self.name, str(reply.get("errmsg", "ok")))
