"""Platforms push JSON batches to our HTTP API; this module checks and maps them.

A body that is not a batch at all is refused whole (the API answers 400/413);
a bad item inside a good batch is quarantined with the field at fault, and the
rest of the batch goes through.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from groundswell.errors import ParseError
from groundswell.models import RawItem, Rejected, SourceBatch
from groundswell.sources.base import CollectContext, Source, SourceConfig
from groundswell.sources.file import parse_timestamp

_TEXT_FIELDS = ("title", "text", "author")


class PushBatchTooLargeError(ParseError):
    """More items than the source's max_batch; the API answers 413."""


class PushSourceConfig(SourceConfig):
    """The shared secret a platform presents, and the largest batch it may send."""

    token: str = Field(min_length=16)
    max_batch: int = Field(default=1000, ge=1, le=100_000)


class PushSource(Source):
    """Items arrive through the API; `collect` has nothing to fetch."""

    kind: ClassVar[str] = "push"
    title: ClassVar[str] = "Push (HTTP API)"
    Config: ClassVar[type[SourceConfig]] = PushSourceConfig
    pull: ClassVar[bool] = False
    config: PushSourceConfig

    async def collect(self, ctx: CollectContext) -> SourceBatch:
        return SourceBatch()

    def verify_token(self, presented: str) -> bool:
        """Constant-time comparison, so the token cannot be guessed byte by byte."""
        return hmac.compare_digest(presented.encode("utf-8"), self.config.token.encode("utf-8"))

    def parse(self, payload: object) -> SourceBatch:
        return parse_push_payload(payload, self.config.max_batch)


def parse_push_payload(payload: object, max_batch: int) -> SourceBatch:
    """Validate a pushed body `{"items": [...]}` into items and quarantined rejects.

    Raises ParseError when the body is not a batch, PushBatchTooLargeError
    (a ParseError) when it holds more than `max_batch` items.
    """
    if not isinstance(payload, dict):
        raise ParseError(
            f'push body must be a JSON object {{"items": [...]}}, got {type(payload).__name__}'
        )
    items = payload.get("items")
    if not isinstance(items, list):
        got = "nothing" if items is None else type(items).__name__
        raise ParseError(f'push body needs an "items" list, got {got}')
    if len(items) > max_batch:
        raise PushBatchTooLargeError(
            f"push batch has {len(items)} items, more than this source's max_batch {max_batch}"
        )
    batch = SourceBatch()
    for index, item in enumerate(items):
        try:
            batch.items.append(_map_item(item))
        except ValueError as exc:
            raw = item if isinstance(item, dict) else {"item": item}
            batch.rejected.append(Rejected(reason=f"items[{index}]: {exc}", raw=raw))
    return batch


def _map_item(item: object) -> RawItem:
    """One pushed item as a RawItem; ValueError names the field at fault."""
    if not isinstance(item, dict):
        raise ValueError(f"expected an object, got {type(item).__name__}")
    fields: dict[str, str | None] = {}
    for name in _TEXT_FIELDS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {type(value).__name__}")
        fields[name] = value
    if not (fields["text"] or "").strip() and not (fields["title"] or "").strip():
        raise ValueError("needs a non-empty text or title")
    return RawItem(
        raw=item,
        external_id=_external_id(item.get("id")),
        url=_url(item.get("url")),
        title=fields["title"],
        text=fields["text"],
        is_html=_flag(item.get("html")),
        author=fields["author"],
        published_at=_published_at(item.get("published_at")),
        engagement=_engagement(item.get("engagement")),
    )


def _external_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # platforms often number their posts
    if not isinstance(value, str) or not value.strip():
        raise ValueError("id must be a non-empty string")
    return value


def _url(value: Any) -> str | None:
    if value is None:
        return None
    # Only web links: a javascript: or data: URL must never reach a monitor's screen.
    if not isinstance(value, str) or not value.lower().startswith(("http://", "https://")):
        raise ValueError("url must be an http(s) URL string")
    return value


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"html must be true or false, got {type(value).__name__}")
    return value


def _published_at(value: Any) -> datetime | None:
    if value is not None and not isinstance(value, str | int | float):
        raise ValueError("published_at must be an ISO-8601 string or epoch number")
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"published_at: cannot parse {value!r}") from None


def _engagement(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in value.items()
    ):
        raise ValueError("engagement must be an object of non-negative integer counts")
    return dict(value)
