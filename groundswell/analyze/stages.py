"""The analysis stages as batch steps over posts: each fills its fields and returns the batch.

Two kinds, because they scale differently:

* pure stages (sentiment, scheme matching, repost fingerprints) depend only on the
  post and on read-only models, so they run in any process: the in-process pool
  today, distributed workers later;
* stateful stages (stories, events) consult and update an index of what came
  before, so they run where that index lives, one batch at a time. Both are
  idempotent by post key: the same post twice gets the same story and event.

The order the pipeline runs them in is `groundswell.pipeline.STAGES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from groundswell.analyze.dedup import StoryIndex, StoryItem
from groundswell.analyze.dedup.fingerprint import encode_fingerprint, fingerprint_of
from groundswell.analyze.dedup.stories import index_keys
from groundswell.analyze.events import EventClusterer, EventConfig, EventItem
from groundswell.analyze.events.vectorize import extract_terms
from groundswell.analyze.query import Document, SchemeMatcher
from groundswell.analyze.sentiment import SentimentAnalyzer
from groundswell.models import Post, SchemeHit

__all__ = [
    "EventStage",
    "EventTermsStage",
    "FingerprintStage",
    "SchemeStage",
    "SentimentStage",
    "Stage",
    "StoryStage",
    "run_stages",
]

# Sentiment and events read the beginning of long posts: the lead paragraph carries
# the tone and the topic, and the cost stays flat for 1 MB pages.
_ANALYSED_CHARS = 2000


class Stage(Protocol):
    name: str

    def run(self, posts: list[Post]) -> list[Post]: ...


def _headline_text(post: Post) -> str:
    text = f"{post.title}\n{post.text}" if post.title and post.title not in post.text else post.text
    return text[:_ANALYSED_CHARS]


@dataclass
class SentimentStage:
    analyzer: SentimentAnalyzer
    name: str = "sentiment"

    def run(self, posts: list[Post]) -> list[Post]:
        results = self.analyzer.analyze([_headline_text(p) for p in posts], [p.lang for p in posts])
        for post, result in zip(posts, results, strict=True):
            post.sentiment = result.label
            post.sentiment_confidence = round(float(result.confidence), 4)
        return posts


@dataclass
class SchemeStage:
    matcher: SchemeMatcher
    source_names: dict[int, str]
    name: str = "schemes"

    def run(self, posts: list[Post]) -> list[Post]:
        docs = [
            Document(
                title=p.title,
                text=p.text,
                source=self.source_names.get(p.source_id or 0, ""),
                lang=p.lang,
            )
            for p in posts
        ]
        for post, matches in zip(posts, self.matcher.match(docs), strict=True):
            post.matches = [SchemeHit(int(m.scheme_id), tuple(m.terms)) for m in matches]
        return posts


@dataclass
class FingerprintStage:
    name: str = "fingerprint"

    def run(self, posts: list[Post]) -> list[Post]:
        for post in posts:
            value = fingerprint_of(post.text, post.title)
            post.fingerprint = encode_fingerprint(value)
            post.story_index_keys = index_keys(value)
        return posts


@dataclass
class EventTermsStage:
    """The events stage's text work (terms and their boosts), done where it is cheap."""

    name: str = "event_terms"

    def run(self, posts: list[Post]) -> list[Post]:
        weights = EventConfig().weights
        for post in posts:
            post.event_terms = dict(extract_terms(_headline_text(post), weights))
        return posts


@dataclass
class StoryStage:
    index: StoryIndex
    name: str = "stories"

    def run(self, posts: list[Post]) -> list[Post]:
        items = [
            StoryItem(
                key=p.key,
                text=p.text,
                time=p.time,
                title=p.title,
                fingerprint=p.fingerprint,
                index_keys=p.story_index_keys,
            )
            for p in posts
        ]
        for post, assignment in zip(posts, self.index.assign(items), strict=True):
            post.story_key = assignment.story_key
            post.is_repost = assignment.is_duplicate
            post.story_index_keys = None
        return posts


@dataclass
class EventStage:
    clusterer: EventClusterer
    name: str = "events"

    def run(self, posts: list[Post]) -> list[Post]:
        items = [
            EventItem(
                key=p.key,
                text=_headline_text(p),
                time=p.time,
                lang=p.lang,
                source=str(p.source_id),
                sentiment=p.sentiment,
                terms=p.event_terms,
            )
            for p in posts
        ]
        for post, event_id in zip(posts, self.clusterer.add(items), strict=True):
            post.event_id = event_id
            post.event_terms = None
        return posts


def run_stages(stages: Sequence[Stage], posts: list[Post]) -> list[Post]:
    """Each stage in order over the batch (stages fill the posts in place)."""
    for stage in stages:
        if posts:
            posts = stage.run(posts)
    return posts
