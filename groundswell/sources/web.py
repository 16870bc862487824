"""News portals and forums without a feed: a list page, then each new article page.

The list page is fetched with a conditional GET; links not seen before are
fetched through the shared polite fetcher and reduced to plain text (CSS
selectors when configured, else trafilatura, else the page body without
scripts). Items carry plain text (`is_html` False): markup is never passed on,
so hostile pages cannot leak script into what monitors read.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

import trafilatura
from pydantic import Field, field_validator
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from groundswell.errors import FetchError, ParseError
from groundswell.models import RawItem, Rejected, SourceBatch
from groundswell.sources.base import CollectContext, Source, SourceConfig
from groundswell.sources.file import parse_timestamp

SEEN_LIMIT = 2000  # newest article URLs remembered between runs
MAX_ATTEMPTS = 3  # a failing article is retried this often, then given up (and reported)
RAW_TEXT_LIMIT = 50_000  # characters of text kept in raw (<= 150 KB even in CJK)
_CONCURRENCY = 4  # article fetches in flight; the fetcher still spaces them per host
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_INVISIBLE = ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg"]
_SCRIPT_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"</?[a-z][^>]*>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_TIME_META = (
    'meta[property="article:published_time"]',
    'meta[name="article:published_time"]',
    'meta[itemprop="datePublished"]',
    'meta[name="pubdate"]',
    'meta[name="publishdate"]',
)


def _check_selector(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        LexborHTMLParser("<p></p>").css(value)
    except SelectolaxError:
        raise ValueError(f"invalid CSS selector {value!r}") from None
    return value


class WebSourceConfig(SourceConfig):
    """The list page, which of its links are articles, and how to read an article."""

    url: str
    link_selector: str = "a"
    link_pattern: str | None = None
    same_host: bool = True
    max_articles: int = Field(default=20, ge=1, le=500)
    title_selector: str | None = None
    text_selector: str | None = None
    time_selector: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an absolute http(s) URL, got {value!r}")
        return value.strip()

    @field_validator("link_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"link_pattern is not a valid regex: {exc}") from None
        return value

    @field_validator("link_selector", "title_selector", "text_selector", "time_selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        return _check_selector(value)


def clean_text(value: str | None) -> str:
    """Plain text with any literal script blocks and tags removed, whitespace tidied."""
    if not value:
        return ""
    value = _TAG.sub(" ", _SCRIPT_BLOCK.sub(" ", value))
    lines = (_SPACES.sub(" ", line).strip() for line in value.splitlines())
    return "\n".join(line for line in lines if line)


def find_links(html: str, base_url: str, config: WebSourceConfig) -> list[str]:
    """Absolute article URLs on a list page, in page order, without duplicates."""
    tree = LexborHTMLParser(html)
    # The configured host and, if the list page redirected (www., https), where it went.
    hosts = {(urlsplit(u).hostname or "").lower() for u in (config.url, base_url)}
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base_url = urljoin(base_url, base_node.attributes.get("href") or "")
    pattern = re.compile(config.link_pattern) if config.link_pattern else None
    links: dict[str, None] = {}
    for node in tree.css(config.link_selector):
        href = node.attributes.get("href")
        if href is None:  # the selector may match a container: use its first link
            inner = node.css_first("a[href]")
            href = inner.attributes.get("href") if inner is not None else None
        if not href or not href.strip():
            continue
        url, _ = urldefrag(urljoin(base_url, href.strip()))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if config.same_host and parts.hostname.lower() not in hosts:
            continue
        if pattern is not None and not pattern.search(url):
            continue
        if url not in (config.url, base_url):
            links[url] = None
    return list(links)


def _selected_text(tree: LexborHTMLParser, selector: str | None) -> str:
    if not selector:
        return ""
    return "\n".join(node.text(separator=" ", strip=True) for node in tree.css(selector))


def _node_time(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    attrs = node.attributes
    return attrs.get("datetime") or attrs.get("content") or node.text(strip=True) or None


def _first_time(candidates: list[str | None]) -> tuple[datetime | None, str | None]:
    """The first candidate that parses; unparseable ones are skipped (a date is optional)."""
    for candidate in candidates:
        try:
            parsed = parse_timestamp(candidate)
        except (ValueError, OverflowError, OSError):
            continue
        if parsed is not None:
            return parsed, candidate
    return None, None


def extract_article(html: str, url: str, config: WebSourceConfig) -> dict[str, Any]:
    """Title, plain text, author and time of one article page, and how they were found."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(_INVISIBLE)
    method = "selector"
    text = clean_text(_selected_text(tree, config.text_selector))
    doc = None
    if not text:
        method = "trafilatura"
        try:
            doc = trafilatura.bare_extraction(
                html, url=url, with_metadata=True, include_comments=False, include_tables=True
            )
        except Exception:  # trafilatura raises assorted errors on odd markup; fall back
            doc = None
        text = clean_text(getattr(doc, "text", None))
    if not text and tree.body is not None:
        method = "body"
        text = clean_text(tree.body.text(separator="\n", strip=True))
    og_title = tree.css_first('meta[property="og:title"]')
    title_node = tree.css_first("title")
    h1 = tree.css_first("h1")
    titles = [
        _selected_text(tree, config.title_selector),
        getattr(doc, "title", None),
        og_title.attributes.get("content") if og_title is not None else None,
        title_node.text(strip=True) if title_node is not None else None,
        h1.text(strip=True) if h1 is not None else None,
    ]
    title = next((clean_text(t) for t in titles if clean_text(t)), None)
    time_candidates = (
        [_node_time(tree.css_first(config.time_selector))] if config.time_selector else []
    )
    time_candidates += [_node_time(tree.css_first(sel)) for sel in _TIME_META]
    time_candidates += [_node_time(tree.css_first("time[datetime]")), getattr(doc, "date", None)]
    published_at, date_text = _first_time(time_candidates)
    author = clean_text(getattr(doc, "author", None)) or None
    if author is None:
        meta_author = tree.css_first('meta[name="author"]')
        if meta_author is not None:
            author = clean_text(meta_author.attributes.get("content")) or None
    return {
        "title": title,
        "text": text,
        "author": author,
        "published_at": published_at,
        "date": date_text,
        "method": method,
    }


