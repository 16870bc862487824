"""The labelled repost benchmark, built deterministically from real texts in ../shared/data.

Originals are real posts (Weibo SMP2020 posts and CED cascade originals, US
airline tweets, English news headlines, Weibo hot-search titles). Each gets 0-3
copies made by the transformations reposts go through: commentary in front
(real comments and tweets), `//@name:` chains, `转发`/`RT @name:` markers,
truncation to 50-90 % (only for originals of >= 20 tokens), a source line or
URL, punctuation changes, Traditional script (OpenCC s2t), and combinations.
A copy's gold story is its original's.

Hard negatives, each its own story: both sides of paraphrase pairs (LCQMC, BQ,
PAWS-X zh, MRPC; any label: all are different texts) and the comments of the
CED cascades (different posts about the same story). Texts whose canonical form
repeats a 10-token run of an earlier text (other than its own pair partner) are
dropped: the sources hold real reposts and templates, which would be mislabelled
as different; cascade comments sharing a 12-token run with another text of their
cascade are dropped for the same reason. Texts under 4 tokens are left out (they
never merge, by design). A third of the cascades only lends commentary. The
rest of the cascades, the originals and the pairs are split in two halves with
a fixed seed: "dev" for tuning, "test" for reporting.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import opencc

from groundswell.analyze.dedup.repost_text import canonical_tokens

__all__ = ["BenchPost", "build"]

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SEED = 20261128
_START = datetime(2026, 7, 24, tzinfo=UTC)
_ZH_SOURCES = [
    "（来源：新华社）",
    " 来源：人民日报",
    "（来源：央视新闻客户端）",
    "【来源：澎湃新闻】",
]
_PUNCT_SWAPS = {"，": ",", "。": "! ", "！": "!!", "？": "?", "、": " ", ",": "，", ".": "。 "}
_MIN_TOKENS = 4  # shorter posts never merge (see similarity.py), so they are not test cases
_EMOJI = ["😂", "👍", "[doge]", "🙏", "!!!"]


@dataclass(frozen=True)
class BenchPost:
    key: str
    text: str
    time: datetime
    arrival: float  # sort key of the stream order (time, or later for late arrivals)
    gold: str  # gold story
    kind: str  # "original", a transformation name, or the negative's source


def _csv(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle) if row.get(column)]


def _tsv_pairs(path: Path, a: int, b: int, skip_header: bool) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = rows[1:] if skip_header else rows
    return [(row[a], row[b]) for row in rows if len(row) > max(a, b) and row[a] and row[b]]


def _cascades() -> dict[str, list[str]]:
    """Event -> [original, comments...] of the CED Weibo cascades."""
    out: dict[str, list[str]] = {}
    with (DATA / "events" / "zh" / "weibo_cascades.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts = out.setdefault(row["event"], [])
            if row["kind"] == "original":
                texts.insert(0, row["text"])
            else:
                texts.append(row["text"])
    return {event: texts for event, texts in out.items() if texts}


class _Transformer:
    """Makes repost copies of a text; all randomness comes from one seeded Random."""

    def __init__(self, rng: random.Random, comments: dict[str, list[str]], names: list[str]):
        self.rng = rng
        self.comments = comments
        self.names = names
        self.s2t = opencc.OpenCC("s2t")

    def _name(self) -> str:
        return self.rng.choice(self.names)

    def _comment(self, lang: str) -> str:
        return self.rng.choice(self.comments[lang])

    def commentary(self, text: str, lang: str) -> str:
        sep = self.rng.choice(
            [" ", "：", "！", " -- ", "\n"] if lang == "zh" else [" ", ": ", " -- "]
        )
        return self._comment(lang) + sep + text

    def chain(self, text: str, lang: str) -> str:
        out = text
        for _ in range(self.rng.choice([1, 1, 2])):
            out = f"{self._comment(lang)}//@{self._name()}:{out}"
        return out

    def marker(self, text: str, lang: str) -> str:
        if lang == "zh":
            return self.rng.choice(["转发微博 ", "转发：", "【转发】", "轉發微博："]) + text
        return self.rng.choice([f"RT @{self._name()}: ", "Repost: ", "RT "]) + text

    def truncate(self, text: str, lang: str) -> str:
        cut = int(len(text) * self.rng.uniform(0.5, 0.9))
        tail = self.rng.choice(["", "…", "...", "...全文" if lang == "zh" else "... more"])
        return text[:cut] + tail

    def source(self, text: str, lang: str) -> str:
        url = f" http://t.cn/{self.rng.getrandbits(40):x}"
        if lang == "zh":
            return text + self.rng.choice([*_ZH_SOURCES, f" via@{self._name()}", url])
        publisher = self.rng.choice(["Reuters", "AP News", "CNBC", "The Guardian", "BBC"])
        return text + self.rng.choice([f" - {publisher}", f" via @{self._name()}", url])

    def punctuation(self, text: str, lang: str) -> str:
        parts = re.split(r"(https?://\S+)", text)  # URLs keep their dots
        out = "".join(
            part if part.startswith("http") else self._swap_punctuation(part) for part in parts
        )
        if self.rng.random() < 0.5:  # spacing: Chinese loses it, English gets more
            out = re.sub(r"\s+", "", out) if lang == "zh" else out.replace(" ", "  ")
        return out + self.rng.choice(_EMOJI)

    def _swap_punctuation(self, text: str) -> str:
        return "".join(_PUNCT_SWAPS.get(ch, ch) if self.rng.random() < 0.7 else ch for ch in text)

    def traditional(self, text: str, lang: str) -> str:
        return self.s2t.convert(text) if lang == "zh" else self.punctuation(text, lang)

    def combination(self, text: str, lang: str) -> str:
        inner = self.rng.sample([self.punctuation, self.traditional, self.truncate], 2)
        out = text
        for step in inner:
            if step != self.truncate or len(canonical_tokens(text)) >= 20:
                out = step(out, lang)
        if self.rng.random() < 0.5:
            out = self.source(out, lang)
        wrap = self.rng.choice([self.commentary, self.chain, self.marker])
        return wrap(out, lang)

    def kinds(self, text: str) -> list[tuple[str, Callable[[str, str], str]]]:
        out = [
            ("commentary", self.commentary),
            ("chain", self.chain),
            ("marker", self.marker),
            ("source", self.source),
            ("punctuation", self.punctuation),
            ("traditional", self.traditional),
            ("combination", self.combination),
        ]
        if len(canonical_tokens(text)) >= 20:
            out.append(("truncate", self.truncate))
        return out


def _originals(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """(source, lang, text) originals, n per source (fewer when a source is smaller)."""
    zh = DATA / "sentiment" / "zh"
    weibo = [t for p in sorted(zh.glob("weibo_smp2020_*.csv")) for t in _csv(p, "text")]
    tweets = _csv(DATA / "sentiment" / "en" / "us_airline_tweets.csv", "text")
    streams = DATA / "streams"
    headlines = [t for p in sorted(streams.glob("en_news_*.csv")) for t in _csv(p, "headline")]
    hot = [t for p in sorted(streams.glob("weibo_hot_*.csv")) for t in _csv(p, "title")]
    out: list[tuple[str, str, str]] = []
    for source, lang, texts in (
        ("weibo", "zh", weibo),
        ("tweet", "en", tweets),
        ("headline", "en", headlines),
        ("hot_search", "zh", hot),
    ):
        pool = list(dict.fromkeys(texts))
        rng.shuffle(pool)
        out.extend((source, lang, text) for text in pool[:n])
    return out


def _pairs() -> list[tuple[str, str, str]]:
    zh = DATA / "pairs" / "zh"
    out = [("lcqmc", a, b) for a, b in _tsv_pairs(zh / "lcqmc_dev.tsv", 0, 1, False)]
    out += [("bq", a, b) for a, b in _tsv_pairs(zh / "bq_corpus_dev.tsv", 0, 1, False)]
    out += [("pawsx", a, b) for a, b in _tsv_pairs(zh / "paws-x-zh_dev.tsv", 0, 1, False)]
    mrpc = DATA / "pairs" / "en" / "mrpc_train.tsv"
    out += [("mrpc", a, b) for a, b in _tsv_pairs(mrpc, 3, 4, True)]
    return out


def _runs(tokens: list[str], size: int = 12) -> set[str]:
    return {"\x1f".join(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1))}


def _clean_cascade(texts: list[str]) -> tuple[str, list[str]]:
    """The original and its comments that are surely not reposts of anything in the cascade."""
    tokens = [canonical_tokens(text) for text in texts]
    runs = [_runs(t) for t in tokens]
    keep: list[str] = []
    for index in range(1, len(texts)):
        others = set().union(*(runs[j] for j in range(len(texts)) if j != index))
        if tokens[index] and not (runs[index] & others):
            keep.append(texts[index])
    return texts[0], keep


def build(per_source: int = 1500, pairs_per_set: int = 600) -> dict[str, list[BenchPost]]:
    """{"dev": posts, "test": posts}, each in stream (arrival) order."""
    rng = random.Random(SEED)
    cascades = _cascades()
    events = sorted(cascades)
    rng.shuffle(events)
    mention = re.compile(r"@([^\s:：@/,，]{2,12})")
    names = sorted({m for texts in cascades.values() for t in texts for m in mention.findall(t)})
    # A third of the cascades only lends its comments as commentary; the rest is split.
    commentary_events, events = events[::3], [e for i, e in enumerate(events) if i % 3]
    comments = {
        "zh": [c for e in commentary_events for c in cascades[e][1:] if 4 <= len(c) <= 60],
        "en": _csv(DATA / "sentiment" / "en" / "tweeteval_val.csv", "text"),
    }
    transformer = _Transformer(rng, comments, names)
    originals = _originals(rng, per_source)
    pairs = _pairs()
    rng.shuffle(pairs)
    halves: dict[str, list[BenchPost]] = {"dev": [], "test": []}
    seen: set[str] = set()
    counter = iter(range(10**9))

    def fresh(*texts: str) -> bool:
        """True (and remembered) when no text repeats a 10-token run of an earlier one."""
        runs = []
        for text in texts:
            tokens = canonical_tokens(text)
            if len(tokens) < _MIN_TOKENS:
                return False
            runs.append(_runs(tokens, 10) or {"\x1f".join(tokens)})
        if any(r & seen for r in runs):
            return False
        seen.update(*runs)
        return True

    def add(half: str, text: str, gold: str, kind: str, time: datetime, late: float = 0) -> None:
        key = f"p{next(counter)}"
        arrival = time.timestamp() + late
        halves[half].append(BenchPost(key, text, time, arrival, gold, kind))

    def when() -> datetime:
        return _START + timedelta(seconds=rng.uniform(0, 3 * 86400))

    def with_copies(half: str, source: str, lang: str, text: str) -> None:
        gold = f"g{next(counter)}"
        start = when()
        late = 6 * 3600 if rng.random() < 0.1 else 0  # the original arrives after its copies
        add(half, text, gold, f"original:{source}", start, late)
        kinds = transformer.kinds(text)
        for _ in range(rng.choice([0, 1, 2, 3])):
            kind, make = rng.choice(kinds)
            copy = make(text, lang)
            offset = timedelta(seconds=rng.expovariate(1 / 7200) + 1)
            add(half, copy, gold, kind, start + offset)

    for index, (source, lang, text) in enumerate(originals):
        if fresh(text):
            with_copies("dev" if index % 2 else "test", source, lang, text)
    for index, event in enumerate(events):
        half = "dev" if index % 2 else "test"
        original, kept = _clean_cascade(cascades[event])
        if fresh(original):
            with_copies(half, "cascade", "zh", original)
        for comment in kept:
            if fresh(comment):
                add(half, comment, f"g{next(counter)}", "negative:cascade_comment", when())
    taken: dict[str, int] = {}
    for index, (source, a, b) in enumerate(pairs):
        if taken.get(source, 0) >= pairs_per_set:
            continue
        if canonical_tokens(a) == canonical_tokens(b) or not fresh(a, b):
            continue  # the same text (not a negative), or one seen before
        taken[source] = taken.get(source, 0) + 1
        half = "dev" if index % 2 else "test"
        for text in (a, b):
            add(half, text, f"g{next(counter)}", f"negative:{source}", when())
    for posts in halves.values():
        posts.sort(key=lambda post: (post.arrival, post.key))
    return halves


def iter_kinds(posts: list[BenchPost]) -> Iterator[tuple[str, int]]:
    """(kind, count) of a half, for the bench's description line."""
    counts: dict[str, int] = {}
    for post in posts:
        counts[post.kind] = counts.get(post.kind, 0) + 1
    yield from sorted(counts.items())
