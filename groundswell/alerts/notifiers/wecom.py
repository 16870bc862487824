"""WeCom (企业微信) group robot: a markdown message to the robot's webhook key."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from groundswell.alerts.message import AlertMessage
from groundswell.alerts.notifiers.base import DeliveryReceipt, Notifier, NotifierConfig, register
from groundswell.alerts.notifiers.render import render_markdown, truncate_bytes

MAX_MARKDOWN_BYTES = 4096  # WeCom rejects longer markdown content
RETRYABLE_ERRCODES = {-1, 45009}  # system busy; over 20 messages a minute


class WeComConfig(NotifierConfig):
    key: SecretStr  # the `key=` of the robot's webhook address
    base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


@register
class WeComNotifier(Notifier):
    """errcode 0 is success; rate limiting (45009) and busy (-1) are retryable, the rest not."""

    name = "wecom"
    title = "WeCom group robot (企业微信群机器人)"
    Config = WeComConfig
    config: WeComConfig

    def payload(self, message: AlertMessage) -> dict[str, object]:
        content = render_markdown(message, self.config.locale, colour_tag=True)
        return {
            "msgtype": "markdown",
            "markdown": {"content": truncate_bytes(content, MAX_MARKDOWN_BYTES)},
        }

    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        params = {"key": self.config.key.get_secret_value()}
        response = await self.post(
            client, self.config.base_url, params=params, json=self.payload(message)
        )
        reply = self.json_reply(response)
        errcode = reply.get("errcode")
        if errcode != 0:
            why = f"errcode {errcode}: {reply.get('errmsg', '')}"
            raise self.fail(why, retryable=errcode in RETRYABLE_ERRCODES)
        return DeliveryReceipt(self.name, str(reply.get("errmsg", "ok")))