class WebSource(Source):
    """A list page plus its article pages; remembers which articles it already took."""

    kind: ClassVar[str] = "web"
    title: ClassVar[str] = "Web page (list + articles)"
    Config: ClassVar[type[SourceConfig]] = WebSourceConfig
    config: WebSourceConfig

    async def collect(self, ctx: CollectContext) -> SourceBatch:
        """List page (raises on failure, for source health), then new articles."""
        state = ctx.state or {}
        seen: list[str] = [u for u in state.get("seen") or [] if isinstance(u, str)]
        failures: dict[str, int] = dict(state.get("failures") or {})
        listing = await ctx.fetcher.fetch(
            self.config.url,
            etag=state.get("etag"),
            last_modified=state.get("last_modified"),
            accept=_ACCEPT,
        )
        etag, last_modified = state.get("etag"), state.get("last_modified")
        if listing.not_modified:
            links = list(failures)  # nothing new listed; still retry last round's failures
        else:
            etag, last_modified = listing.etag, listing.last_modified
            links = find_links(listing.text, listing.url, self.config)
            if not links:  # a changed layout must show in source health, not look quiet
                wanted = f"link_selector {self.config.link_selector!r}"
                if self.config.link_pattern:
                    wanted += f" and link_pattern {self.config.link_pattern!r}"
                raise ParseError(f"list page {listing.url} has no links matching {wanted}")
            links += [u for u in failures if u not in links]
        seen_set = set(seen)
        todo = [u for u in links if u not in seen_set][: self.config.max_articles]
        batch = SourceBatch(not_modified=listing.not_modified and not todo)

        limit = asyncio.Semaphore(_CONCURRENCY)

        async def one(link: str) -> RawItem | Rejected:
            async with limit:
                return await self._article(ctx, link, listing.url)

        for link, result in zip(todo, await asyncio.gather(*map(one, todo)), strict=True):
            if isinstance(result, RawItem):
                batch.items.append(result)
                failures.pop(link, None)
                seen.append(link)
                continue
            attempts = failures.pop(link, 0) + 1
            if attempts >= MAX_ATTEMPTS:
                result.reason += f" (attempt {attempts} of {MAX_ATTEMPTS}; giving up)"
                seen.append(link)
            else:
                result.reason += f" (attempt {attempts} of {MAX_ATTEMPTS}; will retry)"
                failures[link] = attempts
            batch.rejected.append(result)
        batch.state = {
            "etag": etag,
            "last_modified": last_modified,
            "seen": seen[-SEEN_LIMIT:],
            "failures": dict(list(failures.items())[-SEEN_LIMIT:]),
        }
        return batch

    async def _article(self, ctx: CollectContext, link: str, list_url: str) -> RawItem | Rejected:
        raw: dict[str, Any] = {"url": link, "list_url": list_url}
        try:
            page = await ctx.fetcher.fetch(link, accept=_ACCEPT)
        except FetchError as exc:
            return Rejected(reason=f"article {link}: fetch failed: {exc}", raw=raw)
        content_type = page.headers.get("content-type", "")
        if content_type and "html" not in content_type.lower():
            return Rejected(
                reason=f"article {link}: not an HTML page ({content_type})",
                raw={**raw, "final_url": page.url, "content_type": content_type},
            )
        found = await asyncio.to_thread(extract_article, page.text, page.url, self.config)
        published_at = found.pop("published_at")
        extracted = {**found, "text": found["text"][:RAW_TEXT_LIMIT], "encoding": page.encoding}
        raw.update(final_url=page.url, title=found["title"], extracted=extracted)
        if not found["text"]:
            return Rejected(reason=f"article {link}: no text found on the page", raw=raw)
        return RawItem(
            raw=raw,
            url=page.url,
            title=found["title"],
            text=found["text"],
            is_html=False,
            author=found["author"],
            published_at=published_at,
        )
