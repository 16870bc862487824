"""The built-in rule kinds, one small class each (registered in `rules.RULE_KINDS`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import and_, func, select

from groundswell.alerts.facts import PostFact
from groundswell.alerts.rules import EvalContext, Finding, Rule, RuleKind, register
from groundswell.analyze.detect import WINDOWS
from groundswell.analyze.fold import fold
from groundswell.analyze.spikes import SpikeResult, SpikeThresholds, window_counts
from groundswell.store.tables import events, post_matches, posts


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _grouped(
    facts: list[PostFact], key: Callable[[PostFact], str | None]
) -> dict[str, list[PostFact]]:
    """Facts by `key` (an event, a story, a subject); facts without one are left out."""
    grouped: dict[str, list[PostFact]] = defaultdict(list)
    for fact in facts:
        if (value := key(fact)) is not None:
            grouped[value].append(fact)
    return grouped


def _by_subject(facts: list[PostFact]) -> dict[str, list[PostFact]]:
    return _grouped(facts, lambda fact: fact.subject)


def _event_rows(ctx: EvalContext, ids: set[str]) -> dict[str, object]:
    if not ids:
        return {}
    rows = ctx.conn.execute(select(events).where(events.c.id.in_(sorted(ids))))
    return {row.id: row for row in rows}


def _event_heats(ctx: EvalContext, facts: list[PostFact]) -> dict[str, float]:
    """The heat of every event these facts belong to, in one query."""
    rows = _event_rows(ctx, {f.event_id for f in facts if f.event_id})
    return {event_id: float(row.heat) for event_id, row in rows.items()}  # type: ignore[attr-defined]


def _subject_heat(
    heats: dict[str, float], facts: list[PostFact]
) -> tuple[float | None, str | None]:
    event_id = facts[0].event_id
    return (heats.get(event_id), event_id) if event_id else (None, None)


def _title(facts: list[PostFact]) -> str:
    first = facts[0]
    return (first.title or first.text)[:120]


class NewEventParams(_Params):
    min_size: int = Field(10, ge=1)
    min_heat: float | None = Field(None, ge=0, le=100)


@register
class NewEventRule(RuleKind):
    name = "new_event"
    Params = NewEventParams
    description = "An event with matching posts reaches a size (posts) or a heat."

    def find(self, rule: Rule, params: NewEventParams, ctx: EvalContext) -> list[Finding]:
        by_event = _grouped(ctx.facts, lambda fact: fact.event_id)
        rows = _event_rows(ctx, set(by_event))
        out: list[Finding] = []
        min_size = ctx.strictness.floor(params.min_size)
        min_heat = ctx.strictness.floor(params.min_heat) if params.min_heat is not None else None
        sizes = {event_id: row.size for event_id, row in rows.items()}
        if ctx.replay:  # the event's size as it was then
            sizes = dict(
                ctx.conn.execute(
                    select(posts.c.event_id, func.count())
                    .where(posts.c.event_id.in_(sorted(rows)), posts.c.sort_at <= ctx.now)
                    .group_by(posts.c.event_id)
                ).all()
            )
        for event_id, facts in by_event.items():
            row = rows.get(event_id)
            if row is None:
                continue
            size = sizes.get(event_id, 0)
            size_hit = size >= min_size
            heat_hit = min_heat is not None and row.heat >= min_heat
            if not (size_hit or heat_hit):
                continue
            why_zh = (
                f"已有 {size} 条信息（≥ {min_size:g}）"
                if size_hit
                else f"热度 {row.heat:.0f}（≥ {min_heat:g}）"
            )
            why = (
                f"{size} posts ≥ {min_size:g}"
                if size_hit
                else f"heat {row.heat:.0f} ≥ {min_heat:g}"
            )
            out.append(
                Finding(
                    rule=rule,
                    scheme_id=ctx.scheme.id,
                    subject=f"event:{event_id}",
                    title=row.title[:120],
                    reason=f"event reached {why}{ctx.strictness.note()}",
                    reason_zh=f"事件{why_zh}{ctx.strictness.note_zh()}",
                    counts={
                        "size": size,
                        "heat": round(row.heat, 1),
                        "posts_per_hour": round(row.posts_per_hour, 1),
                        "threshold_size": min_size,
                        "threshold_heat": min_heat,
                    },
                    post_ids=[f.post_id for f in facts],
                    heat=float(row.heat),
                    event_id=event_id,
                )
            )
        return out


class SpikeParams(_Params):
    window: Literal["hour", "day"] = "hour"


class _SpikeRule(RuleKind):
    test: str

    def find(self, rule: Rule, params: SpikeParams, ctx: EvalContext) -> list[Finding]:
        spec = WINDOWS[params.window]
        # Windows of history are read at most every 10 s (hour) / 5 min (day) per rule.
        every = 10.0 if params.window == "hour" else 300.0
        if not ctx.facts and not ctx.revisit:
            return []
        if not ctx.throttle(f"{rule.id}:{ctx.scheme.id}", every):
            ctx.defer()
            return []
        start = ctx.now - spec.window * (spec.baseline_windows + 1)
        rows = ctx.conn.execute(
            select(post_matches.c.post_id, post_matches.c.sort_at, posts.c.sentiment)
            .join(posts, posts.c.id == post_matches.c.post_id)
            .where(
                and_(
                    post_matches.c.scheme_id == ctx.scheme.id,
                    post_matches.c.sort_at > start,
                    post_matches.c.sort_at <= ctx.now,
                )
            )
        ).all()
        counts = window_counts(
            [r.sort_at for r in rows], ctx.now, spec, [r.sentiment == "negative" for r in rows]
        )
        thresholds = SpikeThresholds()
        if ctx.strictness.alpha_factor != 1.0:
            thresholds = thresholds.stricter(ctx.strictness.alpha_factor)
        result = (
            thresholds.volume(counts)
            if self.test == "volume"
            else thresholds.negative_share(counts)
        )
        if not result.is_spike:
            return []
        day = ctx.now.date().isoformat()
        recent = sorted(rows, key=lambda r: r.sort_at, reverse=True)
        return [
            Finding(
                rule=rule,
                scheme_id=ctx.scheme.id,
                subject=f"{self.name}:{params.window}:{day}",
                title=f"{ctx.scheme.name}: {result.explanation.split(':')[0]}",
                reason=result.explanation + ctx.strictness.note(),
                reason_zh=_spike_zh(result) + ctx.strictness.note_zh(),
                counts={
                    "observed": result.observed,
                    "expected": round(result.expected, 2),
                    "threshold": result.threshold,
                    "ratio": round(result.ratio, 2),
                    "p_value": result.p_value,
                    "window": params.window,
                    "share": result.share,
                    "baseline_share": result.baseline_share,
                },
                post_ids=[r.post_id for r in recent[:20]],
            )
        ]


@register
class VolumeSpikeRule(_SpikeRule):
    name = "volume_spike"
    Params = SpikeParams
    description = "The scheme's posts in the last window are a spike against the windows before."
    test = "volume"


@register
class NegativeRiseRule(_SpikeRule):
    name = "negative_rise"
    Params = SpikeParams
    description = "The share of negative posts in the last window rose against the baseline."
    test = "negative_share"


def _spike_zh(result: SpikeResult) -> str:
    """The test's numbers in Chinese (its own explanation is English)."""
    window = "最近1小时" if result.window == "hour" else "最近1天"
    if result.kind == "volume":
        return (
            f"{window}信息量 {result.observed} 条，为基线预期 {result.expected:.1f} 条的 "
            f"{result.ratio:.1f} 倍（阈值 {result.threshold}，p = {result.p_value:.2g}）"
        )
    share, base = result.share or 0.0, result.baseline_share or 0.0
    return (
        f"{window}负面占比 {share:.0%}，基线 {base:.0%}；负面 {result.observed} 条，"
        f"预期 {result.expected:.1f} 条（阈值 {result.threshold}，p = {result.p_value:.2g}）"
    )


