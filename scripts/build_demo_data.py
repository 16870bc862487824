"""Build the offline demo's data: a compact, deterministic subset of ../shared/data.

Run from the project root: ``python scripts/build_demo_data.py``. It writes gzip'd
JSONL files into ``groundswell/demo/data/`` (one record per line, sorted by time,
gzip mtime 0) so that rebuilding gives identical bytes and the package ships
real, timestamped items without the shared data directory.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "groundswell" / "demo" / "data"

NEWS_CSV = "streams/en_news_headlines_2026-07-24_2026-08-22.csv"
HOT_CSV = "streams/weibo_hot_search_2026-07-24_2026-08-22.csv"
WEIBO_CSV = "events/zh/weibo_cascades.csv"
CRISIS_CSV = "events/en/crisislex_t26_dev.csv"
AIRLINE_CSV = "sentiment/en/us_airline_tweets.csv"

WEIBO_STORIES = 60  # the densest run of 60 consecutive stories (by original time)
CRISIS_EVENTS = ("2013_LA_airport_shootings", "2013_Typhoon_Yolanda", "2013_NY_train_crash")
AIRLINE_EVERY = 5  # keep 1 tweet in 5 over the whole week, preserving its daily shape
AIRLINE_TZ = timezone(timedelta(hours=-8))  # the original release's tweet_created is -0800
MAX_TOTAL_BYTES = 5 * 1024 * 1024

Record = dict[str, Any]


def read_csv(rel: str) -> list[dict[str, str]]:
    with (SHARED / rel).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def record(rid: str, time: datetime, text: str, lang: str, **extra: Any) -> Record:
    """One output record with a fixed key order; optional fields left out when empty."""
    out: Record = {"id": rid, "time": iso(time)}
    if extra.get("title"):
        out["title"] = extra.pop("title")
    extra.pop("title", None)
    out["text"] = text
    for key in ("author", "publisher", "parent"):
        value = extra.pop(key, None)
        if value:
            out[key] = value
    out["lang"] = lang
    out.update({k: v for k, v in extra.items() if v not in (None, "")})
    return out


def by_time(records: Iterable[tuple[int, Record]]) -> list[Record]:
    """Sort by UTC instant, ties kept in source order, so output is stable."""
    keyed = [(datetime.fromisoformat(r["time"]).astimezone(UTC), n, r) for n, r in records]
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [r for _, _, r in keyed]


def build_news() -> list[Record]:
    rows = read_csv(NEWS_CSV)
    out = []
    for n, row in enumerate(rows, start=1):
        headline, publisher = row["headline"].strip(), row["publisher"].strip()
        if not publisher and " - " in headline:  # a few rows keep Google's "title - outlet"
            headline, publisher = (part.strip() for part in headline.rsplit(" - ", 1))
        out.append(
            (
                n,
                record(
                    str(n),
                    datetime.fromisoformat(row["first_seen"]),
                    headline,
                    "en",
                    title=headline,
                    publisher=publisher,
                ),
            )
        )
    return by_time(out)


def build_hot() -> list[Record]:
    rows = read_csv(HOT_CSV)
    out = []
    for n, row in enumerate(rows, start=1):
        title = row["title"].strip()
        rank = int(row["band_rank"]) if row["band_rank"].strip() else None
        rec = record(
            str(n), datetime.fromisoformat(row["first_seen"]), title, "zh", title=title, rank=rank
        )
        out.append((n, rec))
    return by_time(out)


_YEARLESS = re.compile(r"^(\d{2})月(\d{2})日T(\d{2}):(\d{2})([+-]\d{2}:\d{2})$")


def weibo_time(value: str, original: datetime | None) -> datetime:
    """Parse a cascade time; a few reposts show Weibo's year-less '03月23日T19:24+08:00'.

    Those take the original post's year (the next year if that would precede it).
    """
    m = _YEARLESS.match(value)
    if not m:
        return datetime.fromisoformat(value)
    if original is None:
        raise ValueError(f"year-less time {value!r} without an original post")
    month, day, hour, minute, offset = m.groups()
    for year in (original.year, original.year + 1):
        dt = datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:00{offset}")
        if dt >= original:
            return dt
    return dt


def build_weibo() -> list[Record]:
    rows = read_csv(WEIBO_CSV)
    stories: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        stories[row["event"]].append(row)
    originals: dict[str, tuple[dict[str, str], datetime]] = {}
    for key, members in stories.items():
        (orig,) = [r for r in members if r["kind"] == "original"]
        originals[key] = (orig, datetime.fromisoformat(orig["time"]))
    order = sorted(originals, key=lambda k: (originals[k][1], int(originals[k][0]["id"])))
    k = WEIBO_STORIES
    start = min(
        range(len(order) - k + 1),
        key=lambda i: (originals[order[i + k - 1]][1] - originals[order[i]][1], i),
    )
    out = []
    for key in order[start : start + k]:
        orig, orig_time = originals[key]
        for row in stories[key]:
            is_orig = row["kind"] == "original"
            when = orig_time if is_orig else weibo_time(row["time"], orig_time)
            parent = None if is_orig else orig["id"]
            out.append(
                (int(row["id"]), record(row["id"], when, row["text"].strip(), "zh", parent=parent))
            )
    return by_time(out)


def tweet_text(raw: str) -> str:
    """Tweets arrive as the API gave them, with &amp; &lt; &gt; escaped: keep plain text."""
    return html.unescape(raw).strip()


def build_crisis() -> list[Record]:
    out = []
    for n, row in enumerate(read_csv(CRISIS_CSV)):
        if row["event"] not in CRISIS_EVENTS or not row["time"]:
            continue
        when = datetime.strptime(row["time"], "%a %b %d %H:%M:%S %z %Y")
        text = tweet_text(row["text"])
        out.append((n, record(row["id"], when, text, "en", event=row["event"])))
    return by_time(out)


def build_airline() -> list[Record]:
    keyed = []
    for n, row in enumerate(read_csv(AIRLINE_CSV), start=1):
        when = datetime.strptime(row["time"], "%m/%d/%Y %H:%M").replace(tzinfo=AIRLINE_TZ)
        text = tweet_text(row["text"])
        keyed.append((n, record(str(n), when, text, "en", label=row["label"])))
    ordered = by_time(keyed)
    return ordered[::AIRLINE_EVERY]


BUILDERS = {
    "news_en": build_news,
    "hot_zh": build_hot,
    "weibo_zh": build_weibo,
    "crisis_en": build_crisis,
    "airline_en": build_airline,
}


def gzip_jsonl(records: list[Record]) -> bytes:
    """Deterministic gzip: no file name, mtime 0, fixed compression level."""
    body = "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
    ).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(body)
    return buf.getvalue()


def main() -> int:
    if not SHARED.is_dir():
        print(f"shared data not found at {SHARED}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, build in BUILDERS.items():
        records = build()
        data = gzip_jsonl(records)
        (OUT / f"{name}.jsonl.gz").write_bytes(data)
        total += len(data)
        first, last = records[0]["time"], records[-1]["time"]
        print(f"{name}: {len(records)} records, {len(data):,} bytes, {first} .. {last}")
    print(f"total: {total:,} bytes")
    if total > MAX_TOTAL_BYTES:
        print("demo data exceeds 5 MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
