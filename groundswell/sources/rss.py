"""RSS and Atom feeds: fetched politely, parsed by feedparser, mapped to RawItems.

feedparser gets the raw bytes and the response headers (never a str or a path,
see `parse_feed`) so its RFC 3023 encoding rules apply, including recovery
from mislabelled encodings. Broken feeds fail visibly: a feed that yields
nothing raises ParseError, a feed that is merely ill-formed keeps its entries
and reports a warning, and an entry with nothing in it is rejected, not dropped.
"""

from __future__ import annotations

import asyncio
import io
import time
import xml.sax
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import feedparser
import feedparser.encodings
from pydantic import Field, field_validator

from groundswell.collect.charset import detect_encoding
from groundswell.errors import ParseError
from groundswell.models import RawItem, Rejected, SourceBatch
from groundswell.sources.base import CollectContext, Source, SourceConfig

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _detect_for_feedparser(data: bytes) -> str:
    return detect_encoding(data) or ""


def _install_detector() -> None:
    """Give feedparser an encoding detector when chardet is not installed.

    feedparser tries: declared charsets, then chardet, then utf-8/windows-1252/
    iso-8859-2. Without chardet, undeclared or mislabelled GBK/Big5/EUC-KR feeds
    come out as Latin mojibake; charset_normalizer (already a dependency) fills
    the same slot. Idempotent, and it never replaces a real chardet.
    """
    if feedparser.encodings.lazy_chardet_encoding is None:
        feedparser.encodings.lazy_chardet_encoding = _detect_for_feedparser


def parse_feed(body: bytes, headers: dict[str, str], url: str) -> feedparser.FeedParserDict:
    """Parse feed bytes as served with `headers` from `url`.

    The body is wrapped in BytesIO because feedparser treats a bytes argument
    that happens to be a valid local path as a file to open: a hostile server
    answering "/etc/passwd" would otherwise have us parse a local file.
    """
    _install_detector()
    response_headers = {k.lower(): v for k, v in headers.items()}
    # Relative links resolve against where the feed really came from.
    response_headers["content-location"] = urljoin(
        url, response_headers.get("content-location", "")
    )
    # No Content-Type would make feedparser assume ISO-8859-1 (RFC 2616), which
    # always "decodes" and so hides the real charset; treat it as generic XML.
    response_headers.setdefault("content-type", "application/xml")
    return feedparser.parse(io.BytesIO(body), response_headers=response_headers)


def _jsonable(value: Any) -> Any:
    """A JSON-serialisable copy of a feedparser value (struct_time -> ISO string)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, time.struct_time):
        when = _to_datetime(value)
        return when.isoformat() if when else None
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time | tuple) or len(value) < 6:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)  # feedparser normalises to UTC
    except (TypeError, ValueError, OverflowError):
        return None


def _text_of(entry: dict[str, Any]) -> tuple[str | None, bool]:
    for content in entry.get("content") or []:
        if content.get("value"):
            return content["value"], content.get("type") in HTML_TYPES
    summary = entry.get("summary")
    if summary:
        detail = entry.get("summary_detail") or {}
        return summary, detail.get("type") in HTML_TYPES
    return None, False


def entry_to_item(entry: dict[str, Any]) -> RawItem | Rejected:
    """Map one feedparser entry; an entry with no title, text or link is rejected."""
    raw = _jsonable(entry)
    title = entry.get("title") or None
    link = entry.get("link") or None
    text, is_html = _text_of(entry)
    if not (title or text or link):
        return Rejected(reason="feed entry has no title, text or link", raw=raw)
    published = _to_datetime(entry.get("published_parsed")) or _to_datetime(
        entry.get("updated_parsed")
    )
    return RawItem(
        raw=raw,
        external_id=entry.get("id") or entry.get("guid") or link,
        url=link,
        title=title,
        text=text,
        is_html=is_html,
        author=entry.get("author") or None,
        published_at=published,
    )


def _has_xml_declaration(body: bytes) -> bool:
    head = body[:32].replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xfe\xff")
    return head.startswith(b"<?xml")


def _bozo_reason(parsed: feedparser.FeedParserDict, body: bytes) -> str:
    """feedparser's complaint in words a source-health page can show."""
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "unknown problem"
    if isinstance(exc, xml.sax.SAXParseException):
        # feedparser prepends a line with an XML declaration when there is none.
        line = exc.getLineNumber() - (0 if _has_xml_declaration(body) else 1)
        return f"malformed XML: {exc.getMessage()} at line {line}, column {exc.getColumnNumber()}"
    if isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.CharacterEncodingUnknown):
        return f"encoding problem: {exc}"
    if isinstance(exc, feedparser.NonXMLContentType):
        return f"wrong content type: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _is_benign(parsed: feedparser.FeedParserDict) -> bool:
    """Bozo only about labels (charset, content type), not about the XML itself."""
    exc = parsed.get("bozo_exception")
    return isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType)


class RssSource(Source):
    """An RSS 0.9x/1.0/2.0 or Atom feed at one URL."""

    kind: ClassVar[str] = "rss"
    title: ClassVar[str] = "RSS / Atom feed"

    class Config(SourceConfig):
        url: str
        max_items: int = Field(default=500, ge=1)

        @field_validator("url")
        @classmethod
        def _http_url(cls, value: str) -> str:
            value = value.strip()
            parts = urlsplit(value)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise ValueError("must be an http:// or https:// URL with a host")
            return value

    config: Config

    async def collect(self, ctx: CollectContext) -> SourceBatch:
        etag = ctx.state.get("etag")
        last_modified = ctx.state.get("last_modified")
        result = await ctx.fetcher.fetch(
            self.config.url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT
        )
        state: dict[str, Any] = {"etag": result.etag, "last_modified": result.last_modified}
        if result.not_modified:
            return SourceBatch(not_modified=True, state=state)
        # feedparser is pure Python and can take a while on big feeds: keep the loop free.
        parsed = await asyncio.to_thread(parse_feed, result.body, result.headers, result.url)
        return self._to_batch(parsed, state, result.body)

    def _to_batch(
        self, parsed: feedparser.FeedParserDict, state: dict[str, Any], body: bytes
    ) -> SourceBatch:
        entries = parsed.get("entries") or []
        has_title = bool((parsed.get("feed") or {}).get("title"))
        if not entries and not has_title:
            # Nothing usable came out. An empty but recognisable feed that was only
            # mislabelled (charset, content type) is still a feed, with a warning.
            bozo = bool(parsed.get("bozo"))
            if not parsed.get("version") or (bozo and not _is_benign(parsed)):
                reason = _bozo_reason(parsed, body) if bozo else "no RSS or Atom content found"
                raise ParseError(f"not a feed: {reason}")
        warnings = []
        if parsed.get("bozo"):
            warnings.append(
                f"feed is not well-formed, parsed leniently: {_bozo_reason(parsed, body)}"
            )
        if len(entries) > self.config.max_items:
            warnings.append(
                f"feed has {len(entries)} entries; kept the first {self.config.max_items} "
                "(max_items)"
            )
        if warnings:
            state["warning"] = "; ".join(warnings)
        batch = SourceBatch(state=state)
        for entry in entries[: self.config.max_items]:
            mapped = entry_to_item(entry)
            if isinstance(mapped, Rejected):
                batch.rejected.append(mapped)
            else:
                batch.items.append(mapped)
        return batch
