"""Slack incoming webhook: Block Kit blocks with a plain-text fallback."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from groundswell.alerts.message import AlertMessage
from groundswell.alerts.notifiers.base import DeliveryReceipt, Notifier, NotifierConfig, register
from groundswell.alerts.notifiers.render import (
    count_pairs,
    headline,
    labels,
    meta_line,
    more_posts,
    post_line,
    posts,
    render_text,
    safe_url,
    truncate,
)

EMOJI = {"red": "🔴", "orange": "🟠", "yellow": "🟡", "blue": "🔵"}


class SlackConfig(NotifierConfig):
    webhook_url: SecretStr  # https://hooks.slack.com/services/T.../B.../... is itself a secret


def escape_mrkdwn(text: str) -> str:
    """Slack's rule: & < > become entities, so no <!channel>, <@U123> or <url|label> gets in."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int = 3000) -> dict[str, Any]:
    # plain_text is never parsed for formatting or mentions
    return {"type": "plain_text", "text": truncate(text, limit)}


def blocks(message: AlertMessage, locale: str) -> list[dict[str, Any]]:
    words = labels(locale)
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": _plain(f"{EMOJI[message.colour]} {headline(message, locale)}", 150),
        },
        {"type": "context", "elements": [_plain(meta_line(message, locale), 2000)]},
        {"type": "section", "text": _plain(f"{words['reason']}: {message.reason_in(locale)}")},
    ]
    if message.counts:
        fields = [_plain(f"{k}: {v}", 2000) for k, v in count_pairs(message, locale)[:10]]
        out.append({"type": "section", "fields": fields})
    views = posts(message)
    if views:
        out.append({"type": "divider"})
        for p in views:
            out.append({"type": "section", "text": _plain(post_line(p))})
            if p.url:  # our label, a quoted http(s) URL; nothing from the post in mrkdwn
                link = {"type": "mrkdwn", "text": f"<{escape_mrkdwn(p.url)}|🔗>"}
                out.append({"type": "context", "elements": [link]})
        if more := more_posts(message, locale):
            out.append({"type": "context", "elements": [_plain(more, 2000)]})
    buttons = [
        {"type": "button", "text": _plain(words[label], 75), "url": url, **style}
        for label, url, style in (
            ("open", safe_url(message.url), {}),
            ("ack", safe_url(message.ack_url), {"style": "primary"}),
        )
        if url
    ]
    if buttons:
        out.append({"type": "actions", "elements": buttons})
    return out


@register
class SlackNotifier(Notifier):
    """The body `ok` is success; 429/5xx retryable; 400/403/404/410 (bad payload or hook) not."""

    name = "slack"
    title = "Slack incoming webhook"
    Config = SlackConfig
    config: SlackConfig

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        locale = self.config.locale
        return {
            "text": escape_mrkdwn(render_text(message, locale)),
            "blocks": blocks(message, locale),
        }

    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        url = self.config.webhook_url.get_secret_value()
        response = await self.post(client, url, json=self.payload(message))
        answer = response.text.strip()
        if answer != "ok":
            raise self.fail(f"unexpected answer: {answer[:200]!r}", retryable=False)
        return DeliveryReceipt(self.name, answer)
