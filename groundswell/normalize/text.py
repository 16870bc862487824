"""Plain text from HTML and from messy source text, one spelling per character.

`html_to_text` must survive whatever a feed or page sends, so it never raises:
if the parser fails it falls back to stripping tags with a regex. HTML parsing
(lexbor, through selectolax) is quadratic in nesting depth (200,000 nested divs
take minutes), so markup nested deeper than MAX_DEPTH is flattened first:
the extra tags are dropped (block tags become <br>) and their text is kept.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata

from selectolax.lexbor import LexborHTMLParser

__all__ = ["MAX_DEPTH", "clean_text", "html_to_text"]

MAX_DEPTH = 256

_DROP_TAGS = ["script", "style", "noscript", "template", "iframe", "svg", "math", "head",
              "object", "embed", "canvas", "select", "button"]  # fmt: skip


def _tag_set(names: str) -> frozenset[str]:
    return frozenset(names.split())


_BLOCK_TAGS = _tag_set(
    "address article aside blockquote br caption dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre "
    "section summary table tbody tfoot thead tr ul"
)
_VOID_TAGS = _tag_set("area base br col embed hr img input link meta param source track wbr")
_BLOCK_SELECTOR = ", ".join(sorted(_BLOCK_TAGS))
# Inserted around block elements; distinct from source newlines, which HTML treats as spaces.
_BREAK = "\u2029"
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*>")
_FALLBACK_DROP = re.compile(
    r"<(script|style|noscript|template|iframe|svg)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL
)
_FALLBACK_BLOCK = re.compile(
    r"</?(?:p|div|br|li|h[1-6]|tr|blockquote|pre|section|article|ul|ol|table)\b[^>]*>",
    re.IGNORECASE,
)
_FALLBACK_TAG = re.compile(r"<[^>]*>?")
# A fragment (no <html>/<head>/<body>) is parsed as body content; otherwise a leading
# <noscript> or <title> would be parsed into <head> and its text moved into the body.
_DOCUMENT = re.compile(r"<(?:!doctype|html|head|body)\b", re.IGNORECASE)
_FRAGMENT_SNIFF_CHARS = 4096
# Few tags means shallow nesting is guaranteed, so the depth scan is skipped.
_SCAN_ABOVE_TAGS = MAX_DEPTH * 4

# Control characters (but tab and line breaks), soft hyphen, zero-width and bidi
# formatting characters, BOM, interlinear annotation marks.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
# Lone surrogates (broken UTF-16 from a source) cannot be encoded to store or match.
_SURROGATES = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r" ?\n[\n ]*")


def clean_text(text: str) -> str:
    """NFKC, drop control and zero-width characters, one space between words, one newline
    between paragraphs (blank lines removed), stripped.

    Zero-width joiners go too, so emoji ZWJ sequences fall apart into their parts; a
    small loss for text that is indexed and compared, not displayed as typeset.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", _SURROGATES.sub("\ufffd", text))
    text = _INVISIBLE.sub("", text)
    text = _LINE_BREAK.sub("\n", text)
    text = _SPACES.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    return text.strip()


def html_to_text(html: str) -> str:
    """Visible text of an HTML document or fragment, block elements on their own lines."""
    if not html:
        return ""
    try:
        return _parse_to_text(html)
    except Exception:  # the parser is C code fed hostile input: fall back, never raise
        return _regex_to_text(html)


def _parse_to_text(html: str) -> str:
    if html.count("<") > _SCAN_ABOVE_TAGS:
        html = _flatten_deep(html, MAX_DEPTH)
    if not _DOCUMENT.search(html, 0, _FRAGMENT_SNIFF_CHARS):
        html = "<body>" + html
    tree = LexborHTMLParser(html)
    tree.strip_tags(_DROP_TAGS)
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css(_BLOCK_SELECTOR):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    for node in root.css("td, th"):
        node.insert_after(" ")
    text = root.text(deep=True)
    lines = (_HTML_SPACE.sub(" ", line).strip() for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


def _flatten_deep(html: str, limit: int) -> str:
    """Drop tags that would open deeper than `limit` (block ones become <br>).

    Depth comes from the raw tag stream: a closing tag only closes a matching tag
    among the few innermost open ones, and implicit closes are ignored, so the
    estimate errs high; real pages (depth well under 100) come through unchanged.
    """
    stack: list[tuple[str, bool]] = []  # (tag name, kept) of open tags, innermost last
    pieces: list[str] = []
    last = 0
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID_TAGS or match.group(0).endswith("/>"):
            continue
        if not closing:
            keep = len(stack) < limit
            stack.append((name, keep))
            if keep:
                continue
            replacement = "<br>" if name in _BLOCK_TAGS else ""
        else:
            for back in range(1, min(len(stack), 8) + 1):
                if stack[-back][0] == name:
                    break
            else:
                continue  # nothing to close: the parser ignores it too
            keep = stack[-back][1]
            del stack[-back:]
            if keep:
                continue
            replacement = "<br>" if name in _BLOCK_TAGS else ""
        pieces.append(html[last : match.start()])
        pieces.append(replacement)
        last = match.end()
    if not pieces:
        return html
    pieces.append(html[last:])
    return "".join(pieces)


def _regex_to_text(html: str) -> str:
    """Crude tag stripping for input the parser choked on."""
    text = _FALLBACK_DROP.sub(" ", html)
    text = _FALLBACK_BLOCK.sub(_BREAK, text)
    text = _FALLBACK_TAG.sub(" ", text)
    text = htmllib.unescape(text)
    lines = (_HTML_SPACE.sub(" ", line).strip() for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)
