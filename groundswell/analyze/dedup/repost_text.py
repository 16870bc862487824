"""Reduce a post to the text a repost shares with its original.

A repost differs from its original by things a reader ignores: commentary in
front (Weibo's `comment//@name:original` chain, `RT @name:`), markers
(`转发微博`), a source line (`（来源：新华社）`, `via @x`, `- Reuters`), URLs,
@mentions, hashtag signs, Weibo emoticon codes (`[哈哈]`), punctuation, spacing,
width, case and Traditional/Simplified script. All of that goes; what is left is
a list of tokens: one token per character for scripts written without spaces
(Han, kana, Thai...), one per word otherwise.

Weibo chains: in `c2//@B:c1//@A:text` the last segment is the text being
reposted, so it is kept alone unless it is too short to stand for the post
(then the whole text, without the chain markers, is used).
"""

from __future__ import annotations

import re

from groundswell.analyze.fold import fold

__all__ = ["MAX_RAW_CHARS", "canonical_form", "canonical_text", "canonical_tokens"]

# Work is bounded: only the head of a huge post is read (its fingerprint also
# records the length, see fingerprint.py).
MAX_RAW_CHARS = 20_000
# A last chain segment shorter than this (in tokens) is commentary like "同意",
# not a reposted text, so the whole post is used instead.
_MIN_CHAIN_TOKENS = 4

_CHAR_SCRIPTS = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana, Han
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao, Myanmar, Khmer
    "\U00020000-\U0002ebef\U00030000-\U0003134f"  # Han extensions
)
_TOKENS = re.compile(rf"[{_CHAR_SCRIPTS}]|[^\W_{_CHAR_SCRIPTS}]+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\bt\.cn/\w+", re.IGNORECASE)
_NAME = r"@[^\s:@/]{1,30}"
# Separators between commentary and the reposted text (text is folded: ASCII colon).
_CHAIN = re.compile(rf"//\s*{_NAME}\s*:|\brt\s+{_NAME}\s*:|(?:转发|repost)\s*{_NAME}\s*:")
_REPLY = re.compile(rf"回复\s*{_NAME}\s*:")
_MARKERS = re.compile(
    r"转发微博|轉發微博|^\s*[【\[(]?\s*(?:转发|分享|repost(?:ed)?|rt|retweet(?:ed)?)\b\s*[】\])]?\s*:?"
    r"|转发理由\s*:|(?:展开)?全文\s*$|网页链接|查看图片"
)
_SOURCE_LINE = re.compile(
    r"(?:[(\[【〔]\s*)?(?:来源|来自|消息来源|source|出处|转自|摘自|编辑|责任编辑|记者)\s*[:：]"
    r"[^()\[\]【】〔〕\n]{0,40}[)\]】〕]?\s*$"
    r"|\s*\bvia\s*@?\S{1,30}\s*$"
)
# "headline - Publisher": stripped only when a real text remains before it.
_DASH_TAIL = re.compile(r"\s+[-–—|]\s*(?:[^\W\d_][\w.&'’]*\s*){1,4}$")
# Nicknames are letters, digits, "_" and "-"; a mention ends at anything else.
_MENTION = re.compile(r"@[\w\-·]{1,20}")
# Platforms mark a cut text ("…", "...全文", "... more"; NFKC turns "…" into "...").
# Each source-line form needs one of these words, each URL one of these prefixes (the
# text is folded: lower case): a text with none skips that pattern's scan.
_SOURCE_WORDS = ("来源", "来自", "出处", "转自", "摘自", "编辑", "记者", "source", "via")
_URL_PREFIXES = ("http", "www.", "t.cn/")
_TRUNCATED = re.compile(r"(?:\.{2,}|⋯)\s*(?:(?:展开)?全文|more)?\s*$")
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _strip_source_lines(text: str) -> str:
    """Drop up to three trailing source lines ("... - Reuters (via @x)")."""
    has_source_word = any(word in text for word in _SOURCE_WORDS)
    for _ in range(3):
        stripped = text.rstrip()
        if has_source_word:
            stripped = _SOURCE_LINE.sub("", stripped)
        # "text - Reuters": only when a real text is left before the dash.
        without_dash = _DASH_TAIL.sub("", stripped)
        if (
            without_dash != stripped
            and len(_tokens(_MENTION.sub(" ", without_dash))) >= _MIN_CHAIN_TOKENS
        ):
            stripped = without_dash
        if stripped == text:
            break
        text = stripped
    return text


def canonical_tokens(text: str, title: str = "") -> list[str]:
    """The tokens a post shares with its reposts; [] when nothing of substance is left."""
    return canonical_form(text, title)[0]


def canonical_form(text: str, title: str = "") -> tuple[list[str], bool]:
    """Canonical tokens, and whether the text ends in an ellipsis (a cut copy)."""
    body = text or ""
    if title and not fold(body[: len(title) + 16]).startswith(fold(title)):
        body = f"{title}\n{body}" if body else title
    if not body:
        return [], False
    folded = fold(body[:MAX_RAW_CHARS])
    if any(prefix in folded for prefix in _URL_PREFIXES):
        folded = _URL.sub(" ", folded)
    folded = _REPLY.sub(" ", folded)
    segments = _CHAIN.split(folded)
    if len(segments) > 1:
        last = _MARKERS.sub(" ", segments[-1])
        if len(_tokens(_EMOTICON.sub(" ", _MENTION.sub(" ", last)))) >= _MIN_CHAIN_TOKENS:
            folded = last
        else:
            folded = " ".join(segments)
    folded = _MARKERS.sub(" ", folded)
    folded = _strip_source_lines(folded)
    cut = _TRUNCATED.search(folded)
    if cut is not None:
        folded = folded[: cut.start()]
    folded = _MENTION.sub(" ", folded)
    folded = _EMOTICON.sub(" ", folded)
    return _tokens(folded), cut is not None


def canonical_text(text: str, title: str = "") -> str:
    """The canonical tokens joined by spaces, for inspection and docs."""
    return " ".join(canonical_tokens(text, title))
