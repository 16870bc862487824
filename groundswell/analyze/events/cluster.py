"""One event's running state: centroid, counts and the representative post."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from groundswell.analyze.events.vectorize import SparseVector

__all__ = ["Cluster"]

# Recent post times kept per event for its velocity; older ones fall off.
MAX_RECENT_TIMES = 512


@dataclass(slots=True)
class Cluster:
    """Mutable while the event is active; times are POSIX seconds (None: posts had no time)."""

    event_id: str
    centroid: SparseVector
    norm2: float
    size: int = 0
    first_seen: float | None = None
    last_seen: float | None = None
    sentiments: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    representative_key: str = ""
    representative_text: str = ""
    representative_score: float = -1.0
    recent_times: list[float] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    def record(self, key: str, when: float | None, sentiment: str | None, source: str) -> None:
        """Count one member post (not its vector: that is the clusterer's job)."""
        self.size += 1
        self.keys.append(key)
        if sentiment:
            self.sentiments[sentiment] += 1
        if source:
            self.sources[source] += 1
        if when is not None:
            self.first_seen = when if self.first_seen is None else min(self.first_seen, when)
            self.last_seen = when if self.last_seen is None else max(self.last_seen, when)
            self.recent_times.append(when)
            if len(self.recent_times) > 2 * MAX_RECENT_TIMES:
                self.recent_times = sorted(self.recent_times)[-MAX_RECENT_TIMES:]

    def absorb(self, other: Cluster) -> None:
        """Take over another event's counts and members (the centroid is merged by the caller)."""
        self.size += other.size
        self.keys.extend(other.keys)
        self.sentiments.update(other.sentiments)
        self.sources.update(other.sources)
        for attr, pick in (("first_seen", min), ("last_seen", max)):
            values = [v for v in (getattr(self, attr), getattr(other, attr)) if v is not None]
            setattr(self, attr, pick(values) if values else None)
        self.recent_times = sorted(self.recent_times + other.recent_times)[-MAX_RECENT_TIMES:]

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "centroid": self.centroid,
            "norm2": self.norm2,
            "size": self.size,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "sentiments": dict(self.sentiments),
            "sources": dict(self.sources),
            "representative_key": self.representative_key,
            "representative_text": self.representative_text,
            "representative_score": self.representative_score,
            "recent_times": self.recent_times,
            "keys": self.keys,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cluster:
        return cls(
            event_id=d["event_id"],
            centroid={str(k): float(v) for k, v in d["centroid"].items()},
            norm2=float(d["norm2"]),
            size=int(d["size"]),
            first_seen=d["first_seen"],
            last_seen=d["last_seen"],
            sentiments=Counter(d["sentiments"]),
            sources=Counter(d["sources"]),
            representative_key=d["representative_key"],
            representative_text=d["representative_text"],
            representative_score=float(d["representative_score"]),
            recent_times=[float(t) for t in d["recent_times"]],
            keys=list(d["keys"]),
        )
