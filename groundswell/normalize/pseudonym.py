"""Author pseudonyms: stable per author and desk, useless without the desk's key.

Posts keep a keyed HMAC of the author instead of the author, so the desk can
count and group by author (is one account driving a topic?) without storing
who it is. Normalising first (NFKC, strip, case-fold) makes "Alice", "ALICE "
and full-width "Ａｌｉｃｅ" one author. Rotating the key unlinks all history.
"""

from __future__ import annotations

import hmac
import unicodedata

__all__ = ["pseudonymise"]

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
