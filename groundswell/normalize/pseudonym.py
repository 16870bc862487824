"""Author pseudonyms: stable per author and desk, useless without the desk's key.

Posts keep a keyed HMAC of the author instead of the author, so the desk can
count and group by author (is one account driving a topic?) without storing
who it is. Normalising first (NFKC, strip, case-fold) makes "Alice", "ALICE "
and full-width "Ａｌｉｃｅ" one author. Rotating the key unlinks all history.
"""

from __future__ import annotations

import hmac
import unicodedata
from typing import Any

__all__ = ["pseudonymise", "scrub_author"]

_HEX_CHARS = 32  # 16 bytes: collisions are negligible at any realistic author count


def pseudonymise(author: str | None, key: bytes) -> str | None:
    """Keyed HMAC-SHA256 of the normalised author as 32 hex chars; None for no author."""
    if not key:
        raise ValueError("pseudonym key must not be empty")
    if author is None:
        return None
    normalised = unicodedata.normalize("NFKC", author).strip().casefold()
    if not normalised:
        return None
    digest = hmac.digest(key, normalised.encode("utf-8", "surrogatepass"), "sha256")
    return digest.hex()[:_HEX_CHARS]


# Contact and identity fields some payloads carry beside the author's name
# (feedparser's author_detail holds name, email and href): dropped from raw.
IDENTITY_KEYS = frozenset(
    {"author_detail", "authors", "contributors", "email", "author_email", "user_id", "uid"}
)


def scrub_author(raw: Any, author: str | None, replacement: str) -> Any:
    """A copy of `raw` with the author's name replaced and identity fields dropped.

    The raw payload is kept beside the mapped fields; without this the pseudonym
    would be pointless, since raw would still name the author.
    """
    name = (author or "").strip()
    if len(name) < 2:
        return _drop_identity(raw)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(name, replacement) if name in value else value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items() if k not in IDENTITY_KEYS}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(raw)


def _drop_identity(raw: Any) -> Any:
    if isinstance(raw, dict) and IDENTITY_KEYS.isdisjoint(raw):
        return raw
    if isinstance(raw, dict):
        return {k: v for k, v in raw.items() if k not in IDENTITY_KEYS}
    return raw
