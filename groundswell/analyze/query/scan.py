"""One post's hits and the positions behind them, for phrases and NEAR.

Spans are UTF-8 byte offsets (the automaton runs over bytes, see matcher.py);
they become token numbers only when a phrase or NEAR asks, so a post whose
schemes are plain words never pays for tokenising.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from groundswell.analyze.query.text import TOKENS, is_word_char

__all__ = ["GAP", "Ranges", "Scan", "near", "word_at", "word_before"]

GAP = 1 << 20  # token offset of the text part, so phrases and NEAR never bridge title and text
Ranges = list[tuple[int, int]]


class Scan:
    """One post's hits: key (literal * 8 + field code) -> UTF-8 byte spans in that segment."""

    __slots__ = ("_phrases", "_tokens", "hits", "segments", "title_end")

    def __init__(self, segments: list[str], title_end: int) -> None:
        self.segments = segments  # by field code; 0 and 1 are both title + "\n" + text
        self.title_end = title_end
        self.hits: dict[int, list[tuple[int, int]]] = {}
        self._tokens: dict[int, tuple[list[int], list[int]]] = {}
        self._phrases: dict[tuple[int, ...], Ranges] = {}

    def ranges(self, key: int) -> Ranges:
        """Token ranges [start, end) of a literal's hits (text-part tokens shifted by GAP)."""
        spans = self.hits.get(key)
        if not spans:
            return []
        code = key & 7
        segment = 0 if code < 2 else code
        tokens = self._tokens.get(segment)
        if tokens is None:
            tokens = self._tokens[segment] = _token_bytes(self.segments[segment])
        starts, ends = tokens
        title_end = self.title_end if segment == 0 else 1 << 62
        out: Ranges = []
        for s, e in spans:
            shift = GAP if s > title_end else 0
            out.append((bisect_right(ends, s) + shift, bisect_left(starts, e) + shift))
        return out

    def phrase(self, keys: tuple[int, ...]) -> Ranges:
        """Token ranges where the phrase's words follow each other."""
        if keys in self._phrases:
            return self._phrases[keys]
        current = self.ranges(keys[0])
        for key in keys[1:]:
            if not current:
                break
            following: dict[int, list[int]] = {}
            for start, end in self.ranges(key):
                following.setdefault(start, []).append(end)
            current = [(s, e2) for s, e in current for e2 in following.get(e, ())]
        self._phrases[keys] = current
        return current


def _token_bytes(text: str) -> tuple[list[int], list[int]]:
    """UTF-8 byte offsets of the starts and ends of the tokens of `text`."""
    found = list(TOKENS.finditer(text))
    if text.isascii():
        return [m.start() for m in found], [m.end() for m in found]
    offsets = [0, *accumulate(_utf8_length(c) for c in text)]
    return [offsets[m.start()] for m in found], [offsets[m.end()] for m in found]


def _utf8_length(c: str) -> int:
    code = ord(c)
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4


def word_before(raw: bytes, i: int) -> bool:
    """Is the character ending at byte i a letter/digit of a spaced script?"""
    b = raw[i - 1]
    if b < 0x80:
        return _ASCII_WORD[b]
    j = i - 1
    while raw[j] & 0xC0 == 0x80:
        j -= 1
    return is_word_char(raw[j:i].decode("utf-8"))


def word_at(raw: bytes, i: int) -> bool:
    """Is the character starting at byte i a letter/digit of a spaced script?"""
    b = raw[i]
    if b < 0x80:
        return _ASCII_WORD[b]
    size = 2 if b < 0xE0 else 3 if b < 0xF0 else 4
    return is_word_char(raw[i : i + size].decode("utf-8"))


_ASCII_WORD = [chr(b).isalnum() for b in range(128)]


def near(left: Ranges, right: Ranges, distance: int) -> bool:
    """Some left and right occurrence have at most `distance` tokens between them.

    Looks only at right occurrences that start in a window around each left one,
    so a 1 MB post repeating both words stays linear, not quadratic.
    """
    if not left or not right:
        return False
    right = sorted(right)
    starts = [start for start, _ in right]
    longest = max(end - start for start, end in right)
    for ls, le in left:
        lo = bisect_left(starts, ls - distance - longest)
        hi = bisect_right(starts, le + distance)
        for rs, re_ in right[lo:hi]:
            if max(rs - le, ls - re_) <= distance:
                return True
    return False
