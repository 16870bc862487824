"""Heat: bounded, monotone in every input, parts that add up, and sensible on real events."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.analyze.heat import Heat, HeatInputs, HeatWeights, heat

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
KEYS = ("likes", "comments", "shares", "views", "unknown_key")

counts = st.integers(0, 10**9)
rates = st.floats(0, 1e6, allow_nan=False)
inputs = st.builds(
    HeatInputs,
    posts=counts,
    reposts=counts,
    engagement=st.dictionaries(st.sampled_from(KEYS), counts, max_size=5),
    authority_tiers=st.lists(st.integers(1, 4), max_size=30),
    posts_per_hour=rates,
    baseline_per_hour=rates,
    negative_share=st.floats(0, 1),
)
weights = st.builds(
    HeatWeights,
    engagement=st.floats(0, 100),
    authority=st.floats(0, 100),
    velocity=st.floats(0, 100),
    negativity=st.floats(1, 100),
)


def assert_no_lower(before: Heat, after: Heat) -> None:
    assert after.score >= before.score - 1e-9
    for name, points in before.components.items():
        assert after.components[name] >= points - 1e-9, name


@settings(max_examples=300, deadline=None)
@given(inputs, weights)
def test_score_is_bounded_and_the_parts_add_up(event: HeatInputs, weighting: HeatWeights) -> None:
    result = heat(event, weighting)
    assert 0.0 <= result.score <= 100.0 + 1e-9
    assert math.fsum(result.components.values()) == pytest.approx(result.score, abs=1e-9)
    assert all(points >= 0 for points in result.components.values())
    assert f"{result.score:.1f}" in result.explanation
    json.dumps(result.as_dict(), allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(inputs, counts, st.sampled_from(KEYS), rates, st.floats(0, 1))
def test_more_of_anything_never_lowers_heat(
    event: HeatInputs, more: int, key: str, faster: float, darker: float
) -> None:
    before = heat(event)
    engagement = dict(event.engagement)
    engagement[key] = engagement.get(key, 0) + more
    for after in (
        replace(event, posts=event.posts + more),
        replace(event, reposts=event.reposts + more),
        replace(event, engagement=engagement),
        replace(event, authority_tiers=[*event.authority_tiers, 4]),
        replace(event, posts_per_hour=event.posts_per_hour + faster),
        replace(event, negative_share=max(event.negative_share, darker)),
    ):
        assert_no_lower(before, heat(after))


@settings(max_examples=200, deadline=None)
@given(inputs, rates)
def test_a_more_authoritative_source_or_a_lower_baseline_never_lowers_heat(
    event: HeatInputs, less: float
) -> None:
    before = heat(event)
    promoted = [max(1, tier - 1) for tier in event.authority_tiers]
    assert_no_lower(before, heat(replace(event, authority_tiers=promoted)))
    calmer = replace(event, baseline_per_hour=max(0.0, event.baseline_per_hour - less))
    assert_no_lower(before, heat(calmer))


def test_nothing_scores_zero_and_everything_scores_the_full_hundred() -> None:
    assert heat(HeatInputs(posts=0)).score == 0.0
    full = heat(
        HeatInputs(
            posts=10**7,
            engagement={"likes": 10**9},
            authority_tiers=[1] * 10,
            posts_per_hour=10**5,
            baseline_per_hour=0.0,
            negative_share=1.0,
        )
    )
    # Negativity is shrunk by volume / (volume + 5): 10^7 posts leave it a hair below full.
    assert full.score == pytest.approx(100.0, abs=1e-3)


def test_logs_saturate_so_a_viral_event_does_not_flatten_the_rest() -> None:
    def engagement(posts: int) -> float:
        return heat(HeatInputs(posts=posts)).components["engagement"]

    # Each tenfold rise adds the same points, until the component is full.
    assert engagement(1_000) - engagement(100) == pytest.approx(
        engagement(10_000) - engagement(1_000), rel=0.01
    )
    assert engagement(10**6) == engagement(10**12) == 35.0
    assert engagement(100) > 0.3 * 35.0  # a 100-post event still registers


def test_one_central_outlet_outweighs_a_few_self_media_accounts() -> None:
    base = HeatInputs(posts=40, posts_per_hour=10, baseline_per_hour=2, negative_share=0.4)
    central = heat(replace(base, authority_tiers=[1]))
    self_media = heat(replace(base, authority_tiers=[4, 4, 4, 4, 4]))
    assert central.score > self_media.score
    assert "best tier 1" in central.explanation


def test_unknown_engagement_keys_are_ignored_and_weights_are_configurable() -> None:
    plain = heat(HeatInputs(posts=5))
    assert heat(HeatInputs(posts=5, engagement={"reactions_emoji": 10**6})).score == plain.score
    only_negativity = HeatWeights(engagement=0, authority=0, velocity=0, negativity=1)
    result = heat(HeatInputs(posts=95, negative_share=0.5), only_negativity)
    assert result.score == pytest.approx(100 * 0.5 * 95 / 100)
    assert set(result.components) == {"engagement", "authority", "velocity", "negativity"}


def test_bad_input_is_rejected_with_a_reason() -> None:
    for bad in (
        {"posts": -1},
        {"posts": 1, "negative_share": 1.5},
        {"posts": 1, "negative_share": float("nan")},
        {"posts": 1, "posts_per_hour": float("inf")},
        {"posts": 1, "engagement": {"likes": -3}},
        {"posts": True},
    ):
        with pytest.raises(ValueError):
            HeatInputs(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tier"):
        heat(HeatInputs(posts=1, authority_tiers=[5]))
    with pytest.raises(ValueError):
        HeatWeights(engagement=0, authority=0, velocity=0, negativity=0)
    with pytest.raises(ValueError, match="non-increasing"):
        HeatWeights(tier_points=(1.0, 4.0, 1.5, 0.5))


def crisis_hours() -> dict[str, dict[datetime, int]]:
    per_hour: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    with (DATA / "events" / "en" / "crisislex_t26_dev.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["time"]:
                when = datetime.strptime(row["time"], "%a %b %d %H:%M:%S %z %Y")
                per_hour[row["event"]][when.replace(minute=0, second=0)] += 1
    return per_hour


def test_every_real_crisis_is_hotter_at_its_peak_than_a_week_later() -> None:
    """Real CrisisLex counts: posts in the last day, the last hour's rate against the 12 before."""
    for name, hours in crisis_hours().items():
        peak = max(hours, key=hours.__getitem__)

        def at(moment: datetime, hours: dict[datetime, int] = hours) -> Heat:
            rate = hours.get(moment, 0)
            before = [hours.get(moment - timedelta(hours=h), 0) for h in range(1, 13)]
            last_day = sum(hours.get(moment - timedelta(hours=h), 0) for h in range(24))
            return heat(
                HeatInputs(
                    posts=last_day,
                    posts_per_hour=rate,
                    baseline_per_hour=sum(before) / 12,
                    authority_tiers=[3],
                )
            )

        hot, cold = at(peak), at(peak + timedelta(days=7))
        assert hot.score > cold.score, f"{name}: {hot.explanation} / {cold.explanation}"
        assert hot.components["velocity"] > cold.components["velocity"]
