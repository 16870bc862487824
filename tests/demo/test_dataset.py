"""The packaged demo data: present, small, well-formed and sorted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from groundswell.demo.dataset import (
    DATASETS,
    ReplayClock,
    Timeline,
    data_dir,
    data_file,
    load_all,
    load_dataset,
)

EXPECTED_MIN = {
    "news_en": 4000,
    "hot_zh": 9000,
    "weibo_zh": 2000,
    "crisis_en": 2500,
    "airline_en": 2500,
}


def test_total_package_data_is_small() -> None:
    total = sum(Path(str(data_file(name))).stat().st_size for name in DATASETS)
    assert total <= 5 * 1024 * 1024
    assert data_dir().joinpath("SOURCES.md").is_file()


@pytest.mark.parametrize("name", DATASETS)
def test_dataset_loads_sorted_and_aware(name: str) -> None:
    records = load_dataset(name)
    assert len(records) >= EXPECTED_MIN[name]
    times = [r.time for r in records]
    assert all(t.tzinfo is not None and t.utcoffset() is not None for t in times)
    assert times == sorted(times)
    assert all(r.text and r.lang in ("en", "zh") for r in records)
    assert len({r.id for r in records}) == len(records)


def test_weibo_reposts_point_at_originals_that_come_first() -> None:
    records = load_dataset("weibo_zh")
    originals = {r.id: r for r in records if r.parent is None}
    reposts = [r for r in records if r.parent is not None]
    assert 40 <= len(originals) <= 80 and reposts
    assert all(r.parent in originals for r in reposts)
    assert sum(r.time >= originals[r.parent].time for r in reposts) >= 0.99 * len(reposts)


def test_records_keep_no_personal_fields_and_news_has_publishers() -> None:
    data = load_all()
    assert all(r.author is None for recs in data.values() for r in recs)
    assert all(r.publisher and r.title for r in data["news_en"])
    assert {r.extra["event"] for r in data["crisis_en"]} >= {"2013_Typhoon_Yolanda"}


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown demo dataset"):
        data_file("nope")


def test_replay_clock_and_timeline_visibility() -> None:
    now = [100.0]
    clock = ReplayClock(60.0, timedelta(minutes=1), lambda: now[0])
    records = load_dataset("news_en")[:50]
    timeline = Timeline(records)
    origin = timeline.earliest
    assert clock.virtual_now(origin) == origin + timedelta(minutes=1)  # not started: head start
    clock.start()
    now[0] += 10  # 10 real seconds = 10 virtual minutes
    assert clock.virtual_now(origin) == origin + timedelta(minutes=11)
    visible = timeline.visible_count(clock.virtual_now(origin))
    assert visible == sum(r.time <= origin + timedelta(minutes=11) for r in records)
    assert clock.real_delay(origin, origin + timedelta(minutes=21)) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        ReplayClock(0, timedelta(0))
