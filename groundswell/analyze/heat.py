"""Heat: one 0-100 score per event that a duty officer can read and argue with.

Four components, each a fraction in [0, 1] times its weight in points (35 + 25 +
25 + 15 = 100 by default), so the parts add up to the score and the explanation
can say where every point came from:

* engagement: log of posts + reposts + weighted interactions, full at 1,000,000;
* authority: log of the summed authority points of the distinct sources that
  carried the event (tier 1 central media 10 points ... tier 4 self-media 0.5),
  full at 30 points, so one central outlet weighs as much as twenty self-media;
* velocity: half absolute rate (log, full at 1,000 posts/hour), half surge over
  the baseline rate (log2 of the ratio, full at 16x);
* negativity: the negative share, shrunk towards 0 for small events.

Log scales saturate, so a viral event does not flatten everything else to 0.
Every component is non-decreasing in its inputs (and velocity non-increasing in
the baseline). The formula and a worked example: docs/analysis/spikes-and-heat.md.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["DEFAULT_INTERACTION_WEIGHTS", "Heat", "HeatInputs", "HeatWeights", "heat"]

# Interaction points per unit: a share spreads a post further than a like, and a
# view is cheap. Keys not listed here are ignored.
DEFAULT_INTERACTION_WEIGHTS: Mapping[str, float] = {
    "likes": 1.0,
    "favorites": 1.0,
    "comments": 2.0,
    "replies": 2.0,
    "quotes": 2.0,
    "shares": 3.0,
    "reposts": 3.0,
    "retweets": 3.0,
    "views": 0.01,
}


@dataclass(frozen=True, slots=True)
class HeatInputs:
    """What is known about one event (or scheme) over the period being scored.

    authority_tiers holds one tier per distinct source: 1 national/central media or
    official account, 2 provincial/major outlet, 3 local/industry, 4 ordinary/self-media.
    """

    posts: int
    reposts: int = 0
    engagement: Mapping[str, int] = field(default_factory=dict)
    authority_tiers: Sequence[int] = ()
    posts_per_hour: float = 0.0
    baseline_per_hour: float = 0.0
    negative_share: float = 0.0

    def __post_init__(self) -> None:
        for name in ("posts", "reposts", "posts_per_hour", "baseline_per_hour"):
            _check_amount(name, getattr(self, name))
        if not 0.0 <= self.negative_share <= 1.0:  # also rejects NaN
            raise ValueError(f"negative_share must be in [0, 1], got {self.negative_share!r}")
        for key, count in self.engagement.items():
            _check_amount(f"engagement[{key!r}]", count)


@dataclass(frozen=True, slots=True)
class HeatWeights:
    """Points per component and the scales at which each component is full."""

    engagement: float = 35.0
    authority: float = 25.0
    velocity: float = 25.0
    negativity: float = 15.0
    interaction_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_INTERACTION_WEIGHTS)
    )
    reach_full: float = 1_000_000.0
    tier_points: tuple[float, ...] = (10.0, 4.0, 1.5, 0.5)
    authority_full: float = 30.0
    rate_full: float = 1_000.0
    surge_full: float = 16.0
    negativity_prior_posts: float = 5.0

    def __post_init__(self) -> None:
        points = (self.engagement, self.authority, self.velocity, self.negativity)
        if min(points) < 0 or sum(points) <= 0:
            raise ValueError("component weights must be non-negative with a positive sum")
        if min(self.interaction_weights.values(), default=0.0) < 0:
            raise ValueError("interaction weights must be non-negative")
        tiers = self.tier_points
        if not tiers or min(tiers) < 0 or any(a < b for a, b in itertools.pairwise(tiers)):
            # Non-increasing, so moving a source up a tier never lowers heat.
            raise ValueError("tier_points must be non-negative and non-increasing, tier 1 first")
        if min(self.reach_full, self.authority_full, self.rate_full) <= 0:
            raise ValueError("saturation points must be positive")
        if self.surge_full <= 1 or self.negativity_prior_posts < 0:
            raise ValueError("surge_full must exceed 1 and negativity_prior_posts be >= 0")


@dataclass(frozen=True, slots=True)
class Heat:
    """The score and its parts in points (they sum to the score); `explanation` reads them.

    The explanation is written when asked for: the pipeline scores every touched
    event of every batch and stores only the numbers.
    """

    score: float
    components: dict[str, float]
    inputs: HeatInputs
    weights: HeatWeights

    @property
    def explanation(self) -> str:
        inputs, components = self.inputs, self.components
        scale = 100.0 / _points_total(self.weights)
        volume = inputs.posts + inputs.reposts
        interactions = _interactions(inputs, self.weights)
        surge = (inputs.posts_per_hour + 1.0) / (inputs.baseline_per_hour + 1.0)
        best_tier = min(inputs.authority_tiers, default=None)
        full = {name: points * scale for name, points in _points(self.weights).items()}
        parts = [
            f"engagement {components['engagement']:.1f} of {full['engagement']:.0f} "
            f"({volume:,} posts and reposts, {interactions:,.0f} weighted interactions)",
            f"authority {components['authority']:.1f} of {full['authority']:.0f} "
            f"({len(inputs.authority_tiers)} sources, "
            + (f"best tier {best_tier})" if best_tier is not None else "none known)"),
            f"velocity {components['velocity']:.1f} of {full['velocity']:.0f} "
            f"({inputs.posts_per_hour:.1f}/h, {surge:.1f}x the "
            f"{inputs.baseline_per_hour:.1f}/h baseline)",
            f"negativity {components['negativity']:.1f} of {full['negativity']:.0f} "
            f"({inputs.negative_share:.0%} negative over {volume:,} posts)",
        ]
        return f"heat {self.score:.1f}/100: " + "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "components": dict(self.components),
            "explanation": self.explanation,
        }


_DEFAULT_WEIGHTS = HeatWeights()


def heat(inputs: HeatInputs, weights: HeatWeights | None = None) -> Heat:
    """Score one event 0-100 from engagement, source authority, velocity and negativity."""
    weights = weights or _DEFAULT_WEIGHTS
    volume = inputs.posts + inputs.reposts
    reach = volume + _interactions(inputs, weights)
    authority = sum(_tier_points(tier, weights.tier_points) for tier in inputs.authority_tiers)
    rate, base = inputs.posts_per_hour, inputs.baseline_per_hour
    surge = (rate + 1.0) / (base + 1.0)
    fractions = {
        "engagement": _log_fraction(reach, weights.reach_full),
        "authority": _log_fraction(authority, weights.authority_full),
        "velocity": 0.5 * _log_fraction(rate, weights.rate_full)
        + 0.5 * min(1.0, math.log2(max(1.0, surge)) / math.log2(weights.surge_full)),
        "negativity": inputs.negative_share
        * (volume / (volume + weights.negativity_prior_posts) if volume else 0.0),
    }
    points = _points(weights)
    scale = 100.0 / _points_total(weights)
    components = {name: fractions[name] * points[name] * scale for name in fractions}
    return Heat(sum(components.values()), components, inputs, weights)


def _points(weights: HeatWeights) -> dict[str, float]:
    return {
        "engagement": weights.engagement,
        "authority": weights.authority,
        "velocity": weights.velocity,
        "negativity": weights.negativity,
    }


def _points_total(weights: HeatWeights) -> float:
    return weights.engagement + weights.authority + weights.velocity + weights.negativity


def _interactions(inputs: HeatInputs, weights: HeatWeights) -> float:
    return sum(
        weight * inputs.engagement.get(key, 0)
        for key, weight in weights.interaction_weights.items()
    )


def _log_fraction(value: float, full: float) -> float:
    """log(1 + value) / log(1 + full), capped at 1: each tenfold rise adds the same."""
    return min(1.0, math.log1p(value) / math.log1p(full))


def _check_amount(name: str, value: float) -> None:
    """Non-negative and finite (ints of any size pass: they are finite by nature)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if value < 0 or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")


def _tier_points(tier: int, tier_points: tuple[float, ...]) -> float:
    if not 1 <= tier <= len(tier_points):
        raise ValueError(f"authority tier must be 1..{len(tier_points)}, got {tier!r}")
    return tier_points[tier - 1]
