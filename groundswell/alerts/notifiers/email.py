"""E-mail over SMTP: a text part and an HTML part, sent with stdlib smtplib in a thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import httpx
from pydantic import Field, SecretStr, model_validator

from groundswell.alerts.message import AlertMessage
from groundswell.alerts.notifiers.base import DeliveryReceipt, Notifier, NotifierConfig, register
from groundswell.alerts.notifiers.render import headline, render_html, render_text


class EmailConfig(NotifierConfig):
    host: str
    port: int = Field(25, gt=0, lt=65536)
    starttls: bool = False  # upgrade a plain connection (usually port 587)
    ssl: bool = False  # TLS from the first byte (usually port 465)
    username: str | None = None
    password: SecretStr | None = None
    from_addr: str
    to: list[str] = Field(min_length=1)
    subject_prefix: str = "[Groundswell]"

    @model_validator(mode="after")
    def _one_tls_mode(self) -> EmailConfig:
        if self.starttls and self.ssl:
            raise ValueError("choose starttls or ssl, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self


@register
class EmailNotifier(Notifier):
    """SMTP. 4xx replies and dropped connections are retryable; 5xx replies are not."""

    name = "email"
    title = "E-mail (SMTP)"
    Config = EmailConfig
    config: EmailConfig

    def build(self, message: AlertMessage) -> EmailMessage:
        cfg = self.config
        mail = EmailMessage()
        subject = f"{cfg.subject_prefix} {headline(message, cfg.locale)}".strip()
        mail["Subject"] = " ".join(subject.split())  # no header injection through the title
        mail["From"] = cfg.from_addr
        mail["To"] = ", ".join(cfg.to)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=cfg.from_addr.rpartition("@")[2] or None)
        mail["X-Groundswell-Alert"] = str(message.alert_id)
        mail.set_content(render_text(message, cfg.locale))
        mail.add_alternative(render_html(message, cfg.locale), subtype="html")
        return mail

    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        mail = self.build(message)
        status = await asyncio.to_thread(self._deliver, mail)
        return DeliveryReceipt(self.name, status, remote_id=mail["Message-ID"])

    def _deliver(self, mail: EmailMessage) -> str:
        cfg = self.config
        try:
            if cfg.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            with smtp:
                if cfg.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.username and cfg.password:
                    smtp.login(cfg.username, cfg.password.get_secret_value())
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise self.fail(f"all recipients refused: {codes}", _temporary(codes)) from None
        except smtplib.SMTPResponseException as exc:
            why = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
            raise self.fail(why, _temporary([exc.smtp_code])) from None
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, TLS
            raise self.fail(f"{type(exc).__name__}: {exc}", retryable=True) from None
        if refused:
            # Some got it: retrying would mail them twice, so say so and do not retry.
            raise self.fail(f"some recipients refused: {sorted(refused)}", retryable=False)
        return "250 accepted"


def _temporary(codes: list[int]) -> bool:
    return all(400 <= code < 500 for code in codes)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
