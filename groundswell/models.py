"""Domain records shared by every layer: what sources yield and what the store keeps."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

_T = TypeVar("_T")


def pickled_by_fields(cls: type[_T]) -> type[_T]:
    """Pickle a dataclass as a call of the class with its field values, in order.

    Records cross process boundaries by the thousand (analysis workers, the
    writer). A slots dataclass otherwise pickles as a dict of its slots, and a
    frozen one through dataclasses' Python-level `__getstate__`: 1.5-15x slower
    to dump and load. Every field must be an `__init__` parameter.
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    values: Callable[[Any], Any] = attrgetter(*names)
    single = len(names) == 1

    def __reduce__(self: Any) -> tuple[type[_T], tuple[Any, ...]]:
        return cls, (values(self),) if single else values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment, method-assign]
    return cls


@pickled_by_fields
@dataclass(slots=True)
class RawItem:
    """One item as a source produced it, before normalisation.

    `raw` is the payload exactly as received (kept beside the mapped fields);
    `text` may be HTML when `is_html` is true.
    """

    raw: dict[str, Any]
    external_id: str | None = None
    url: str | None = None
    title: str | None = None
    text: str | None = None
    is_html: bool = False
    author: str | None = None
    published_at: datetime | None = None
    engagement: dict[str, int] = field(default_factory=dict)
    source_id: int | None = None


@pickled_by_fields
@dataclass(slots=True)
class Post:
    """A normalised post, ready to store and index."""

    source_id: int | None
    dedup_key: str  # unique per source: "id:<external id>" or "url:<canonical url>"
    external_id: str | None
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    lang: str  # "zh", "en" or "other"
    tokens: str  # space-separated search tokens (jieba for Chinese, lower-cased words)
    author_key: str | None  # keyed HMAC of the author, never the author itself
    published_at: datetime | None
    collected_at: datetime
    engagement: dict[str, int]
    raw: dict[str, Any]
    content_hash: str
    # Filled by the analysis stages (groundswell.pipeline), in stage order.
    sentiment: str | None = None
    sentiment_confidence: float | None = None
    matches: list[SchemeHit] = field(default_factory=list)
    fingerprint: bytes | None = None
    story_key: str | None = None
    is_repost: bool | None = None
    event_id: str | None = None
    # Computed by pure stages for the stateful ones, not stored.
    event_terms: dict[str, float] | None = None
    story_index_keys: bytes | None = None

    @property
    def key(self) -> str:
        """A short stable id of this post, before the store gives it a row id."""
        return post_key(self.source_id, self.dedup_key)

    @property
    def time(self) -> datetime:
        return self.published_at or self.collected_at


def post_key(source_id: int | None, dedup_key: str) -> str:
    """Same for a post in memory and as stored (the store keeps `bounded_key(dedup_key)`)."""
    key = bounded_key(dedup_key)
    digest = hashlib.blake2b(
        f"{source_id}\x1f{key}".encode("utf-8", "surrogatepass"), digest_size=10
    )
    return digest.hexdigest()


MAX_KEY_CHARS = 500


def bounded_key(key: str) -> str:
    """Dedup keys go in a unique index: long URLs are cut and suffixed with their hash."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: MAX_KEY_CHARS - 41]}#{digest}"


@pickled_by_fields
@dataclass(slots=True, frozen=True)
class SchemeHit:
    """A post matched a monitoring scheme; `terms` are the query terms that hit."""

    scheme_id: int
    terms: tuple[str, ...]


@dataclass(slots=True)
class Rejected:
    """An item that could not be normalised; stored in quarantine, never dropped."""

    reason: str
    raw: dict[str, Any]
    source_id: int | None = None


@dataclass(slots=True)
class SourceBatch:
    """What one collection of one source produced."""

    items: list[RawItem] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    not_modified: bool = False
    state: dict[str, Any] = field(default_factory=dict)  # e.g. etag/last_modified to keep
