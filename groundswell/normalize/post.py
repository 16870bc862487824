"""RawItems into Posts: clean text, canonical URL, dedup key, language, tokens, pseudonym.

`Normaliser.normalise` is pure and idempotent (the same items give the same
posts; only `collected_at` defaults to the clock), so a batch can be replayed or
retried safely. One bad item becomes a `Rejected` with its reason and never stops
the batch.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from groundswell.analyze.language import detect_language
from groundswell.analyze.tokenize import index_tokens
from groundswell.errors import ConfigError, QuarantineError
from groundswell.models import Post, RawItem, Rejected
from groundswell.normalize.pseudonym import pseudonymise, scrub_author
from groundswell.normalize.text import clean_text, html_to_text
from groundswell.normalize.urls import canonicalize_url

__all__ = ["Normaliser"]

_MAX_REASON_CHARS = 500
_MAX_URL_IN_REASON = 200


class Normaliser:
    """Turns a batch of RawItems into Posts plus Rejected items (quarantine)."""

    def __init__(self, pseudonym_key: bytes, *, max_text_chars: int = 100_000) -> None:
        if not pseudonym_key:
            raise ConfigError("pseudonym_key must be a non-empty secret")
        if max_text_chars < 1:
            raise ConfigError("max_text_chars must be at least 1")
        self._key = bytes(pseudonym_key)
        self.max_text_chars = max_text_chars

    def normalise(
        self,
        items: list[RawItem],
        source_id: int | None,
        collected_at: datetime | None = None,
    ) -> tuple[list[Post], list[Rejected]]:
        """Normalise a batch; every item ends up in exactly one of the two lists."""
        collected_at = _as_utc(collected_at) if collected_at else datetime.now(UTC)
        posts: list[Post] = []
        rejected: list[Rejected] = []
        for item in items:
            sid = source_id if source_id is not None else getattr(item, "source_id", None)
            try:
                posts.append(self._post(item, sid, collected_at))
            except QuarantineError as exc:
                rejected.append(Rejected(reason=str(exc), raw=self._raw(item), source_id=sid))
            except Exception as exc:  # one bad item must never stop the batch
                reason = f"normalise failed: {type(exc).__name__}: {exc}"
                rejected.append(
                    Rejected(reason=reason[:_MAX_REASON_CHARS], raw=self._raw(item), source_id=sid)
                )
        return posts, rejected

    def _raw(self, item: Any) -> dict[str, Any]:
        """Quarantined payloads are pseudonymised like stored ones."""
        author = getattr(item, "author", None)
        if not isinstance(author, str):
            return _raw(item)
        return scrub_author(_raw(item), author, f"author:{pseudonymise(author, self._key)}")

    def _post(self, item: RawItem, source_id: int | None, collected_at: datetime) -> Post:
        limit = self.max_text_chars
        # Titles are one line; newlines in them are layout, not structure.
        # Cutting to 4x the limit before cleaning bounds the cost of huge bodies; only
        # text that is mostly whitespace or invisible characters ends up shorter.
        title = clean_text((item.title or "")[: limit * 4]).replace("\n", " ")[:limit].rstrip()
        body = item.text or ""
        if item.is_html:
            body = html_to_text(body)
        text = clean_text(body[: limit * 4])[:limit].rstrip()
        if not text:
            text = title
        if not text:
            raise QuarantineError("empty: no title or text")

        external_id = (item.external_id or "").strip() or None
        url = (item.url or "").strip() or None
        canonical_url = canonicalize_url(url) if url else None
        if url and canonical_url is None and external_id is None:
            raise QuarantineError(f"unusable url: {url[:_MAX_URL_IN_REASON]!r}")

        # Title-only posts carry the title as text; count it once for language and tokens.
        full = text if text == title or not title else f"{title}\n{text}"
        content_hash = _content_hash(title, text)
        if external_id:
            dedup_key = f"id:{external_id}"
        elif canonical_url:
            dedup_key = f"url:{canonical_url}"
        else:
            dedup_key = f"hash:{content_hash}"
        lang = detect_language(full)
        author_key = pseudonymise(item.author, self._key)
        return Post(
            source_id=source_id,
            dedup_key=dedup_key,
            external_id=external_id,
            url=url,
            canonical_url=canonical_url,
            title=title,
            text=text,
            lang=lang,
            tokens=index_tokens(full, lang),
            author_key=author_key,
            published_at=_as_utc(item.published_at) if item.published_at is not None else None,
            collected_at=collected_at,
            engagement=_engagement(item.engagement),
            raw=scrub_author(item.raw, item.author, f"author:{author_key}"),
            content_hash=content_hash,
        )


def _content_hash(title: str, text: str) -> str:
    """SHA-1 of title and text with case and whitespace differences removed.

    Computed on the cleaned text (NFKC), so copies that differ only in spacing,
    width or letter case hash the same, whatever their language.
    """
    canonical = " ".join(f"{title}\n{text}".casefold().split())
    return hashlib.sha1(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    """Timezone-aware UTC; a naive datetime is taken to be UTC already."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _engagement(values: Any) -> dict[str, int]:
    """Only non-negative integer counts under string keys (bools are not counts)."""
    if not isinstance(values, dict):
        return {}
    return {
        key: value
        for key, value in values.items()
        if isinstance(key, str) and type(value) is int and value >= 0
    }


def _raw(item: Any) -> dict[str, Any]:
    raw = getattr(item, "raw", None)
    return raw if isinstance(raw, dict) else {"unreadable_item": repr(item)[:_MAX_REASON_CHARS]}
