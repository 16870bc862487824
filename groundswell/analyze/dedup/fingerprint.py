"""A post's repost fingerprint: its ordered shingle hashes, compact and storable.

The index verifies a candidate by how much of the shorter text lies, in order,
inside the longer one, so the fingerprint keeps the shingle sequence itself (not
a sketch): 4 bytes per shingle, at most `MAX_SHINGLES` of them, plus the token
count and a hash of the whole canonical text for exact matches. A stored
fingerprint is all `StoryIndex.restore` needs to rebuild the index.

Shingles are `SHINGLE` consecutive tokens (characters for Han, words for Latin).
Hashes are computed with numpy from stable per-token values (code point, or
CRC-32 of a word), never Python's salted `hash()`, so they survive restarts.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from groundswell.analyze.dedup.repost_text import canonical_form

__all__ = [
    "MAX_SHINGLES",
    "SHINGLE",
    "Fingerprint",
    "decode_fingerprint",
    "encode_fingerprint",
    "fingerprint",
    "fingerprint_of",
]

SHINGLE = 3
MAX_SHINGLES = 512
_VERSION = 1
_HEADER = struct.Struct("<BBBxIQ")  # version, shingle size, flags, token count, exact hash
_TRUNCATED_FLAG = 1
_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
    dtype=np.uint64,
)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_WORD_BIT = 1 << 32  # word hashes never equal a code point
# Bits of `Fingerprint.bitmap`: 128 bytes; a 512-shingle text sets at most 40 % of them,
# and an unrelated text needs ~60 % of its shingles set to pass the bound.
BITMAP_BITS = 1024
_BIT = (np.uint8(1) << np.arange(8, dtype=np.uint8)).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """Decoded fingerprint, as the index holds it."""

    n_tokens: int
    exact: int
    shingles: np.ndarray  # uint32, in text order
    truncated: bool = False  # ends in an ellipsis: may be the head of a longer text

    @cached_property
    def bitmap(self) -> np.ndarray:
        """The shingles as a `BITMAP_BITS`-bit set, packed in bytes (kept once asked for).

        A shingle whose bit is clear is not in this text; a set bit may be a
        collision. So it bounds from above how many of another text's shingles
        this one holds, in a few array operations instead of a sort. Kept, since
        a story's representatives are compared again and again: 128 bytes.
        """
        bits = self.shingles & (BITMAP_BITS - 1)
        bitmap = np.zeros(BITMAP_BITS // 8, dtype=np.uint8)
        np.bitwise_or.at(bitmap, bits >> 3, _BIT[bits & 7])
        return bitmap

    def shingles_maybe_in(self, other: Fingerprint) -> int:
        """An upper bound on how many of this text's shingles (with repeats) `other` holds."""
        bits = self.shingles & (BITMAP_BITS - 1)
        return int(np.count_nonzero(other.bitmap[bits >> 3] & _BIT[bits & 7]))


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits of the combined token values."""
    values = values ^ (values >> np.uint64(30))
    values = values * _M2
    values = values ^ (values >> np.uint64(27))
    values = values * _M3
    return values ^ (values >> np.uint64(31))


def _token_values(tokens: list[str]) -> np.ndarray:
    joined = "".join(tokens)
    if len(joined) == len(tokens):  # all single characters (Han): their code points
        return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return np.fromiter(
        (
            ord(token) if len(token) == 1 else zlib.crc32(token.encode()) | _WORD_BIT
            for token in tokens
        ),
        dtype=np.uint64,
        count=len(tokens),
    )


def _shingle_hashes(tokens: list[str]) -> np.ndarray:
    if not tokens:
        return np.zeros(0, dtype=np.uint32)
    values = _token_values(tokens[: MAX_SHINGLES + SHINGLE - 1])
    if len(values) < SHINGLE:
        combined = np.array([values @ _MULTIPLIERS[: len(values)]], dtype=np.uint64)
    else:
        # A different odd multiplier per offset makes the order count ("ab" != "ba").
        count = len(values) - SHINGLE + 1
        combined = values[:count] * _MULTIPLIERS[0]
        for offset in range(1, SHINGLE):
            combined += values[offset : offset + count] * _MULTIPLIERS[offset]
    return (_mix(combined) >> np.uint64(32)).astype(np.uint32)


def fingerprint_of(text: str, title: str = "") -> Fingerprint:
    """The decoded fingerprint of a post, as the index uses it."""
    tokens, truncated = canonical_form(text, title)
    exact = 0
    if tokens:
        digest = hashlib.blake2b("\x1f".join(tokens).encode(), digest_size=8).digest()
        exact = int.from_bytes(digest, "little")
    return Fingerprint(len(tokens), exact, _shingle_hashes(tokens), truncated)


def encode_fingerprint(value: Fingerprint) -> bytes:
    flags = _TRUNCATED_FLAG if value.truncated else 0
    header = _HEADER.pack(_VERSION, SHINGLE, flags, min(value.n_tokens, 0xFFFFFFFF), value.exact)
    return header + value.shingles.astype("<u4").tobytes()


def decode_fingerprint(data: bytes) -> Fingerprint:
    """Inverse of `encode_fingerprint`; ValueError on bytes it did not write."""
    if len(data) < _HEADER.size or (len(data) - _HEADER.size) % 4:
        raise ValueError("not a repost fingerprint: wrong length")
    version, shingle, flags, n_tokens, exact = _HEADER.unpack_from(data)
    if version != _VERSION or shingle != SHINGLE:
        raise ValueError(f"fingerprint version {version}/{shingle} is not {_VERSION}/{SHINGLE}")
    shingles = np.frombuffer(data, dtype="<u4", offset=_HEADER.size).astype(np.uint32)
    if len(shingles) > MAX_SHINGLES:
        raise ValueError("not a repost fingerprint: too many shingles")
    return Fingerprint(n_tokens, exact, shingles, bool(flags & _TRUNCATED_FLAG))


def fingerprint(text: str, title: str = "") -> bytes:
    """Storable fingerprint of a post (16 bytes + 4 per shingle, at most ~2 KB)."""
    return encode_fingerprint(fingerprint_of(text, title))
