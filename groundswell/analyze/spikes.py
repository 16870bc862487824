"""Spike detection: is the last window unusual against the windows before it?

A fixed count ("alert at 50 posts") is wrong for every scheme but one: a busy
scheme crosses it every hour and a quiet one never does. So each check tests the
current window against the scheme's or event's own baseline windows (the last
hour against the 12 before, a day against the 14 before) and explains itself.

Counts are overdispersed (news comes in clumps), so volume is tested against a
negative-binomial predictive, and the negative share against a beta-binomial
one; both average over the sampling spread of the dispersion estimated from only
12-14 windows, which keeps false alarms near alpha. Formulas, figures, limits:
docs/analysis/spikes-and-heat.md."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
from scipy.special import betainc, gammaincinv, gammaln

__all__ = [
    "DAILY",
    "HOURLY",
    "SpikeResult",
    "SpikeThresholds",
    "WindowCounts",
    "WindowSpec",
    "negative_share_rise",
    "volume_spike",
    "window_counts",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Pseudo-posts added to the baseline (one post spread over all baseline windows),
# so an all-zero baseline gives a small but non-zero expected rate.
_PRIOR_POSTS = 1.0
# Quantile points of the variance's sampling distribution that are averaged over.
_MIXTURE_POINTS = 32
# Share tests on windows above this size are scaled down to it (conservative).
_MAX_SHARE_N = 2_000


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A current window and how many equal windows before it form the baseline."""

    name: str
    window: timedelta
    baseline_windows: int

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise ValueError(f"window must be positive, got {self.window}")
        if self.baseline_windows < 1:
            raise ValueError(f"baseline_windows must be >= 1, got {self.baseline_windows}")


