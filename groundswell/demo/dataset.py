"""The demo's bundled data and the replay clock that paces it.

The records ship inside the package (``groundswell/demo/data/*.jsonl.gz``, built
by ``scripts/build_demo_data.py``) and are read through importlib.resources, so
``groundswell demo`` works from an installed wheel without ``../shared``.
"""

from __future__ import annotations

import gzip
import json
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

DATASETS: tuple[str, ...] = ("news_en", "hot_zh", "weibo_zh", "crisis_en", "airline_en")
_CORE_FIELDS = frozenset({"id", "time", "title", "text", "author", "publisher", "parent", "lang"})


@dataclass(frozen=True, slots=True)
class DemoRecord:
    """One replayable item with its original (timezone-aware) time."""

    id: str
    time: datetime
    text: str
    lang: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    parent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. rank, gold event or label

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DemoRecord:
        when = datetime.fromisoformat(data["time"])
        if when.tzinfo is None:
            raise ValueError(f"demo record {data.get('id')!r} has a naive time")
        return cls(
            id=str(data["id"]),
            time=when,
            text=data["text"],
            lang=data["lang"],
            title=data.get("title"),
            author=data.get("author"),
            publisher=data.get("publisher"),
            parent=data.get("parent"),
            extra={k: v for k, v in data.items() if k not in _CORE_FIELDS},
        )


def data_dir() -> Traversable:
    """Where the packaged data files live (works from a wheel or a source tree)."""
    return files("groundswell.demo").joinpath("data")


def data_file(name: str) -> Traversable:
    if name not in DATASETS:
        raise KeyError(f"unknown demo dataset {name!r}; known: {', '.join(DATASETS)}")
    return data_dir().joinpath(f"{name}.jsonl.gz")


@cache
def _load(name: str) -> tuple[DemoRecord, ...]:
    raw = gzip.decompress(data_file(name).read_bytes()).decode("utf-8")
    records = [DemoRecord.from_json(json.loads(line)) for line in raw.splitlines() if line]
    records.sort(key=lambda r: r.time)  # stable: ties keep file order
    return tuple(records)


def load_dataset(name: str) -> list[DemoRecord]:
    """Records of one dataset, sorted by time (parsed once, then cached)."""
    return list(_load(name))


def load_all() -> dict[str, list[DemoRecord]]:
    return {name: load_dataset(name) for name in DATASETS}


class Timeline:
    """Records sorted by time with a fast 'what is visible at t' lookup."""

    def __init__(self, records: Sequence[DemoRecord]) -> None:
        self.records: list[DemoRecord] = sorted(records, key=lambda r: r.time)
        self._times = [r.time for r in self.records]
        self.by_id: dict[str, DemoRecord] = {r.id: r for r in self.records}

    @property
    def earliest(self) -> datetime:
        return self._times[0]

    def visible_count(self, now: datetime) -> int:
        return bisect_right(self._times, now)

    def visible(self, now: datetime) -> list[DemoRecord]:
        return self.records[: self.visible_count(now)]

    def __len__(self) -> int:
        return len(self.records)


class ReplayClock:
    """Compressed time: virtual = origin + head_start + real elapsed x speed.

    Each dataset passes its own origin (its earliest item), so all replay in
    parallel from their own start; ``head_start`` makes the first hours visible
    at once.
    """

    def __init__(
        self,
        speed: float,
        head_start: timedelta,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.head_start = head_start
        self._clock = clock
        self._t0: float | None = None

    def start(self) -> None:
        self._t0 = self._clock()

    def elapsed(self) -> float:
        """Real seconds since start (0 before it)."""
        return 0.0 if self._t0 is None else max(0.0, self._clock() - self._t0)

    def virtual_now(self, origin: datetime) -> datetime:
        return origin + self.head_start + timedelta(seconds=self.elapsed() * self.speed)

    def real_delay(self, origin: datetime, when: datetime) -> float:
        """Real seconds from now until `when` becomes visible (<= 0: already)."""
        offset = (when - origin - self.head_start).total_seconds()
        return offset / self.speed - self.elapsed()
