"""Spikes found on stored posts: per scheme and per event, explained."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from groundswell.analyze.detect import detect_spikes
from groundswell.context import Desk
from groundswell.models import RawItem
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NOW = datetime(2026, 8, 2, 12, 0, tzinfo=UTC)


def airline_tweets(n: int) -> list[str]:
    with (DATA / "sentiment" / "en" / "us_airline_tweets.csv").open(encoding="utf-8") as fh:
        rows = [r["text"] for r in csv.DictReader(fh) if "united" in r["text"].lower()]
    return rows[:n]


def test_a_burst_in_the_last_hour_is_a_spike_and_a_flat_hour_is_not(desk: Desk) -> None:
    texts = airline_tweets(120)
    with desk.engine.begin() as conn:
        scheme = add_scheme(conn, "united", query="united")
        source = add_source(conn, "tweets", "push", {"token": "t" * 20})
    items = []
    # Baseline: 2 posts an hour for the 12 hours before the last one.
    for hour in range(1, 13):
        for k in range(2):
            minutes = hour * 60 + 10 + k * 20
            items.append((NOW - timedelta(minutes=minutes), texts[len(items)]))
    flat_at = NOW - timedelta(minutes=5)
    # The last hour: 40 posts.
    for k in range(40):
        items.append((NOW - timedelta(minutes=55 - k), texts[len(items)]))
    batch = [
        RawItem(raw={"i": i}, external_id=str(i), text=text, published_at=when)
        for i, (when, text) in enumerate(items)
    ]
    desk.pipeline.ingest(source.id, batch)
    with desk.engine.connect() as conn:
        spikes = detect_spikes(conn, NOW, "hour")
        before = detect_spikes(conn, flat_at - timedelta(hours=1), "hour")
    mine = [s for s in spikes if s.subject_kind == "scheme" and s.subject_id == str(scheme.id)]
    volume = [s for s in mine if s.result.kind == "volume"]
    assert volume, [s.as_dict() for s in spikes]
    assert volume[0].result.observed == 40
    assert "40" in volume[0].result.explanation
    assert volume[0].as_dict()["subject"] == "united"
    assert not [s for s in before if s.subject_kind == "scheme" and s.result.kind == "volume"]


def test_unknown_window_is_a_clear_error(desk: Desk) -> None:
    import pytest

    from groundswell.errors import ConfigError

    with desk.engine.connect() as conn, pytest.raises(ConfigError, match="hour"):
        detect_spikes(conn, NOW, "fortnight")