class CriticalTermParams(_Params):
    terms: list[str] = Field(min_length=1, max_length=500)

    @field_validator("terms")
    @classmethod
    def _non_empty(cls, terms: list[str]) -> list[str]:
        cleaned = [t.strip() for t in terms if t.strip()]
        if not cleaned:
            raise ValueError("give at least one non-empty term")
        return cleaned


@register
class CriticalTermRule(RuleKind):
    name = "critical_term"
    Params = CriticalTermParams
    description = "A matching post contains a critical term (folded: case, width, Traditional)."

    def find(self, rule: Rule, params: CriticalTermParams, ctx: EvalContext) -> list[Finding]:
        terms = [(t, fold(t)) for t in params.terms]
        out: list[Finding] = []
        heats = _event_heats(ctx, ctx.facts)
        for subject, facts in _by_subject(ctx.facts).items():
            hits: dict[str, list[int]] = defaultdict(list)
            for fact in facts:
                folded = fold(f"{fact.title}\n{fact.text}")
                for term, key in terms:
                    if key and key in folded:
                        hits[term].append(fact.post_id)
            if not hits:
                continue
            heat, event_id = _subject_heat(heats, facts)
            words = "、".join(sorted(hits))
            posts_hit = sorted({i for ids in hits.values() for i in ids})
            out.append(
                Finding(
                    rule=rule,
                    scheme_id=ctx.scheme.id,
                    subject=subject,
                    title=_title(facts),
                    reason=f"critical term(s) {words} in {len(posts_hit)} post(s)",
                    reason_zh=f"{len(posts_hit)} 条信息含重点词：{words}",
                    counts={"terms": {t: len(ids) for t, ids in hits.items()}},
                    post_ids=posts_hit,
                    heat=heat,
                    event_id=event_id,
                )
            )
        return out


