"""What an event summary says: title, key terms, counts, times and velocity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groundswell.analyze.events import EventClusterer, EventItem
from groundswell.analyze.events.summary import shorten

START = datetime(2013, 4, 18, 1, tzinfo=UTC)
# Real tweets from CrisisLex T26 (2013 West Texas explosion), with made-up labels.
TWEETS = [
    ("Explosion, injuries reported at fertilizer plant near Waco, Texas", "negative", "twitter"),
    ("Massive explosion at fertilizer plant in West, Texas #WestExplosion", "negative", "twitter"),
    ("Praying for everyone in West Texas after the plant explosion", "positive", "twitter"),
    ("West Texas fertilizer plant explosion: dozens injured", "neutral", "news"),
    ("Fertilizer plant explosion in West Texas, many injured #WestExplosion", "negative", "news"),
]


def summary_of_tweets():
    clusterer = EventClusterer()
    items = [
        EventItem(
            key=f"t{i}",
            text=text,
            time=START + timedelta(minutes=20 * i),
            sentiment=label,
            source=source,
        )
        for i, (text, label, source) in enumerate(TWEETS)
    ]
    ids = clusterer.add(items)
    assert len(set(ids)) == 1
    summary = clusterer.get(ids[0])
    assert summary is not None
    return summary


def test_summary_counts_sentiment_sources_and_times() -> None:
    summary = summary_of_tweets()
    assert summary.size == len(TWEETS)
    assert summary.sentiment_mix == {"negative": 3, "positive": 1, "neutral": 1}
    assert summary.sources == {"twitter": 3, "news": 2}
    assert summary.first_seen == START
    assert summary.last_seen == START + timedelta(minutes=80)
    # The hour (+20 min, +80 min] ending at the last post holds the posts at +40, +60, +80.
    assert summary.posts_per_hour == 3.0


def test_summary_title_is_a_member_post_and_key_terms_name_the_event() -> None:
    summary = summary_of_tweets()
    texts = {f"t{i}": text for i, (text, _, _) in enumerate(TWEETS)}
    assert summary.representative_key in texts
    assert summary.title == shorten(texts[summary.representative_key], 120)
    assert {"explosion", "fertilizer"} <= set(summary.key_terms)
    assert "the" not in summary.key_terms
    assert summary.to_dict()["first_seen"] == START.isoformat()


def test_shorten_cuts_at_a_space_and_keeps_one_line() -> None:
    assert shorten("a  b\nc", 10) == "a b c"
    cut = shorten("Massive explosion at fertilizer plant in West Texas", 30)
    assert len(cut) <= 30 and cut.endswith("…") and " " in cut
    assert shorten("", 10) == ""
