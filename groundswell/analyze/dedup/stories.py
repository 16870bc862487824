"""Group reposts and near-copies into stories, in arrival order, over a sliding window.

Each story keeps a few representatives (its founder and its shortest members:
the shortest is usually the bare original, which every later repost contains).
Their winnowed shingle hashes go into an inverted index; a new post looks up
all of its shingles there, so any story whose representative it contains, or
which contains it, comes up as a candidate. The best few candidates are
verified with ordered containment (similarity.py) and the post joins the best
one at or above the threshold, else founds a new story. Exact copies of the
canonical text are found by one dict lookup first.

Stories are never merged after the fact: a story key, once returned, stays the
post's story (the pipeline stores it). The original of a story is its earliest
member by time and may change when an earlier copy arrives late.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter

import numpy as np

from groundswell.analyze.dedup.fingerprint import (
    MAX_SHINGLES,
    Fingerprint,
    decode_fingerprint,
    fingerprint_of,
)
from groundswell.analyze.dedup.similarity import (
    MatchRules,
    anchors,
    contained_similarity,
    may_reach_threshold,
)

__all__ = ["StoryAssignment", "StoryIndex", "StoryItem"]

_WINDOW_SHINGLES = 8  # winnowing window: texts sharing >= 8 shingles (10 tokens) meet
_MAX_POSTINGS = 2_000  # a shingle in more stories than this is a stop-shingle: not looked up
_HITS = itemgetter(1)  # of a (story key, shared anchors) pair


@dataclass(frozen=True)
class StoryItem:
    key: str
    text: str
    time: datetime | None
    title: str = ""
    # `fingerprint(text, title)` and `index_keys` of it when already computed (the
    # pipeline computes both in a worker process); they are then not computed again.
    fingerprint: bytes | None = None
    index_keys: bytes | None = None


@dataclass(frozen=True)
class StoryAssignment:
    key: str
    story_key: str  # key of the item that founded the story; stable
    original_key: str  # earliest member by time so far
    is_duplicate: bool
    similarity: float  # to the closest representative; 1.0 for the founder


@dataclass
class _Story:
    key: str
    original_key: str
    original_time: datetime | None
    last_time: datetime | None
    members: list[str] = field(default_factory=list)
    reps: list[Fingerprint] = field(default_factory=list)
    rep_anchors: list[np.ndarray] = field(default_factory=list)
    exact: set[int] = field(default_factory=set)


def index_keys(value: Fingerprint) -> bytes:
    """The keys a post is indexed under if it becomes a story's representative.

    Pure, so the pipeline computes them in its workers beside the fingerprint.
    """
    return anchors(value.shingles, _WINDOW_SHINGLES).astype("<u4").tobytes()


def _utc(value: datetime | None) -> datetime | None:
    """Naive times are taken as UTC so that naive and aware times compare."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class StoryIndex:
    """Story membership of recent posts; feed it batches, in any time order."""

    def __init__(
        self,
        window: timedelta = timedelta(days=7),
        *,
        rules: MatchRules | None = None,
        max_candidates: int = 6,
        max_reps: int = 3,
    ) -> None:
        self.window = window
        self.rules = rules or MatchRules()
        self.max_candidates = max_candidates
        self.max_reps = max_reps
        self._stories: dict[str, _Story] = {}
        self._assigned: dict[str, tuple[str, bool, float]] = {}
        self._exact: dict[int, str] = {}
        self._postings: dict[int, str | list[str]] = {}
        self._expiry: list[tuple[datetime, int, str]] = []
        self._tiebreak = itertools.count()
        self._newest: datetime | None = None

    def __len__(self) -> int:
        """Number of live stories."""
        return len(self._stories)

    def assign(self, items: Sequence[StoryItem]) -> list[StoryAssignment]:
        """The story of each item, in order; items of the batch merge with each other too."""
        out = [self._assign_one(item) for item in items]
        self._evict()
        return out

    def repost_count(self, story_key: str) -> int:
        """Members of the story beyond the first (0 for unknown or evicted stories)."""
        story = self._stories.get(story_key)
        return len(story.members) - 1 if story else 0

    def restore(
        self, key: str, fingerprint: bytes, time: datetime | None, story_key: str
    ) -> StoryAssignment:
        """Re-add a stored post to its stored story, without its text (after a restart).

        Restoring posts in their original assignment order rebuilds the same index.
        """
        if key in self._assigned:
            return self._result(key)
        value = decode_fingerprint(fingerprint)
        time = self._see(time)
        story = self._stories.get(story_key)
        if story is None:
            self._found(story_key, key, value, time)
        else:
            if self._exact.get(value.exact) == story_key:
                similarity = 1.0  # as assign() found it: an exact copy of a member
            else:
                similarity = max(
                    (contained_similarity(value, rep, self.rules) for rep in story.reps),
                    default=0.0,
                )
            self._join(story, key, value, time, similarity)
        result = self._result(key)
        self._evict()
        return result

    # -- internals -------------------------------------------------------------

    def _see(self, time: datetime | None) -> datetime | None:
        time = _utc(time)
        if time is not None and (self._newest is None or time > self._newest):
            self._newest = time
        return time if time is not None else self._newest

    def _assign_one(self, item: StoryItem) -> StoryAssignment:
        if item.key in self._assigned:
            return self._result(item.key)
        if item.fingerprint is not None:
            value = decode_fingerprint(item.fingerprint)
        else:
            value = fingerprint_of(item.text or "", item.title or "")
        keys = np.frombuffer(item.index_keys, dtype="<u4") if item.index_keys is not None else None
        time = self._see(item.time)
        story, similarity = self._best_story(value)
        if story is None:
            self._found(item.key, item.key, value, time, keys)
        else:
            self._join(story, item.key, value, time, similarity, keys)
        return self._result(item.key)

    def _best_story(self, value: Fingerprint) -> tuple[_Story | None, float]:
        rules = self.rules
        if value.n_tokens < rules.min_tokens:
            return None, 0.0
        exact_key = self._exact.get(value.exact)
        if exact_key is not None:
            return self._stories[exact_key], 1.0
        # Shared anchors per story, in first-hit order (ties among candidates go to it).
        hits: dict[str, int] = {}
        count = hits.get
        postings = self._postings.get
        for shingle in set(value.shingles.tolist()):
            posting = postings(shingle)
            if posting is None:
                continue
            if type(posting) is str:
                hits[posting] = count(posting, 0) + 1
            elif len(posting) <= _MAX_POSTINGS:
                for story_key in posting:
                    hits[story_key] = count(story_key, 0) + 1
        best: tuple[_Story | None, float] = (None, 0.0)
        # As Counter.most_common ranks: by hits, ties in first-hit order.
        for story_key, _ in heapq.nlargest(self.max_candidates, hits.items(), key=_HITS):
            story = self._stories[story_key]
            score = max(
                (
                    contained_similarity(value, rep, rules)
                    for rep in story.reps
                    if may_reach_threshold(value, rep, rules)
                ),
                default=0.0,
            )
            if score >= rules.threshold and score > best[1]:
                best = (story, score)
        return best

    def _found(
        self,
        story_key: str,
        key: str,
        value: Fingerprint,
        time: datetime | None,
        keys: np.ndarray | None = None,
    ) -> None:
        story = _Story(story_key, key, time, time)
        self._stories[story_key] = story
        self._add_member(story, key, value, time, 1.0, duplicate=key != story_key)
        self._add_rep(story, value, keys)

    def _join(
        self,
        story: _Story,
        key: str,
        value: Fingerprint,
        time: datetime | None,
        score: float,
        keys: np.ndarray | None = None,
    ) -> None:
        self._add_member(story, key, value, time, score, duplicate=True)
        shortest = min((len(rep.shingles) for rep in story.reps), default=MAX_SHINGLES + 1)
        if len(value.shingles) < shortest and value.n_tokens >= self.rules.min_contained:
            self._add_rep(story, value, keys)

    def _add_member(
        self,
        story: _Story,
        key: str,
        value: Fingerprint,
        time: datetime | None,
        score: float,
        *,
        duplicate: bool,
    ) -> None:
        story.members.append(key)
        self._assigned[key] = (story.key, duplicate, score)
        if time is not None:
            if story.original_time is None or time < story.original_time:
                story.original_key, story.original_time = key, time
            if story.last_time is None or time > story.last_time or len(story.members) == 1:
                story.last_time = time
                heapq.heappush(self._expiry, (time, next(self._tiebreak), story.key))
        if value.n_tokens >= self.rules.min_tokens and value.exact not in self._exact:
            self._exact[value.exact] = story.key
            story.exact.add(value.exact)

    def _add_rep(self, story: _Story, value: Fingerprint, keys: np.ndarray | None = None) -> None:
        if value.n_tokens < self.rules.min_tokens:
            return
        if len(story.reps) >= self.max_reps:  # keep the founder, drop the oldest other
            story.reps.pop(1)
            self._unpost(story.key, story.rep_anchors.pop(1))
        if keys is None:
            keys = anchors(value.shingles, _WINDOW_SHINGLES)
        story.reps.append(value)
        story.rep_anchors.append(keys)
        postings = self._postings
        for shingle in keys.tolist():
            posting = postings.get(shingle)
            if posting is None:
                postings[shingle] = story.key  # most anchors belong to one story: no list
            elif isinstance(posting, str):
                postings[shingle] = [posting, story.key]
            else:
                posting.append(story.key)

    def _unpost(self, story_key: str, keys: np.ndarray) -> None:
        postings = self._postings
        for shingle in keys.tolist():
            posting = postings.get(shingle)
            if posting is None:
                continue
            if isinstance(posting, str):
                if posting == story_key:
                    del postings[shingle]
                continue
            if story_key in posting:
                posting.remove(story_key)
                if len(posting) == 1:
                    postings[shingle] = posting[0]

    def _evict(self) -> None:
        if self._newest is None:
            return
        cutoff = self._newest - self.window
        while self._expiry and self._expiry[0][0] < cutoff:
            last_time, _, story_key = heapq.heappop(self._expiry)
            story = self._stories.get(story_key)
            if story is None or story.last_time != last_time:
                continue  # stale entry: the story was active later
            del self._stories[story_key]
            for anchor_keys in story.rep_anchors:
                self._unpost(story_key, anchor_keys)
            for exact in story.exact:
                if self._exact.get(exact) == story_key:
                    del self._exact[exact]
            for key in story.members:
                self._assigned.pop(key, None)

    def _result(self, key: str) -> StoryAssignment:
        story_key, duplicate, score = self._assigned[key]
        story = self._stories[story_key]
        return StoryAssignment(key, story_key, story.original_key, duplicate, score)
