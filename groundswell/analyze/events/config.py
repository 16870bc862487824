"""What the event clusterer takes in and how it is tuned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from groundswell.analyze.events.vectorize import TermOptions

__all__ = ["EventConfig", "EventItem"]


@dataclass(frozen=True, slots=True)
class EventItem:
    """One post as the clusterer sees it; `key` is unique per post (the store's post key)."""

    key: str
    text: str
    time: datetime | None
    lang: str = ""
    source: str = ""
    sentiment: str | None = None
    title: str = ""
    # `extract_terms(title + text)` when already computed (the pipeline does that in
    # a worker process, with the default term weights); then not computed again.
    terms: Mapping[str, float] | None = None


@dataclass(frozen=True, slots=True)
class EventConfig:
    """Thresholds and windows; defaults tuned on halves of the dev sets (docs/analysis/events.md).

    `threshold` is the cosine (after time decay) a post needs to join an event;
    Chinese posts use `threshold_zh`. Two events merge when a post scores above
    the threshold with both and their centroids have cosine >= `merge_threshold`,
    unless both hold more than `merge_max_size` posts; the post's score with the
    runner-up must also be at least `merge_link_ratio` times its score with the
    event it joins (0: any score above the threshold links them). `idf_power` > 1
    lets names and rare words dominate. Events idle for `window_hours` close; similarity
    halves per `half_life_hours` of gap between a post and an event's last post
    (0: no decay). Posts without a time never age anything.
    """

    threshold: float = 0.10
    threshold_zh: float = 0.10
    merge_threshold: float = 0.06
    merge_max_size: int = 30
    merge_link_ratio: float = 0.45
    idf_power: float = 1.5
    window_hours: float = 72.0
    half_life_hours: float = 0.0
    max_active: int = 50_000
    max_centroid_terms: int = 300
    max_vocabulary: int = 500_000
    max_closed: int = 10_000
    background: bool = True  # seed IDF with the shipped general-text frequencies
    velocity_window_hours: float = 1.0
    key_terms: int = 8
    title_chars: int = 120
    weights: TermOptions = field(default_factory=TermOptions)