HOURLY = WindowSpec("hour", timedelta(hours=1), 12)
DAILY = WindowSpec("day", timedelta(days=1), 14)


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Counts in the current window and in each baseline window (oldest first).

    `current_flagged` / `baseline_flagged` count the flagged posts (e.g. negative)
    among them; they are None when no flags were given.
    """

    spec: WindowSpec
    current: int
    baseline: tuple[int, ...]
    current_flagged: int | None = None
    baseline_flagged: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not self.baseline:
            raise ValueError("at least one baseline window is needed")
        if self.current < 0 or min(self.baseline) < 0:
            raise ValueError("counts must be non-negative")
        if (self.current_flagged is None) != (self.baseline_flagged is None):
            raise ValueError("give both current_flagged and baseline_flagged, or neither")
        if self.current_flagged is not None and self.baseline_flagged is not None:
            if len(self.baseline_flagged) != len(self.baseline):
                raise ValueError("baseline_flagged must have one count per baseline window")
            pairs = [
                (self.current_flagged, self.current),
                *zip(self.baseline_flagged, self.baseline, strict=True),
            ]
            if any(flagged < 0 or flagged > total for flagged, total in pairs):
                raise ValueError("flagged counts must be between 0 and the window's total")


@dataclass(frozen=True, slots=True)
class SpikeResult:
    """The verdict of one test with the numbers that explain it (JSON via as_dict).

    Volume: observed/expected/threshold are post counts per window. Negative
    share: they are negative-post counts in the current window (expected = its
    total times the baseline share); `share` and `baseline_share` are fractions.
    `threshold` is the smallest observed count that would have been a spike with
    everything else unchanged (None when no count could be).
    """

    kind: Literal["volume", "negative_share"]
    is_spike: bool
    p_value: float
    observed: int
    expected: float
    threshold: int | None
    ratio: float
    window: str
    explanation: str
    share: float | None = None
    baseline_share: float | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def window_counts(
    times: Sequence[datetime] | np.ndarray,
    now: datetime,
    spec: WindowSpec,
    flags: Sequence[bool] | None = None,
) -> WindowCounts:
    """Count posts in (now - window, now] and in each baseline window before it.

    Naive datetimes are taken as UTC, as the normaliser does for published_at; a
    numpy datetime64 array (UTC) skips the per-item conversion for large windows.
    Times after `now` or before the oldest baseline window are ignored.
    """
    if flags is not None and len(flags) != len(times):
        raise ValueError(f"flags has {len(flags)} items but times has {len(times)}")
    if isinstance(times, np.ndarray) and np.issubdtype(times.dtype, np.datetime64):
        stamps = times.astype("datetime64[us]").astype(np.int64)  # UTC, the fast path
    else:
        stamps = np.fromiter((_micros(t) for t in times), dtype=np.int64, count=len(times))
    order = np.argsort(stamps, kind="stable")
    stamps = stamps[order]
    step = spec.window // _MICROSECOND
    # Window edges from the oldest to now; window i is (edges[i], edges[i + 1]].
    edges = _micros(now) - step * np.arange(spec.baseline_windows + 1, -1, -1, dtype=np.int64)
    cuts = np.searchsorted(stamps, edges, side="right")
    totals = np.diff(cuts)
    flagged: np.ndarray | None = None
    if flags is not None:
        cumulative = np.concatenate(([0], np.cumsum(np.asarray(flags, dtype=bool)[order])))
        flagged = np.diff(cumulative[cuts])
    return WindowCounts(
        spec=spec,
        current=int(totals[-1]),
        baseline=tuple(int(c) for c in totals[:-1]),
        current_flagged=None if flagged is None else int(flagged[-1]),
        baseline_flagged=None if flagged is None else tuple(int(c) for c in flagged[:-1]),
    )


def volume_spike(
    counts: WindowCounts, *, alpha: float = 0.001, min_count: int = 5, min_ratio: float = 1.5
) -> SpikeResult:
    """Test the current count against the baseline windows (negative-binomial mixture).

    A spike needs all three: p <= alpha, at least `min_count` posts, and at least
    `min_ratio` times the baseline mean (floored at one post per baseline span).
    """
    _check_alpha(alpha)
    baseline = np.asarray(counts.baseline, dtype=np.float64)
    k = baseline.size
    mean = float(baseline.mean())
    variance = float(baseline.var(ddof=1)) if k > 1 else 0.0
    sizes, probs = _negative_binomial_mixture(float(baseline.sum()), k, mean, variance)

    def tail(c: int) -> float:
        return 1.0 if c <= 0 else float(np.mean(betainc(c, sizes, 1.0 - probs)))

    observed = counts.current
    p_value = tail(observed)
    floor_mean = max(mean, _PRIOR_POSTS / k)
    ratio = observed / floor_mean
    stat_threshold = _smallest_significant(tail, alpha, start=max(1, math.ceil(mean)))
    threshold = max(min_count, math.ceil(min_ratio * floor_mean - 1e-9), stat_threshold)
    is_spike = observed >= threshold  # p <= alpha and both floors, as one number
    unmet = (
        f"below the floor of {min_count} posts"
        if observed < min_count
        else f"under {min_ratio:g}x the baseline"
    )
    name = counts.spec.name
    text = (
        f"{observed} posts in the last {name} against a baseline of {mean:.1f} per {name} "
        f"over the {_plural(k, name)} before (threshold {threshold} at p<{alpha:g}); "
        f"p={p_value:.2g}, {ratio:.1f}x the baseline: "
        + _verdict(is_spike, p_value, alpha, "spike", unmet)
    )
    return SpikeResult("volume", is_spike, p_value, observed, mean, threshold, ratio, name, text)


def negative_share_rise(
    counts: WindowCounts, *, alpha: float = 0.001, min_negative: int = 5, min_rise: float = 0.1
) -> SpikeResult:
    """Test whether the current negative share is above the baseline share (beta-binomial).

    A rise needs all three: p <= alpha, at least `min_negative` negative posts, and
    a share at least `min_rise` (absolute) above the baseline share.
    """
    _check_alpha(alpha)
    if counts.current_flagged is None or counts.baseline_flagged is None:
        raise ValueError("negative_share_rise needs flagged counts: pass flags to window_counts")
    totals = np.asarray(counts.baseline, dtype=np.float64)
    negatives = np.asarray(counts.baseline_flagged, dtype=np.float64)
    pooled = (negatives.sum() + 1.0) / (totals.sum() + 2.0)  # uniform Beta(1, 1) prior
    base_share = float(negatives.sum() / totals.sum()) if totals.sum() else 0.0
    n, observed = counts.current, counts.current_flagged
    share = observed / n if n else 0.0
    a, b = _beta_mixture(totals, negatives, float(pooled))
    scale = max(1.0, n / _MAX_SHARE_N)
    scaled_tail = _beta_binomial_tail(round(n / scale), a, b)

    def tail(c: int) -> float:
        return scaled_tail(math.ceil(c / scale - 1e-9))

    p_value = tail(observed)
    stat_threshold = _smallest_significant(tail, alpha, start=max(1, math.ceil(n * pooled)))
    rise_threshold = math.ceil((base_share + min_rise) * n - 1e-9)
    threshold: int | None = max(min_negative, rise_threshold, stat_threshold)
    if threshold is not None and threshold > n:
        threshold = None  # no count of negatives in this window could pass
    is_spike = threshold is not None and observed >= threshold
    unmet = (
        f"below the floor of {min_negative} negative posts"
        if observed < min_negative
        else f"the share rose less than {min_rise:.0%}"
    )
    # Floored like the volume ratio (one negative post over the baseline), so it stays finite.
    ratio = share / max(base_share, 1.0 / (float(totals.sum()) + 2.0))
    name = counts.spec.name
    limit = f"threshold {threshold} negative" if threshold is not None else "no count could pass"
    text = (
        f"{observed} of {n} posts negative ({share:.0%}) in the last {name} against a "
        f"baseline share of {base_share:.0%} over the {_plural(totals.size, name)} before "
        f"({limit} at p<{alpha:g}); p={p_value:.2g}: "
        + _verdict(is_spike, p_value, alpha, "negative share spike", unmet)
    )
    return SpikeResult(
        "negative_share",
        is_spike,
        p_value,
        observed,
        n * base_share,
        threshold,
        ratio,
        name,
        text,
        share=share,
        baseline_share=base_share,
    )


@dataclass(frozen=True, slots=True)
class SpikeThresholds:
    """The knobs of both tests in one place, so a special period can swap them as a unit."""

    alpha: float = 0.001
    min_count: int = 5
    min_ratio: float = 1.5
    min_negative: int = 5
    min_rise: float = 0.1

    def stricter(self, alpha_factor: float = 10.0) -> SpikeThresholds:
        """Thresholds for a special period (敏感时期): watch more closely, alert earlier.

        alpha is multiplied by `alpha_factor` (> 1 fires on smaller rises, < 1 on
        fewer); the count floors stay, so a single post still cannot alert.
        """
        if alpha_factor <= 0:
            raise ValueError(f"alpha_factor must be positive, got {alpha_factor}")
        return replace(self, alpha=min(0.5, self.alpha * alpha_factor))

    def volume(self, counts: WindowCounts) -> SpikeResult:
        return volume_spike(
            counts, alpha=self.alpha, min_count=self.min_count, min_ratio=self.min_ratio
        )

    def negative_share(self, counts: WindowCounts) -> SpikeResult:
        return negative_share_rise(
            counts, alpha=self.alpha, min_negative=self.min_negative, min_rise=self.min_rise
        )


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")


def _variance_quantiles(df: float) -> np.ndarray:
    """Multipliers of an estimated variance drawn from its chi-square sampling spread."""
    u = (np.arange(_MIXTURE_POINTS) + 0.5) / _MIXTURE_POINTS
    return df / (2.0 * gammaincinv(df / 2.0, u))  # chi-square quantiles


def _negative_binomial_mixture(
    total: float, k: int, mean: float, variance: float
) -> tuple[np.ndarray, np.ndarray]:
    """(size, prob) arrays of the NB predictives averaged over for the next count.

    The mean carries the prior pseudo-post; the variance-to-mean ratio is the
    baseline's, spread over its sampling distribution with degrees of freedom
    reduced for the heavier tails of overdispersed counts, and floored at Poisson.
    """
    rate = (total + _PRIOR_POSTS) / k
    if k > 1 and mean > 0:
        dispersion = max(0.0, (variance - mean) / mean**2)
        kurtosis = 6.0 * dispersion + 1.0 / (rate * (1.0 + dispersion * rate))
        # Floored at 3: a mostly-zero baseline with one clump otherwise drives df towards 0.
        df = max(min(3.0, k - 1.0), 2.0 / (2.0 / (k - 1) + kurtosis / k))
        index = np.maximum(1.0, variance / mean * _variance_quantiles(df))
    else:
        index = np.ones(_MIXTURE_POINTS)
    # (1 + 1/k): the rate itself is estimated from k windows.
    predictive_variance = rate * index * (1.0 + 1.0 / k)
    sizes = rate * rate / (predictive_variance - rate)
    return sizes, sizes / (sizes + rate)


def _beta_mixture(
    totals: np.ndarray, negatives: np.ndarray, pooled: float
) -> tuple[np.ndarray, np.ndarray]:
    """Beta (a, b) arrays for the current window's share, spread by the baseline's."""
    used = totals > 0
    k = int(used.sum())
    n_total = float(totals.sum())
    mean_n = float(totals[used].mean()) if k else 0.0
    if k > 1 and mean_n > 1 and 0 < pooled < 1:
        resid = negatives[used] - totals[used] * pooled
        pearson = float(np.sum(resid**2 / (totals[used] * pooled * (1 - pooled)))) / (k - 1)
        rho = np.clip((pearson * _variance_quantiles(k - 1) - 1.0) / (mean_n - 1.0), 0.0, 0.999)
    else:
        rho = np.zeros(_MIXTURE_POINTS)
    # Spread of the current window's true share: its own (rho) plus the pooled estimate's.
    spread = rho + (1.0 + (mean_n - 1.0) * rho) / (n_total + 2.0)
    concentration = np.maximum(1.0 / np.minimum(spread, 0.999) - 1.0, 1e-3)
    return pooled * concentration, (1.0 - pooled) * concentration


def _beta_binomial_tail(n: int, a: np.ndarray, b: np.ndarray) -> Callable[[int], float]:
    """c -> P(X >= c) for X ~ BetaBinomial(n, a, b) averaged over the (a, b) pairs.

    The pmf is summed once over mean +- 20 standard deviations (all of 0..n when
    the beta is U-shaped); outside that the tail is 1 or 0 at double precision.
    """
    mean = n * a / (a + b)
    sd = np.sqrt(n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1)))
    if float(np.min(np.minimum(a, b))) < 1.0:
        low, high = 0, n
    else:
        low = max(0, int(np.min(mean - 20.0 * sd)) - 1)
        high = min(n, int(np.max(mean + 20.0 * sd)) + 2)
    k = np.arange(low, high + 1, dtype=np.float64)[:, None]
    log_pmf = (
        gammaln(n + 1.0)
        - gammaln(k + 1.0)
        - gammaln(n - k + 1.0)
        + gammaln(k + a)
        + gammaln(n - k + b)
        - gammaln(n + a + b)
        + gammaln(a + b)
        - gammaln(a)
        - gammaln(b)
    )
    pmf = np.exp(log_pmf).mean(axis=1)
    tails = np.minimum(1.0, np.cumsum(pmf[::-1])[::-1])

    def tail(c: int) -> float:
        if c <= low:
            return 1.0
        return 0.0 if c > high else float(tails[c - low])

    return tail


def _smallest_significant(tail: Callable[[int], float], alpha: float, start: int) -> int:
    """Smallest count c >= 1 with tail(c) <= alpha (tail is non-increasing in c)."""
    low, high = 0, max(1, start)
    while tail(high) > alpha:
        low, high = high, high * 2
        if high > 1 << 62:
            return high
    while high - low > 1:
        middle = (low + high) // 2
        if tail(middle) <= alpha:
            high = middle
        else:
            low = middle
    return high


def _plural(k: int, name: str) -> str:
    return f"{k} {name}" if k == 1 else f"{k} {name}s"


def _verdict(is_spike: bool, p: float, alpha: float, spike: str, unmet: str) -> str:
    if is_spike:
        return spike
    return "within normal variation" if p > alpha else f"significant but {unmet}"
