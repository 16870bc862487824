"""SMS gateway: JSON and form bodies from the template, auth header, short text."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from groundswell.errors import ConfigError
from tests.alerts.notifiers.messages import make_message
from tests.support.http_server import Reply
from tests.support.receivers import HttpReceiver

ACK = "https://desk.example.org/alerts/42/ack?sig=abc123"


async def test_json_body_one_request_per_number(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/sms", {"result": "queued"})
    config = {
        "url": url,
        "to": ["+8613800000001", "+8613800000002"],
        "body_template": {"msg": {"phone": "{to}", "content": "{text}"}, "sign": "舆情"},
        "auth_value": "Bearer sms-token-1",
    }
    receipt = await build_notifier("sms", config).send(make_message(), client)
    assert receipt.status == "sent to 2"
    requests = http_receiver.requests_to("/sms")
    assert [r.headers["authorization"] for r in requests] == ["Bearer sms-token-1"] * 2
    bodies = http_receiver.json_bodies("/sms")
    assert [b["msg"]["phone"] for b in bodies] == ["+8613800000001", "+8613800000002"]
    text = bodies[0]["msg"]["content"]
    assert text == f"【II级 橙色】地铁站积水 Metro flooding 一键确认: {ACK}"
    assert bodies[0]["sign"] == "舆情"


async def test_form_body_and_length_limit(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/send", "OK")
    config = {
        "url": url,
        "to": ["13800000001"],
        "body_format": "form",
        "body_template": {"mobile": "{to}", "message": "Groundswell: {text}"},
        "auth_header": "X-Api-Key",
        "auth_value": "k-123",
        "max_chars": 70,
        "locale": "en",
    }
    await build_notifier("sms", config).send(make_message(title="Very long title " * 20), client)
    [request] = http_receiver.requests_to("/send")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["x-api-key"] == "k-123"
    form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    assert form["mobile"] == "13800000001"
    text = form["message"].removeprefix("Groundswell: ")
    assert len(text) == 70 and text.startswith("[Level II orange] V")
    assert text.endswith(f"… {ACK}")  # no room for the label: the link stays, the title is cut


async def test_later_number_failing_names_the_ones_already_sent(
    http_receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    url = http_receiver.endpoint("/sms", "OK")
    http_receiver.server.route("/sms", Reply(200, "OK"), Reply(503, "busy"))
    config = {"url": url, "to": ["1", "2"]}
    with pytest.raises(DeliveryError) as info:
        await build_notifier("sms", config).send(make_message(), client)
    assert info.value.retryable is False and "already sent to 1" in str(info.value)


def test_template_needs_both_placeholders() -> None:
    with pytest.raises(ConfigError, match=r"\{text\}"):
        build_notifier(
            "sms", {"url": "https://sms.example", "to": ["1"], "body_template": {"a": "{to}"}}
        )
