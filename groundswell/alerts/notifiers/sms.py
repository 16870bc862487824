"""SMS through any HTTP gateway: a body template with `{to}` and `{text}`, one request per number.

The text is short on purpose: level, title and the acknowledgement link.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from groundswell.alerts.message import AlertMessage
from groundswell.alerts.notifiers.base import (
    DeliveryError,
    DeliveryReceipt,
    Notifier,
    NotifierConfig,
    register,
)
from groundswell.alerts.notifiers.render import short_text

JsonValue = Any


class SmsConfig(NotifierConfig):
    url: str = Field(pattern=r"^https?://")
    method: Literal["POST", "PUT"] = "POST"
    body_format: Literal["json", "form"] = "json"
    # Every string in the template has `{to}` and `{text}` replaced (nothing else is read).
    body_template: dict[str, JsonValue] = Field(
        default_factory=lambda: {"to": "{to}", "text": "{text}"}
    )
    auth_header: str = "Authorization"
    auth_value: SecretStr | None = None  # e.g. "Bearer ..." ; sent in auth_header
    to: list[str] = Field(min_length=1)
    max_chars: int = Field(300, ge=40)  # the gateway's or the carrier's limit

    @field_validator("body_template")
    @classmethod
    def _has_placeholders(cls, template: dict[str, JsonValue]) -> dict[str, JsonValue]:
        flat = repr(template)
        missing = [p for p in ("{to}", "{text}") if p not in flat]
        if missing:
            raise ValueError(f"body_template must contain {' and '.join(missing)}")
        return template


def fill(template: JsonValue, to: str, text: str) -> JsonValue:
    """Replace placeholders in every string, keeping the structure (never str.format)."""
    if isinstance(template, str):
        return template.replace("{to}", to).replace("{text}", text)
    if isinstance(template, dict):
        return {key: fill(value, to, text) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, to, text) for value in template]
    return template


@register
class SmsNotifier(Notifier):
    """Any 2xx is accepted. If a later number fails, earlier ones are named and it is not retried
    (a retry would text them twice)."""

    name = "sms"
    title = "SMS over an HTTP gateway"
    Config = SmsConfig
    config: SmsConfig

    def text(self, message: AlertMessage) -> str:
        return short_text(message, self.config.locale, self.config.max_chars)

    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        cfg = self.config
        text = self.text(message)
        headers = {}
        if cfg.auth_value is not None:
            headers[cfg.auth_header] = cfg.auth_value.get_secret_value()
        sent: list[str] = []
        answers: list[str] = []
        for number in cfg.to:
            body = fill(cfg.body_template, number, text)
            kwargs: dict[str, Any] = {"json": body} if cfg.body_format == "json" else {"data": body}
            try:
                response = await self.post(
                    client, cfg.url, method=cfg.method, headers=headers, **kwargs
                )
            except DeliveryError as exc:
                if sent:
                    raise self.fail(f"{exc} (already sent to {', '.join(sent)})", False) from None
                raise
            sent.append(number)
            answers.append(response.text.strip()[:100])
        return DeliveryReceipt(self.name, f"sent to {len(sent)}", remote_id="; ".join(answers))
