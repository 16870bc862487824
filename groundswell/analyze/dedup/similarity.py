"""How much of the shorter post lies, in order, inside the longer one.

Reposts add commentary in front or cut the end off, so the measure is
containment of the shorter text, not Jaccard similarity of the two (which
commentary drags down, and which is why simhash fails on reposts). Order
matters: paraphrase pairs (LCQMC, PAWS-X) reuse the same words in another order,
so only shingles matched in increasing position count (a longest increasing
subsequence). One unmatched last shingle is forgiven: truncation cuts a word.

Short texts: a 5-token post is "contained" in any post that quotes those 5
tokens, so short posts merge only as exact canonical copies (`min_contained`).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from groundswell.analyze.dedup.fingerprint import Fingerprint

__all__ = ["MatchRules", "anchors", "contained_similarity", "may_reach_threshold"]


@dataclass(frozen=True)
class MatchRules:
    """Thresholds of the same-story decision (tuned by bench/dedup.py)."""

    threshold: float = 0.85
    min_tokens: int = 4  # below this, a post never merges (not even exact copies)
    min_contained: int = 8  # shorter text needs this many tokens for containment
    ratio_floor: float = 0.7  # and, unless it ends the longer, this fraction of it


_END_SLACK = 3  # shingles after the match that still count as "at the end" (a source line)


def _increasing_run(positions: list[int]) -> int:
    """Length of the longest strictly increasing subsequence of the non-negative values."""
    tails: list[int] = []
    for value in positions:
        if value < 0:
            continue
        index = bisect_left(tails, value)
        if index == len(tails):
            tails.append(value)
        else:
            tails[index] = value
    return len(tails)


def contained_similarity(a: Fingerprint, b: Fingerprint, rules: MatchRules) -> float:
    """Share of the shorter post's shingles found in order in the longer one (0 when too short).

    Where the shorter text sits in the longer one matters. At the end: the longer
    one is commentary + original (and if the shorter one runs past the end of the
    longer, that is commentary + a truncated original: only the overlapping head
    is compared). At the start, ending in an ellipsis: a cut copy. Elsewhere it
    must be at least `ratio_floor` of the longer (a truncation without an
    ellipsis), since a comment quoted in front of another text is not that text.
    Below `min_contained` tokens only exact copies count: one changed character
    in a 9-character question is a paraphrase as often as a copy.
    """
    if a.exact == b.exact and a.n_tokens >= rules.min_tokens:
        return 1.0
    short, long = (a, b) if len(a.shingles) <= len(b.shingles) else (b, a)
    n_short, n_long = len(short.shingles), len(long.shingles)
    if short.n_tokens < rules.min_tokens or n_short == 0:
        return 0.0
    positions = first_positions(short.shingles, long.shingles)
    matched = [index for index, value in enumerate(positions) if value >= 0]
    if not matched:
        return 0.0
    if short.n_tokens < rules.min_contained:
        return 0.0  # too short to tell a copy from a paraphrase: exact copies only
    last_short = matched[-1]
    last_long = max(positions[index] for index in matched)
    at_end = last_long >= n_long - 1 - (_END_SLACK + n_long // 20)
    at_start = short.truncated and matched[0] == 0 and positions[0] <= _END_SLACK
    if at_end and last_short + 1 >= rules.ratio_floor * n_short:
        denominator = last_short + 1  # the rest of the shorter text may be cut off
    elif at_end or n_short >= rules.ratio_floor * n_long or at_start:
        # One unmatched last shingle is forgiven: truncation cuts a word.
        denominator = n_short - 1 if positions[-1] < 0 and n_short > 1 else n_short
    else:
        return 0.0
    if len(matched) < rules.threshold * denominator:
        return len(matched) / denominator  # cheap exit: cannot pass in order either
    return min(1.0, _increasing_run(positions) / denominator)


def may_reach_threshold(a: Fingerprint, b: Fingerprint, rules: MatchRules) -> bool:
    """False when `contained_similarity(a, b, rules)` is sure to be below the threshold.

    Nearly every candidate a story index checks turns out to be another text;
    this rules most of them out from the longer text's shingle bitmap, without
    the positions. It never rules out a pair that reaches the threshold: the
    bitmap count bounds the matched shingles from above, and the denominator
    below is the smallest `contained_similarity` can divide by.
    """
    if a.exact == b.exact and a.n_tokens >= rules.min_tokens:
        return True
    short, long = (a, b) if len(a.shingles) <= len(b.shingles) else (b, a)
    n_short = len(short.shingles)
    if short.n_tokens < max(rules.min_tokens, rules.min_contained) or n_short == 0:
        return False  # only exact copies of short texts count, and this is none
    smallest_denominator = min(rules.ratio_floor * n_short, n_short - 1 if n_short > 1 else 1)
    return short.shingles_maybe_in(long) >= rules.threshold * smallest_denominator - 1e-9


_SORT_FROM = 48  # shingles in the longer text from which sorting beats a dict


def first_positions(short: np.ndarray, long: np.ndarray) -> list[int]:
    """For each of `short`'s shingles, its first index in `long`, or -1.

    For long texts (news articles; most comparisons are of texts that turn out
    to differ), sorting `long` stably and binary searching is 2-4x faster than
    a dict of it built in Python; below `_SORT_FROM` shingles the dict is faster.
    """
    if len(long) < _SORT_FROM:
        table: dict[int, int] = {}
        for index, value in enumerate(long.tolist()):
            table.setdefault(value, index)
        return [table.get(value, -1) for value in short.tolist()]
    order = np.argsort(long, kind="stable")  # equal hashes keep text order: first wins
    ranked = long[order]
    found = np.minimum(np.searchsorted(ranked, short), len(long) - 1)
    return np.where(ranked[found] == short, order[found], -1).tolist()


def anchors(shingles: np.ndarray, window: int) -> np.ndarray:
    """Winnowing: the minimum hash of every `window` consecutive shingles, deduplicated.

    Two texts sharing a run of `window` shingles share at least one anchor, so
    indexing anchors only (about 2/(window+1) of the shingles) still finds every
    text contained in, or containing, a new one.
    """
    if len(shingles) <= window:
        return np.unique(shingles)
    count = len(shingles) - window + 1
    low = shingles[:count].copy()  # the minimum of each window, one offset at a time
    for offset in range(1, window):
        np.minimum(low, shingles[offset : offset + count], out=low)
    return np.unique(low)
