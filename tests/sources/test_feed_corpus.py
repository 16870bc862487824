"""feedparser's own test corpus, served over real HTTP and collected by RssSource.

Every file must yield a batch or raise ParseError/FetchError with a message;
nothing else may escape. Each file's `Expect:` line (feedparser's own
assertion) is evaluated against what `parse_feed` makes of the bytes and
headers as served, and the CJK and other legacy-encoding files must come out
as the right characters, not mojibake.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
import pytest_asyncio

from groundswell.collect.charset import normalise_encoding
from groundswell.collect.fetcher import FetchPolicy, PoliteFetcher
from groundswell.errors import FetchError, ParseError
from groundswell.sources.base import CollectContext
from groundswell.sources.rss import RssSource, parse_feed
from tests.support.http_server import LocalHTTPServer, Reply

FEEDS = Path(__file__).parents[2] / ".." / "shared" / "data" / "feeds"
FILES = sorted(p for p in FEEDS.rglob("*") if p.is_file()) if FEEDS.is_dir() else []
POLICY = FetchPolicy(per_host_interval=0.0, allowed_hosts=frozenset({"127.0.0.1"}), max_retries=0)

# Files whose Expect line cannot hold for us, and why.
KNOWN_DEVIATIONS = {
    "encoding/bozo_linenoise.xml": (
        "expects feedparser's windows-1252 fallback for random bytes; with an encoding "
        "detector installed (see rss._install_detector) the noise decodes as another codec"
    ),
}

# Text that must come out decoded (feed title, entry titles or texts).
EXPECTED_TEXT = {
    "illformed/big5.xml": "我希望",
    "illformed/gb2312.xml": "不归移民漫画系列：专业工作",
    "illformed/euckr.xml": "EUC-KR 에서 TypeKey 한글닉네임 표시하기",
    "illformed/eucjp.xml": "ゲーム三昧な正月",
    "illformed/shiftjis.xml": "DrecomRSSに記事投稿が反映されない…",
    "illformed/koi8r.xml": "Как пережить новогоднюю ночь",
    "illformed/windows1255.xml": "האם תדפיס נייר",
    "encoding/euc-kr.xml": "\ub144",
    "encoding/euc-kr-item.xml": "\ub144",
    "encoding/euc-kr-attribute.xml": '<img alt="\ub144" />',
}


def leading_comment(data: bytes) -> str:
    """The file's leading comment, whatever its encoding (some are UTF-16/32)."""
    for codec in ("utf-8", "utf-32", "utf-16", "utf-32-be", "utf-32-le", "utf-16-be", "utf-16-le"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "Description:" in text:
            return text.split("-->", 1)[0]
    return data.decode("latin-1").split("-->", 1)[0]


def comment_field(comment: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name}:\s*(.*?)\s*$", comment, re.M)


def served_headers(comment: str) -> dict[str, str]:
    headers = dict(h.split(":", 1) for h in comment_field(comment, "Header"))
    # Files without headers were meant to be parsed with no HTTP context; for
    # feedparser, application/xml without charset is the exact equivalent.
    return {k.strip(): v.strip() for k, v in headers.items()} or {"Content-Type": "application/xml"}


def same_encoding(actual: str | None, expected: str) -> bool:
    """Encoding names compared as codecs, a superset counting (gb2312 -> gb18030)."""
    if not actual:
        return False
    return codecs.lookup(actual).name in {
        codecs.lookup(expected).name,
        normalise_encoding(expected),
    }


def expectation_holds(expect: str, parsed: feedparser.FeedParserDict) -> bool:
    code = re.sub(r"encoding == '([^']+)'", r"same_encoding(encoding, '\1')", expect)
    scope = {"feedparser": feedparser, "same_encoding": same_encoding}
    return bool(eval(code, scope, parsed))  # test data from feedparser's own suite


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fetcher() -> AsyncIterator[PoliteFetcher]:
    async with PoliteFetcher(POLICY) as f:
        yield f


def test_corpus_is_present():
    assert len(FILES) >= 350, f"feed corpus missing or incomplete under {FEEDS}"
    for name in EXPECTED_TEXT:
        assert (FEEDS / name).is_file(), name


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(FEEDS).as_posix())
async def test_feed_file(path: Path, http_server_module: LocalHTTPServer, fetcher: PoliteFetcher):
    name = path.relative_to(FEEDS).as_posix()
    data = path.read_bytes()
    comment = leading_comment(data)
    http_server_module.route("/" + name, Reply(200, data, served_headers(comment)))
    url = http_server_module.url("/" + name)

    texts: list[Any] = []
    try:
        batch = await RssSource(RssSource.Config(url=url)).collect(CollectContext(fetcher=fetcher))
    except (ParseError, FetchError) as exc:  # a recorded, readable error is fine
        assert len(str(exc)) > 15, f"{name}: unhelpful error {exc!r}"
    else:
        for item in batch.items:
            json.dumps(item.raw)
            assert item.published_at is None or item.published_at.utcoffset() is not None
            texts += [item.title, item.text]
        for rejected in batch.rejected:
            assert rejected.reason
            json.dumps(rejected.raw)

    result = await fetcher.fetch(url)
    assert result.body == data
    parsed = parse_feed(result.body, result.headers, result.url)
    for expect in comment_field(comment, "Expect"):
        if name not in KNOWN_DEVIATIONS:
            assert expectation_holds(expect, parsed), (
                f"{name}: Expect: {expect} -- got encoding={parsed.get('encoding')!r}, "
                f"bozo={parsed.get('bozo')}, exception={parsed.get('bozo_exception')!r}"
            )
    if name in EXPECTED_TEXT:
        texts.append(parsed.feed.get("title"))
        assert any(EXPECTED_TEXT[name] in (t or "") for t in texts), f"{name}: {texts!r}"
