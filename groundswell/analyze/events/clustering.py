"""Online, single-pass, time-aware clustering of posts into events.

Each post becomes a TF-IDF vector and joins the active event whose centroid
(the sum of its members' unit vectors) is most cosine-similar, if that
similarity clears a threshold; otherwise it founds a new event. Candidate
events come from an inverted index term -> active events, so a post costs the
length of the posting lists of its own terms, not the number of events.

Time: the clock is the latest post time seen. Events idle for longer than the
window are closed (kept as summaries, no longer joinable), and similarity can
halve per `half_life_hours` of gap. Posts without a time join at the clock and
never advance it. A cap on active events closes the least recently joined one
first, which bounds memory on time-less streams.

State is plain JSON (`to_state` / `from_state`), so the active window can be
persisted, resumed after a restart or shipped to a worker.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import math
import re
from collections import OrderedDict
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter, mul
from typing import Any

from groundswell.analyze.events.background import load_background
from groundswell.analyze.events.cluster import Cluster
from groundswell.analyze.events.config import EventConfig, EventItem
from groundswell.analyze.events.summary import EventSummary, summarize
from groundswell.analyze.events.vectorize import (
    DocumentFrequencies,
    SparseVector,
    TermOptions,
    extract_terms,
    observe_and_vectorize,
    vectorize,
)

__all__ = ["EventClusterer"]

STATE_VERSION = 1
# Runner-up events checked for a merge after each post joins its best event.
MERGE_CANDIDATES = 2
# A post looks for its event through its most heavily weighted terms only, and
# skips a term carried by more active events than this (it says little).
CANDIDATE_TERMS = 30
MAX_CANDIDATE_POSTINGS = 100
# Of the events found that way, the best this many by those terms are scored exactly.
MAX_CANDIDATES = 10
_HAS_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class EventClusterer:
    """Assigns posts to events, batch by batch; one instance holds the active window."""

    def __init__(self, config: EventConfig = EventConfig()) -> None:
        self.config = config
        self._frequencies = self._new_frequencies()
        self._active: OrderedDict[str, Cluster] = OrderedDict()  # least recently joined first
        # term -> {active event id: the term's weight in its centroid}, kept equal to the
        # centroids: finding candidates then reads one dict per term, not one per event.
        self._postings: dict[str, dict[str, float]] = {}
        self._event_of_key: dict[str, str] = {}
        self._closed: OrderedDict[str, EventSummary] = OrderedDict()
        self._clock: float | None = None
        self._last_sweep: float | None = None
        self._aliases: dict[str, str] = {}  # merged-away event id -> the id it merged into
        self._merges: list[tuple[str, str]] = []  # not yet taken by `take_merges`

    # -- public API -------------------------------------------------------------------

    def add(self, items: Sequence[EventItem]) -> list[str]:
        """Event id per item, in order; an item whose key was already seen keeps its id."""
        return [self._add_one(item) for item in items]

    def events(self) -> list[EventSummary]:
        """Active events, largest first."""
        clusters = sorted(self._active.values(), key=lambda c: (-c.size, c.event_id))
        return [self._summary(c) for c in clusters]

    def resolve(self, event_id: str) -> str:
        """The id an event now goes by: itself, or the event it was merged into."""
        seen = 0
        while event_id in self._aliases and seen < len(self._aliases):
            event_id = self._aliases[event_id]
            seen += 1
        return event_id

    def take_merges(self) -> list[tuple[str, str]]:
        """(merged-away id, surviving id) pairs since the last call, so stored posts can follow.

        Call it after every `add` in a long-running process: pairs pile up until taken.
        """
        merges, self._merges = self._merges, []
        return merges

    def give_back_merges(self, merges: list[tuple[str, str]]) -> None:
        """Merges taken but never stored (their batch failed): the next take returns them first."""
        self._merges[:0] = merges

    def get(self, event_id: str) -> EventSummary | None:
        """An active or recently closed event (merged ids are followed), or None."""
        event_id = self.resolve(event_id)
        cluster = self._active.get(event_id)
        if cluster is not None:
            return self._summary(cluster)
        return self._closed.get(event_id)

    def to_state(self) -> dict[str, Any]:
        """JSON-serialisable snapshot of everything needed to carry on."""
        return {
            "version": STATE_VERSION,
            "config": dataclasses.asdict(self.config),
            "clock": self._clock,
            "last_sweep": self._last_sweep,
            "documents": self._frequencies.docs,
            "frequencies": self._frequencies.counts,
            "active": [cluster.to_dict() for cluster in self._active.values()],
            "closed": [summary.to_dict() for summary in self._closed.values()],
            "aliases": self._aliases,
            "merges": self._merges,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: EventConfig | None = None) -> EventClusterer:
        """Carry on from a snapshot, tuned by `config` if given, else as when it was saved.

        A desk passes its current config: thresholds tuned since the snapshot, and
        a changed `event_window_hours`, then apply to the events it carries on.
        """
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported event state version: {state.get('version')!r}")
        if config is None:
            config_fields = dict(state["config"])
            config_fields["weights"] = TermOptions(**config_fields["weights"])
            config = EventConfig(**config_fields)
        clusterer = cls(config)
        clusterer._clock = state["clock"]
        clusterer._last_sweep = state["last_sweep"]
        clusterer._frequencies.docs = int(state["documents"])
        clusterer._frequencies.counts = dict(state["frequencies"])
        for data in state["active"]:
            cluster = Cluster.from_dict(data)
            clusterer._active[cluster.event_id] = cluster
            for term in cluster.centroid:
                clusterer._post(term, cluster)
            for key in cluster.keys:
                clusterer._event_of_key[key] = cluster.event_id
        clusterer._aliases = dict(state["aliases"])
        clusterer._merges = [(old, new) for old, new in state["merges"]]
        for data in state["closed"]:
            summary = EventSummary.from_dict(data)
            clusterer._closed[summary.event_id] = summary
        return clusterer

    # -- internals --------------------------------------------------------------------

    def _new_frequencies(self) -> DocumentFrequencies:
        if not self.config.background:
            return DocumentFrequencies()
        documents, counts = load_background()
        return DocumentFrequencies(background_docs=documents, background=counts)

    def _add_one(self, item: EventItem) -> str:
        known = self._event_of_key.get(item.key)
        if known is not None:
            return self.resolve(known)
        config = self.config
        when = item.time.timestamp() if item.time is not None else None
        if when is not None and (self._clock is None or when > self._clock):
            self._clock = when
            self._sweep()
        now = when if when is not None else self._clock
        text = f"{item.title}\n{item.text}" if item.title else item.text
        terms = item.terms if item.terms is not None else extract_terms(text, config.weights)
        frequencies = self._frequencies
        if len(frequencies.counts) + len(terms) <= 2 * config.max_vocabulary:
            vector = observe_and_vectorize(terms, frequencies, config.idf_power)
        else:  # observing may pass the bound: prune first, as the vector must see it
            frequencies.observe(terms)
            if len(frequencies.counts) > 2 * config.max_vocabulary:
                frequencies.prune(config.max_vocabulary)
            vector = vectorize(terms, frequencies, config.idf_power)
        chinese = item.lang.startswith("zh") if item.lang else bool(_HAS_HAN.search(text))
        threshold = config.threshold_zh if chinese else config.threshold
        # Each term's posting list, looked up once for both the search and the join.
        lists = list(map(self._postings.get, vector))
        ranked = self._nearest(vector, lists, now)
        best, score, dot = ranked[0] if ranked else (None, 0.0, 0.0)
        if best is None or score < threshold:
            best = self._found(item.key)
            dot = score = 0.0
        self._join(best, vector, dot, lists)
        if best.size > 0 and config.merge_threshold > 0:
            for other, other_score, _ in ranked[1 : 1 + MERGE_CANDIDATES]:
                # A post links two events only if it is nearly as alike to the runner-up
                # as to its best: a post squarely in one story that brushes another on a
                # shared subject word says little about the two being one story.
                if (
                    other_score >= threshold
                    and other_score >= config.merge_link_ratio * score
                    and other.event_id in self._active
                ):
                    best = self._maybe_merge(best, other)
        best.record(item.key, when if when is not None else now, item.sentiment, item.source)
        if score > best.representative_score:
            best.representative_score = score
            best.representative_key = item.key
            best.representative_text = text
        self._event_of_key[item.key] = best.event_id
        return self.resolve(best.event_id)

    def _nearest(
        self,
        vector: SparseVector,
        lists: list[dict[str, float] | None],
        now: float | None,
    ) -> list[tuple[Cluster, float, float]]:
        """Best active events by decayed cosine: (event, score, raw dot with its centroid).

        `lists` holds each of the vector's terms' posting list (None: no active event).
        """
        active = self._active
        # Candidates are the events sharing one of the post's most distinctive terms;
        # common terms are in thousands of events and would make each post cost
        # O(active events). The score is then the exact dot over all the post's terms:
        # the partial sums already hold the candidate terms' share of it, so only the
        # post's other terms that some active event carries are looked up per candidate
        # (terms no active event carries add nothing and are skipped).
        items = list(zip(vector.values(), lists, strict=True))
        if len(items) > CANDIDATE_TERMS:
            items.sort(key=_FIRST, reverse=True)
        partial: dict[str, float] = {}
        rest: list[tuple[float, dict[str, float]]] = []  # (weight, posting list) not summed
        for position, (weight, events) in enumerate(items):
            if events is None:
                continue
            if position < CANDIDATE_TERMS and len(events) <= MAX_CANDIDATE_POSTINGS:
                for event_id, value in events.items():
                    if event_id in partial:
                        partial[event_id] += weight * value
                    else:
                        partial[event_id] = weight * value
            else:
                rest.append((weight, events))
        if len(partial) > MAX_CANDIDATES:
            candidates = sorted(partial.items(), key=_WEIGHT, reverse=True)[:MAX_CANDIDATES]
        else:
            candidates = list(partial.items())
        half_life = self.config.half_life_hours * 3600.0
        scored: list[tuple[Cluster, float, float]] = []
        for event_id, dot in candidates:
            for weight, events in rest:
                value = events.get(event_id)
                if value is not None:
                    dot += weight * value
            cluster = active[event_id]
            score = dot / math.sqrt(cluster.norm2)
            if half_life > 0 and now is not None and cluster.last_seen is not None:
                gap = max(0.0, now - cluster.last_seen)
                score *= 0.5 ** (gap / half_life)
            scored.append((cluster, score, dot))
        # Ties (identical retweets) go to the same event whatever the posting lists' order.
        return heapq.nlargest(
            1 + MERGE_CANDIDATES, scored, key=lambda entry: (entry[1], entry[0].event_id)
        )

    def _maybe_merge(self, cluster: Cluster, other: Cluster) -> Cluster:
        """Merge two events whose centroids have grown alike; the larger one survives."""
        config = self.config
        if min(cluster.size, other.size) > config.merge_max_size:
            return cluster
        small, large = sorted((cluster, other), key=lambda c: len(c.centroid))
        values = map(large.centroid.get, small.centroid, repeat(0.0))
        dot = sum(map(mul, small.centroid.values(), values))
        if dot / math.sqrt(small.norm2 * large.norm2) < config.merge_threshold:
            return cluster
        return self._merge(cluster, other)

    def _merge(self, cluster: Cluster, other: Cluster) -> Cluster:
        keep, gone = (cluster, other) if cluster.size >= other.size else (other, cluster)
        postings = self._postings
        centroid = keep.centroid
        centroid_get = centroid.get
        keep_id, gone_id = keep.event_id, gone.event_id
        for term, weight in gone.centroid.items():
            value = centroid[term] = centroid_get(term, 0.0) + weight
            events = postings[term]  # every centroid term is posted
            del events[gone_id]
            events[keep_id] = value
        weights = centroid.values()
        keep.norm2 = sum(map(mul, weights, weights))
        keep.absorb(gone)
        for key in gone.keys:
            self._event_of_key[key] = keep.event_id
        del self._active[gone.event_id]
        self._aliases[gone.event_id] = keep.event_id
        self._merges.append((gone.event_id, keep.event_id))
        if len(self._aliases) > self.config.max_closed:
            self._prune_aliases()
        if len(keep.centroid) > 2 * self.config.max_centroid_terms:
            self._prune_centroid(keep)
        return keep

    def _found(self, key: str) -> Cluster:
        event_id = "ev-" + hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()
        base, suffix = event_id, 2
        while event_id in self._active or event_id in self._closed:
            event_id, suffix = f"{base}-{suffix}", suffix + 1
        cluster = Cluster(event_id=event_id, centroid={}, norm2=0.0)
        self._active[event_id] = cluster
        if len(self._active) > self.config.max_active:
            self._close(next(iter(self._active.values())))
        return cluster

    def _join(
        self,
        cluster: Cluster,
        vector: SparseVector,
        dot: float,
        lists: list[dict[str, float] | None],
    ) -> None:
        """Add a post's vector to an event; `lists` as for `_nearest`, looked up before."""
        centroid = cluster.centroid
        centroid_get = centroid.get
        postings = self._postings
        event_id = cluster.event_id
        for (term, weight), events in zip(vector.items(), lists, strict=True):
            value = centroid[term] = centroid_get(term, 0.0) + weight
            # A list emptied since the lookup (an event closed by `max_active` when this
            # post founded one) was dropped from the index: start a new one.
            if events:
                events[event_id] = value
            else:
                postings[term] = {event_id: value}
        # |c + v|^2 = |c|^2 + 2 c.v + |v|^2, and |v| is 1 for any non-empty vector.
        cluster.norm2 += 2.0 * dot + (1.0 if vector else 0.0)
        self._active.move_to_end(cluster.event_id)
        if len(centroid) > 2 * self.config.max_centroid_terms:
            self._prune_centroid(cluster)

    def _prune_centroid(self, cluster: Cluster) -> None:
        keep = self.config.max_centroid_terms
        ranked = sorted(cluster.centroid.items(), key=lambda kv: kv[1], reverse=True)
        for term, _ in ranked[keep:]:
            self._unpost(term, cluster.event_id)
        cluster.centroid = dict(ranked[:keep])
        cluster.norm2 = sum(w * w for w in cluster.centroid.values())

    def _post(self, term: str, cluster: Cluster) -> None:
        self._postings.setdefault(term, {})[cluster.event_id] = cluster.centroid[term]

    def _unpost(self, term: str, event_id: str) -> None:
        events = self._postings.get(term)
        if events is not None:
            events.pop(event_id, None)
            if not events:
                del self._postings[term]

    def _sweep(self) -> None:
        """Close events idle for longer than the window; runs every 1/8 window of clock time."""
        window = self.config.window_hours * 3600.0
        clock = self._clock
        if window <= 0 or clock is None:
            return
        if self._last_sweep is not None and clock - self._last_sweep < window / 8:
            return
        self._last_sweep = clock
        stale = [
            cluster
            for cluster in self._active.values()
            if cluster.last_seen is not None and clock - cluster.last_seen > window
        ]
        for cluster in stale:
            self._close(cluster)
        self._prune_aliases()

    def _prune_aliases(self) -> None:
        """Point merged ids straight at their survivor; forget those whose survivor is gone."""
        live = self._active.keys() | self._closed.keys()
        resolved = {old: self.resolve(old) for old in self._aliases}
        self._aliases = {old: new for old, new in resolved.items() if new in live}

    def _close(self, cluster: Cluster) -> None:
        self._closed[cluster.event_id] = self._summary(cluster)
        while len(self._closed) > self.config.max_closed:
            self._closed.popitem(last=False)
        for term in cluster.centroid:
            self._unpost(term, cluster.event_id)
        for key in cluster.keys:
            self._event_of_key.pop(key, None)
        del self._active[cluster.event_id]

    def _summary(self, cluster: Cluster) -> EventSummary:
        config = self.config
        return summarize(
            cluster,
            now=self._clock,
            key_terms=config.key_terms,
            title_chars=config.title_chars,
            velocity_window_hours=config.velocity_window_hours,
        )


_WEIGHT = itemgetter(1)  # of an (event id, weight) pair
_FIRST = itemgetter(0)  # of a (weight, posting list) pair
