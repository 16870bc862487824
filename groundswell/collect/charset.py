"""Turn response bytes into text without ever raising.

Chinese sites are often served as GBK/GB2312/Big5 and are often mislabelled, so
the order is: BOM > Content-Type charset > in-document declaration (<meta
charset>, http-equiv, <?xml encoding?>) > valid UTF-8 > charset_normalizer's
guess > UTF-8 with replacement characters. A declared charset that fails to
decode strictly is treated as a lie and the next clue is tried.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# Decode with the superset: pages labelled gb2312 routinely contain GBK/GB18030
# characters, and Big5 pages Hong Kong extensions. Latin labels follow WHATWG.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "euc_kr": "cp949",
}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:\-]+)["']""", re.I)
_SNIFF_BYTES = 4096
_DETECT_BYTES = 256_000


def normalise_encoding(label: str | None) -> str | None:
    """Python codec name for a charset label, widened to its superset; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    name = _SUPERSETS.get(name.replace("-", "_"), name)
    return codecs.lookup(name).name


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, as a codec name, or None."""
    if not content_type:
        return None
    match = _CT_CHARSET.search(content_type)
    return normalise_encoding(match.group(1)) if match else None


def declared_in_document(body: bytes) -> str | None:
    """Encoding declared inside the document head (XML declaration or <meta>)."""
    head = body[:_SNIFF_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return normalise_encoding(match.group(1).decode("ascii", "replace")) if match else None


def _strict(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def detect_encoding(body: bytes) -> str | None:
    """charset_normalizer's best guess for the first part of `body`, or None."""
    sample = body[:_DETECT_BYTES]
    try:
        matches = list(charset_normalizer.from_bytes(sample))
    except Exception:  # a detector bug must never lose the page
        return None
    for match in matches:
        encoding = normalise_encoding(match.encoding)
        # Short CJK text is sometimes "detected" as BOM-less UTF-16/32; real
        # UTF-16/32 text has NUL bytes, so without any the guess is noise.
        if encoding and (not encoding.startswith(("utf-16", "utf-32")) or b"\x00" in sample):
            return encoding
    return None


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a response body; returns (text, encoding). Never raises."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace"), encoding
    for encoding in (charset_from_content_type(content_type), declared_in_document(body), "utf-8"):
        text = _strict(body, encoding)
        if text is not None and encoding is not None:
            return text, encoding
    guess = detect_encoding(body)
    if guess:
        return body.decode(guess, "replace"), guess
    return body.decode("utf-8", "replace"), "utf-8"
