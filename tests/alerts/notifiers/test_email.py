"""E-mail arrives at a real SMTP server (aiosmtpd); SMTP failures are classified."""

from __future__ import annotations

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from tests.alerts.notifiers.messages import hostile_message, make_message
from tests.support.receivers import SMTP_PASSWORD, SMTP_USER, LocalSMTPServer, unused_port


def _config(server: LocalSMTPServer, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "from_addr": "desk@groundswell.example",
        "to": ["duty@example.org", "chief@example.org"],
        "timeout": 5,
    }
    config.update(overrides)
    return config


async def test_mail_arrives_with_subject_evidence_and_ack_link(
    smtp_server: LocalSMTPServer, client: httpx.AsyncClient
) -> None:
    notifier = build_notifier("email", _config(smtp_server))
    receipt = await notifier.send(make_message(), client)

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["duty@example.org", "chief@example.org"]
    assert mail.mail_from == "desk@groundswell.example"
    msg = mail.message
    assert msg["Subject"] == "[Groundswell] 【II级 橙色】地铁站积水 Metro flooding"
    assert msg["Message-ID"] == receipt.remote_id
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert "第 3 条证据" in part
        assert "https://desk.example.org/alerts/42/ack?sig=abc123" in part
        assert "volume 48 posts/hour" in part
    assert mail.login is None


async def test_login_and_english(smtp_server: LocalSMTPServer, client: httpx.AsyncClient) -> None:
    config = _config(smtp_server, username=SMTP_USER, password=SMTP_PASSWORD, locale="en")
    await build_notifier("email", config).send(make_message(update="raised"), client)
    [mail] = smtp_server.messages
    assert mail.login == SMTP_USER
    assert mail.message["Subject"] == "[Groundswell] ↑ [Level II orange] 地铁站积水 Metro flooding"


async def test_wrong_password_is_not_retryable_and_not_logged(
    smtp_server: LocalSMTPServer, client: httpx.AsyncClient
) -> None:
    config = _config(smtp_server, username=SMTP_USER, password="wrong-password-xyz")
    with pytest.raises(DeliveryError) as info:
        await build_notifier("email", config).send(make_message(), client)
    assert info.value.retryable is False
    assert "535" in str(info.value) and "wrong-password-xyz" not in str(info.value)
    assert smtp_server.messages == []


async def test_hostile_post_is_escaped_in_the_html_part(
    smtp_server: LocalSMTPServer, client: httpx.AsyncClient
) -> None:
    await build_notifier("email", _config(smtp_server)).send(hostile_message(), client)
    msg = smtp_server.messages[0].message
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "\n" not in msg["Subject"]


@pytest.mark.parametrize(
    ("to", "retryable"),
    [(["reject-permanent@example.org"], False), (["reject-temporary@example.org"], True)],
)
async def test_refused_recipients(
    smtp_server: LocalSMTPServer, client: httpx.AsyncClient, to: list[str], retryable: bool
) -> None:
    with pytest.raises(DeliveryError) as info:
        await build_notifier("email", _config(smtp_server, to=to)).send(make_message(), client)
    assert info.value.retryable is retryable


async def test_partly_refused_is_reported_and_not_retried(
    smtp_server: LocalSMTPServer, client: httpx.AsyncClient
) -> None:
    to = ["duty@example.org", "reject-permanent@example.org"]
    with pytest.raises(DeliveryError) as info:
        await build_notifier("email", _config(smtp_server, to=to)).send(make_message(), client)
    assert info.value.retryable is False and "reject-permanent@example.org" in str(info.value)
    assert len(smtp_server.messages) == 1  # duty got it: a retry would mail them twice


async def test_temporary_data_failure_then_recovery(
    smtp_server: LocalSMTPServer, client: httpx.AsyncClient
) -> None:
    smtp_server.fail_next_data(1)
    notifier = build_notifier("email", _config(smtp_server))
    with pytest.raises(DeliveryError) as info:
        await notifier.send(make_message(), client)
    assert info.value.retryable is True and "451" in str(info.value)
    await notifier.send(make_message(), client)
    assert len(smtp_server.messages) == 1


async def test_connection_refused_is_retryable(client: httpx.AsyncClient) -> None:
    config = {"host": "127.0.0.1", "port": unused_port(), "from_addr": "a@b.c", "to": ["d@e.f"]}
    with pytest.raises(DeliveryError) as info:
        await build_notifier("email", config).send(make_message(), client)
    assert info.value.retryable is True