class AuthorityParams(_Params):
    max_tier: int = Field(1, ge=1, le=4)


@register
class AuthorityRule(RuleKind):
    name = "authority"
    Params = AuthorityParams
    description = "A source of high authority (tier ≤ max_tier) publishes a matching post."

    def find(self, rule: Rule, params: AuthorityParams, ctx: EvalContext) -> list[Finding]:
        out: list[Finding] = []
        heats = _event_heats(ctx, ctx.facts)
        for subject, facts in _by_subject(ctx.facts).items():
            hits = [f for f in facts if f.tier <= params.max_tier]
            if not hits:
                continue
            heat, event_id = _subject_heat(heats, facts)
            names = sorted({f.source for f in hits})
            out.append(
                Finding(
                    rule=rule,
                    scheme_id=ctx.scheme.id,
                    subject=subject,
                    title=_title(hits),
                    reason=(
                        f"mentioned by {', '.join(names)} (authority tier ≤ {params.max_tier})"
                    ),
                    reason_zh=f"{'、'.join(names)} 发布相关信息（权威级别 ≤ {params.max_tier}）",
                    counts={"sources": names, "best_tier": min(f.tier for f in hits)},
                    post_ids=[f.post_id for f in hits],
                    heat=heat,
                    event_id=event_id,
                )
            )
        return out


class RepostVelocityParams(_Params):
    min_reposts: int = Field(20, ge=1)
    minutes: int = Field(30, ge=1, le=24 * 60)


@register
class RepostVelocityRule(RuleKind):
    name = "repost_velocity"
    Params = RepostVelocityParams
    description = "One story gains at least min_reposts reposts within `minutes`."

    def find(self, rule: Rule, params: RepostVelocityParams, ctx: EvalContext) -> list[Finding]:
        stories = _grouped(ctx.facts, lambda fact: fact.story_key)
        if not stories:
            return []
        heats = _event_heats(ctx, ctx.facts)
        since = ctx.now - timedelta(minutes=params.minutes)
        counts = dict(
            ctx.conn.execute(
                select(posts.c.story_key, func.count())
                .where(
                    posts.c.story_key.in_(sorted(stories)),
                    posts.c.is_repost.is_(True),
                    posts.c.sort_at > since,
                    posts.c.sort_at <= ctx.now,
                )
                .group_by(posts.c.story_key)
            ).all()
        )
        floor = ctx.strictness.floor(params.min_reposts)
        out: list[Finding] = []
        for key, facts in stories.items():
            reposts = counts.get(key, 0)
            if reposts < floor:
                continue
            heat, event_id = _subject_heat(heats, facts)
            out.append(
                Finding(
                    rule=rule,
                    scheme_id=ctx.scheme.id,
                    subject=facts[0].subject,
                    title=_title(facts),
                    reason=(
                        f"{reposts} reposts of one story in {params.minutes} min "
                        f"(threshold {floor:g}){ctx.strictness.note()}"
                    ),
                    reason_zh=(
                        f"同一内容 {params.minutes} 分钟内被转载 {reposts} 次"
                        f"（阈值 {floor:g}）{ctx.strictness.note_zh()}"
                    ),
                    counts={"reposts": reposts, "minutes": params.minutes, "threshold": floor},
                    post_ids=[f.post_id for f in facts][:20],
                    heat=heat,
                    event_id=event_id,
                )
            )
        return out
