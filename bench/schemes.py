"""Throughput of monitoring-scheme matching: 1,000 schemes over 100,000 real posts, one core.

Run as `python -m bench.schemes` from the project root (data: ../shared/data).
Posts are Weibo posts (SMP2020 and the rumour cascades), English tweets (US
airline, TweetEval) and news headlines (as titles, with the publisher as source),
shuffled with a fixed seed and cycled to 100,000. Schemes are built from real
vocabularies of the same texts (jieba words for Chinese, words for English):
each takes its subject/region/event words from one real post plus random
others, so schemes do match; some have phrases, wildcards, exclusions and an
advanced query with NEAR, title: and NOT. The figure includes folding.

The baseline is what a user would otherwise write: one compiled `re` per term
or phrase, each scheme's query walked per post, looping over all schemes. It
is measured on a subset (default 1,000 posts) and extrapolated, and must give
exactly the same matches as the automaton on that subset. Target: >= 20,000 posts/s.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import jieba

from groundswell.analyze.fold import fold
from groundswell.analyze.query import And, Document, Near, Node, Not, Or, Phrase, Term
from groundswell.analyze.query.text import SPACELESS, phrase_words
from groundswell.analyze.schemes import Scheme, compile_schemes, scheme_query

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
_EN_STOP = frozenset(
    re.findall(
        r"\w+",
        "this that with from have just your what will they their there been were when would "
        "about could should than then them into over after more some because only also very "
        "here http https amp near",
    )
)
_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_EN_WORD = re.compile(r"[a-z]{4,}")


def _rows(pattern: str) -> Iterator[dict[str, str]]:
    for path in sorted(DATA.glob(pattern)):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle)


def load_posts() -> list[Document]:
    """Distinct real Weibo posts, tweets and headlines, shuffled with a fixed seed."""
    docs: list[Document] = []
    for pattern in ("sentiment/zh/weibo_smp2020_*.csv", "events/zh/weibo_cascades.csv"):
        docs += [Document("", r["text"], "weibo", "zh") for r in _rows(pattern) if r["text"]]
    for pattern in ("sentiment/en/*.csv",):
        docs += [Document("", r["text"], "twitter", "en") for r in _rows(pattern) if r["text"]]
    docs += [
        Document(r["headline"], "", r["publisher"], "en")
        for r in _rows("streams/en_news_headlines_*.csv")
        if r["headline"]
    ]
    docs = list(dict.fromkeys(docs))
    random.Random(7).shuffle(docs)
    return docs


def _words(doc: Document) -> list[str]:
    content = f"{doc.title} {doc.text}"
    if doc.lang == "zh":
        return [w for w in jieba.lcut(content) if _HAN_WORD.match(w)]
    return [w for w in _EN_WORD.findall(content.lower()) if w not in _EN_STOP]


def build_schemes(posts: list[Document], n: int, seed: int = 11) -> list[Scheme]:
    """n schemes from real vocabularies: boxes seeded by one post, plus random words."""
    rng = random.Random(seed)
    sample = {lang: [d for d in posts[:20_000] if d.lang == lang] for lang in ("zh", "en")}
    words = {lang: [_words(d) for d in docs[:6000]] for lang, docs in sample.items()}
    vocab: dict[str, list[str]] = {}
    for lang, lists in words.items():
        ranked = [w for w, _ in Counter(itertools.chain(*lists)).most_common(4000)]
        vocab[lang] = ranked[40:]  # skip the most common: nobody monitors "今天" or "flight"
    schemes: list[Scheme] = []
    for number in range(n):
        lang = "zh" if number % 2 else "en"
        seed_words = [w for w in rng.choice(words[lang]) if w in vocab[lang]]
        while len(seed_words) < 3:
            seed_words = [w for w in rng.choice(words[lang]) if w in vocab[lang]]
        rng.shuffle(seed_words)

        def box(first: str, size: int, lang: str = lang) -> list[str]:
            entries = [first, *rng.sample(vocab[lang], size)]
            if lang == "en" and rng.random() < 0.3 and len(entries[-1]) > 5:
                entries[-1] = entries[-1][:-2] + "*"
            if rng.random() < 0.2:
                entries.append(f'"{rng.choice(vocab[lang])} {rng.choice(vocab[lang])}"')
            return entries

        scheme = Scheme(
            id=number,
            name=f"scheme {number}",
            subject_words=box(seed_words[0], rng.randint(0, 3)),
            region_words=box(seed_words[1], rng.randint(0, 2)) if rng.random() < 0.5 else [],
            event_words=box(seed_words[2], rng.randint(0, 3)) if rng.random() < 0.5 else [],
            exclusion_words=rng.sample(vocab[lang], rng.randint(1, 2))
            if rng.random() < 0.4
            else [],
        )
        if rng.random() < 0.3:
            a, b, c = rng.sample(vocab[lang], 3)
            if not _overlap(a, b):
                scheme.query = rng.choice(
                    [
                        f"{a} NEAR/{rng.randint(2, 8)} {b} OR {seed_words[0]}",
                        f"title:{a} OR {seed_words[0]} NOT {c}",
                        f'"{a} {b}" OR ({seed_words[0]} -{c})',
                    ]
                )
        schemes.append(scheme)
    return schemes


def _overlap(a: str, b: str) -> bool:
    """True when one word can overlap the other in text (regex NEAR cannot see overlaps)."""
    return any(a.endswith(b[:k]) or b.endswith(a[:k]) for k in range(1, min(len(a), len(b)) + 1))


# -- the baseline: one compiled regex per term, schemes looped ---------------------------------

_W = rf"[^\W_{SPACELESS}]"
_SEP = r"[\W_]*"
_TOKEN = rf"(?:[{SPACELESS}]|{_W}+)"


def _word_regex(word: str, wildcard: bool) -> str:
    out = re.escape(word)
    if re.match(_W, word[0]):
        out = rf"(?<!{_W}){out}"
    if wildcard:
        out += f"{_W}*"
    elif re.match(_W, word[-1]):
        out += rf"(?!{_W})"
    return out


def _leaf_regex(leaf: Term | Phrase) -> str:
    if isinstance(leaf, Term):
        return _word_regex(fold(leaf.text), leaf.wildcard)
    return _SEP.join(_word_regex(w, False) for w in phrase_words(leaf.text))


BaselineCheck = Callable[[str, str], bool]


def baseline(node: Node) -> BaselineCheck:
    """One compiled regex per leaf; the query is walked for each post (title, text folded)."""
    if isinstance(node, Term | Phrase):
        search = re.compile(_leaf_regex(node)).search
        if node.field == "title":
            return lambda title, text: search(title) is not None
        return lambda title, text: search(title) is not None or search(text) is not None
    if isinstance(node, Near):
        a, b = _leaf_regex(node.left), _leaf_regex(node.right)
        gap = f"(?:{_SEP}{_TOKEN}){{0,{node.distance}}}?{_SEP}"
        search = re.compile(f"{a}{gap}{b}|{b}{gap}{a}").search
        return lambda title, text: search(title) is not None or search(text) is not None
    if isinstance(node, Not):
        inner = baseline(node.operand)
        return lambda title, text: not inner(title, text)
    checks = [baseline(o) for o in node.operands]
    if isinstance(node, And):
        return lambda title, text: all(c(title, text) for c in checks)
    assert isinstance(node, Or)
    return lambda title, text: any(c(title, text) for c in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=1000)
    parser.add_argument("-n", type=int, default=100_000, help="posts to match")
    parser.add_argument("--subset", type=int, default=1000, help="posts for the baseline")
    args = parser.parse_args()
    jieba.setLogLevel(60)
    distinct = load_posts()
    posts = list(itertools.islice(itertools.cycle(distinct), args.n))
    schemes = build_schemes(distinct, args.schemes)
    features = Counter()
    for s in schemes:
        features["advanced query"] += bool(s.query)
        features["NEAR"] += "NEAR/" in s.query
        features["exclusions"] += bool(s.exclusion_words)
        boxes = s.subject_words + s.region_words + s.event_words
        features["phrases"] += any(w.startswith('"') for w in boxes)
        features["wildcards"] += any(w.endswith("*") for w in boxes)
    print(f"posts: {len(distinct):,} distinct, cycled to {len(posts):,}; schemes: {len(schemes):,}")
    print(f"schemes with: {dict(features)}")

    started = time.perf_counter()
    matcher = compile_schemes(schemes)
    compile_s = time.perf_counter() - started
    print(f"compile: {compile_s:.2f} s")

    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    matched = 0
    for offset in range(0, len(posts), 1000):
        for found in matcher.match(posts[offset : offset + 1000]):
            matched += len(found)
    seconds = time.perf_counter() - started
    cpu_rate = len(posts) / (time.process_time() - cpu_started)
    rate = len(posts) / seconds
    print(
        f"automaton: {rate:,.0f} posts/s wall clock, {cpu_rate:,.0f} posts/s of CPU time "
        f"({seconds:.1f} s, {matched:,} matches)"
    )

    subset = distinct[: args.subset]
    checks = [baseline(scheme_query(s)) for s in schemes]
    started = time.process_time()
    expected: list[list[int]] = []
    for doc in subset:
        title, text = fold(doc.title), fold(doc.text)
        expected.append([i for i, check in enumerate(checks) if check(title, text)])
    base_seconds = time.process_time() - started
    base_rate = len(subset) / base_seconds
    got = [[m.scheme_id for m in found] for found in matcher.match(subset)]
    mismatches = sum(a != b for a, b in zip(got, expected, strict=True))
    load_after = os.getloadavg()[0]
    print(
        f"baseline (regex per term, schemes looped): {base_rate:,.0f} posts/s of CPU time on "
        f"{len(subset):,} "
        f"posts, extrapolated {args.n / base_rate:,.0f} s for {args.n:,}"
    )
    print(f"same matches on the subset: {mismatches == 0} ({mismatches} posts differ)")
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after")
    result = {
        "schemes": len(schemes),
        "posts": len(posts),
        "posts_per_s": round(rate),
        "posts_per_cpu_s": round(cpu_rate),
        "target_posts_per_s": 20_000,
        "compile_s": round(compile_s, 2),
        "matches": matched,
        "baseline_posts_per_s": round(base_rate),
        "baseline_subset": len(subset),
        "speedup_cpu": round(cpu_rate / base_rate, 1),
        "subset_mismatches": mismatches,
        "loadavg_1min": round(load_after, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
