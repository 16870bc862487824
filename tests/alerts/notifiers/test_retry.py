"""Which failures the outbox retries: the same rules for every HTTP channel."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from groundswell.alerts.notifiers import DeliveryError, build_notifier
from tests.alerts.notifiers.messages import make_message
from tests.support.http_server import Reply
from tests.support.receivers import HttpReceiver, unused_port

SUCCESS: dict[str, Any] = {
    "webhook": "",
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
    "slack": "ok",
    "sms": "",
}


def config(kind: str, url: str) -> dict[str, Any]:
    return {
        "webhook": {"url": url, "secret": "s"},
        "wecom": {"key": "k", "base_url": url},
        "dingtalk": {"access_token": "t", "secret": "s", "base_url": url},
        "feishu": {"webhook_url": url, "secret": "s"},
        "slack": {"webhook_url": url},
        "sms": {"url": url, "to": ["1"]},
    }[kind] | {"timeout": 0.5}


KINDS = sorted(SUCCESS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("failure", "retryable"),
    [
        (500, True),
        (503, True),
        (429, True),
        (400, False),
        (403, False),
        (302, False),
        ("timeout", True),
    ],
)
async def test_failure_classification_and_recovery(
    http_receiver: HttpReceiver,
    client: httpx.AsyncClient,
    kind: str,
    failure: int | str,
    retryable: bool,
) -> None:
    http_receiver.timeout_delay = 2.0
    url = http_receiver.endpoint("/x", SUCCESS[kind], fail_first=1, failure=failure)  # type: ignore[arg-type]
    notifier = build_notifier(kind, config(kind, url))
    with pytest.raises(DeliveryError) as info:
        await notifier.send(make_message(), client)
    assert info.value.retryable is retryable, str(info.value)
    await notifier.send(make_message(), client)  # the receiver has recovered
    assert len(http_receiver.requests_to("/x")) == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_connection_refused_is_retryable(kind: str, client: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{unused_port()}/x"
    with pytest.raises(DeliveryError) as info:
        await build_notifier(kind, config(kind, url)).send(make_message(), client)
    assert info.value.retryable is True


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
async def test_garbage_answer_from_a_bot_api_is_retryable(
    http_receiver: HttpReceiver, client: httpx.AsyncClient, kind: str
) -> None:
    url = http_receiver.endpoint("/x", Reply(200, "<html>proxy error</html>"))
    with pytest.raises(DeliveryError) as info:
        await build_notifier(kind, config(kind, url)).send(make_message(), client)
    assert info.value.retryable is True
