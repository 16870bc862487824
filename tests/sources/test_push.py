"""PushSource: batch validation, per-item quarantine, token check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from groundswell.errors import ConfigError, ParseError
from groundswell.sources.push import PushBatchTooLargeError, PushSource, parse_push_payload
from groundswell.sources.registry import build_source

TOKEN = "s3cret-token-0123456789"


def test_valid_batch_maps_every_field() -> None:
    item = {
        "id": "wb-1",
        "url": "https://weibo.example/1",
        "title": "标题",
        "text": "<p>正文</p>",
        "html": True,
        "author": "someone",
        "published_at": "2026-07-24T01:39:42+08:00",
        "engagement": {"likes": 3, "reposts": 0},
        "platform": "weibo",
    }
    batch = parse_push_payload(
        {"items": [item, {"id": 7, "text": "t", "published_at": 1785000000}]}, 10
    )
    assert not batch.rejected and len(batch.items) == 2
    first, second = batch.items
    assert first.external_id == "wb-1" and first.is_html and first.author == "someone"
    assert first.published_at == datetime(2026, 7, 23, 17, 39, 42, tzinfo=UTC)
    assert first.engagement == {"likes": 3, "reposts": 0}
    assert first.raw == item  # extra keys kept
    assert second.external_id == "7" and not second.is_html
    assert second.published_at == datetime.fromtimestamp(1785000000, tz=UTC)


def test_naive_published_at_is_utc() -> None:
    batch = parse_push_payload({"items": [{"text": "x", "published_at": "2026-07-24 10:00:00"}]}, 5)
    assert batch.items[0].published_at == datetime(2026, 7, 24, 10, tzinfo=UTC)


def test_bad_items_are_rejected_naming_the_field_and_the_rest_go_through() -> None:
    items = [
        {"text": "good"},
        "not an object",
        {"text": "x", "published_at": "last tuesday"},
        {"text": 5},
        {"text": "x", "engagement": {"likes": "many"}},
        {"text": "x", "url": "javascript:alert(1)"},
        {"text": "x", "html": "yes"},
        {"title": "  "},
        {"text": "x", "id": ["a"]},
        {"title": "also good"},
    ]
    batch = parse_push_payload({"items": items}, 100)
    assert [i.text or i.title for i in batch.items] == ["good", "also good"]
    reasons = [r.reason for r in batch.rejected]
    assert reasons[0] == "items[1]: expected an object, got str"
    assert batch.rejected[0].raw == {"item": "not an object"}
    for reason, needle in zip(
        reasons[1:],
        ["published_at", "text", "engagement", "url", "html", "text or title", "id"],
        strict=True,
    ):
        assert needle in reason
    assert batch.rejected[1].raw == items[2]


@pytest.mark.parametrize("body", [[{"text": "x"}], "items", None, {"items": {"text": "x"}}, {}])
def test_body_that_is_not_a_batch_is_a_parse_error(body: object) -> None:
    with pytest.raises(ParseError, match="items"):
        parse_push_payload(body, 10)


def test_too_many_items() -> None:
    with pytest.raises(PushBatchTooLargeError, match=r"3 items, more than .* max_batch 2"):
        parse_push_payload({"items": [{"text": "x"}] * 3}, 2)
    assert issubclass(PushBatchTooLargeError, ParseError)


async def test_source_collects_nothing_and_checks_token() -> None:
    source = build_source("push", {"token": TOKEN, "max_batch": 2})
    assert isinstance(source, PushSource) and source.pull is False
    assert (await source.collect(None)).items == []  # type: ignore[arg-type]
    assert source.verify_token(TOKEN) and not source.verify_token(TOKEN[:-1] + "x")
    assert not source.verify_token("")
    with pytest.raises(PushBatchTooLargeError):
        source.parse({"items": [{"text": "x"}] * 3})


def test_short_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="token"):
        build_source("push", {"token": "short"})
