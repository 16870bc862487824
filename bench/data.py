"""Real posts for the benchmarks, read from the shared data sets (`../shared/data`).

English: tweets and headlines from the sentiment, events, relevance and stream
sets. Chinese: Weibo posts first (SMP2020), then the review sets, the Weibo
rumour cascades, rumour originals and stance posts. Texts are de-duplicated;
when a benchmark asks for more posts than there are distinct texts, the texts
are cycled with distinct ids (`<file>:<row>#<pass>`), and `cycles()` says so.

Items are built lazily, batch by batch, as a source would hand them over, and
carry the CSV row as their raw payload (what `FileSource` keeps).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from groundswell.models import RawItem
from groundswell.sources.file import parse_timestamp

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / ".." / "shared" / "data"
LANGS = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Record:
    """One distinct real text with where it came from."""

    dataset: str  # file stem
    row: int  # 1-based data row in the file
    title: str | None
    text: str | None
    published_at: datetime | None
    raw: dict[str, Any]

    @property
    def content(self) -> str:
        """Title and text as one string (what a tokenizer-only run sees)."""
        return "\n".join(part for part in (self.title, self.text) if part)


def _files(lang: str) -> list[Path]:
    def glob(pattern: str) -> list[Path]:
        return sorted(DATA_DIR.glob(pattern))

    if lang == "en":
        return [
            *glob("sentiment/en/*.csv"),
            *glob("events/en/*.csv"),
            *glob("relevance/en/*.csv"),
            *glob("streams/en_news_headlines*.csv"),
        ]
    if lang == "zh":
        weibo = glob("sentiment/zh/weibo_smp2020*.csv")
        reviews = [p for p in glob("sentiment/zh/*.csv") if p not in weibo]
        return [
            *weibo,
            *reviews,
            *glob("events/zh/weibo_cascades.csv"),
            *glob("rumor/zh/*.csv"),
            *glob("stance/zh/*.csv"),
        ]
    raise ValueError(f"unknown language {lang!r}; use one of {LANGS}")


def _time(value: str | None) -> datetime | None:
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


@cache
def load_records(lang: str) -> tuple[Record, ...]:
    """Distinct texts of one language, in the documented file order."""
    files = _files(lang)
    if not files:
        raise FileNotFoundError(f"no data files for {lang!r} under {DATA_DIR.resolve()}")
    seen: set[str] = set()
    out: list[Record] = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for number, row in enumerate(csv.DictReader(fh), start=1):
                title = (row.get("headline") or "").strip() or None
                text = (row.get("text") or "").strip() or None
                key = title or text
                if not key or key in seen:
                    continue
                seen.add(key)
                when = _time(row.get("time") or row.get("first_seen"))
                out.append(Record(path.stem, number, title, text, when, dict(row)))
    return tuple(out)


def cycles(lang: str, n: int) -> float:
    """How many times the distinct texts are gone through to make `n` posts."""
    return n / len(load_records(lang))


def record_at(lang: str, i: int) -> tuple[Record, int]:
    """The record behind post number `i` and the pass it belongs to (0 = first)."""
    records = load_records(lang)
    return records[i % len(records)], i // len(records)


def external_id(record: Record, cycle: int) -> str:
    base = f"{record.dataset}:{record.row}"
    return base if cycle == 0 else f"{base}#{cycle}"


def iter_items(
    lang: str,
    n: int,
    batch_size: int = 2000,
    *,
    start: int = 0,
    time_for: Callable[[int], datetime] | None = None,
) -> Iterator[list[RawItem]]:
    """Posts `start` to `start + n` as batches of RawItems with distinct external ids.

    `time_for(i)` overrides the published time of post `i` (the search benchmark
    spreads posts over a window); otherwise the data set's own time is used.
    """
    batch: list[RawItem] = []
    for i in range(start, start + n):
        record, cycle = record_at(lang, i)
        batch.append(
            RawItem(
                raw=record.raw,
                external_id=external_id(record, cycle),
                title=record.title,
                text=record.text,
                published_at=time_for(i) if time_for else record.published_at,
            )
        )
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def texts(lang: str, n: int) -> list[str]:
    """The content of posts 0 to `n` (cycled like `iter_items`), for tokenizer-only runs."""
    return [record_at(lang, i)[0].content for i in range(n)]


def main() -> None:
    """Print what the data sets give per language."""
    for lang in LANGS:
        records = load_records(lang)
        dated = sum(r.published_at is not None for r in records)
        mean = sum(len(r.content) for r in records) / len(records)
        print(f"{lang}: {len(records):,} distinct texts, {dated:,} dated, mean {mean:.0f} chars")


if __name__ == "__main__":
    main()
