"""Backtest: what a set of rules would have raised over stored history, per day, with examples.

The stored matched posts are replayed in time order, a step at a time, through
the same rule kinds the live engine uses; alerts are folded by the same key
(scheme + subject), so the counts are what the desk would have received, not
how many posts matched. Known limit: an event's heat is its heat now (heat is
not kept as history), so heat-based levels and `min_heat` see today's value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from groundswell.alerts.facts import PostFact, facts_between, scheme_infos
from groundswell.alerts.levels import alert_level, alert_level_zh
from groundswell.alerts.message import LEVEL_NAMES
from groundswell.alerts.rules import EvalContext, Rule, evaluate
from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.store.alert_rules import list_rules
from groundswell.store.duty import strictness_at

EXAMPLES_PER_RULE = 3


@dataclass
class BacktestResult:
    start: datetime
    end: datetime
    rules: list[str]
    per_day: dict[str, dict[str, int]] = field(default_factory=dict)  # day -> rule -> alerts
    raised: dict[str, int] = field(default_factory=dict)  # rule -> level raises (not new alerts)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    posts: int = 0

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(self.rules, 0)
        for counts in self.per_day.values():
            for rule, n in counts.items():
                out[rule] = out.get(rule, 0) + n
        return out

    def as_json(self) -> dict[str, Any]:
        days = max(1.0, (self.end - self.start).total_seconds() / 86400)
        totals = self.totals()
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "posts": self.posts,
            "rules": self.rules,
            "per_day": self.per_day,
            "totals": totals,
            "per_day_mean": {rule: round(n / days, 2) for rule, n in totals.items()},
            "raised": self.raised,
            "examples": self.examples,
        }


def backtest_rules(
    desk: Desk,
    names: list[str],
    days: float,
    *,
    step_minutes: float = 60.0,
    extra: list[Rule] | None = None,
    end: datetime | None = None,
) -> BacktestResult:
    """Replay the last `days` of stored posts through the named rules (empty: all enabled)."""
    if days <= 0 or step_minutes <= 0:
        raise ConfigError("days and step_minutes must be positive")
    end = end or datetime.now(UTC)
    start = end - timedelta(days=days)
    step = timedelta(minutes=step_minutes)
    with desk.engine.connect() as conn:
        stored = list_rules(conn)
        by_name = {r.name: r for r in stored}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ConfigError(f"no rule named {', '.join(map(repr, unknown))}")
        rules = [by_name[n] for n in names] if names else [r for r in stored if r.enabled]
        rules = [Rule(**{**_fields(r), "enabled": True}) for r in rules] + list(extra or [])
        if not rules:
            raise ConfigError("no rules to backtest: name some, or add and enable one")
        result = BacktestResult(start, end, [r.name for r in rules])
        infos = scheme_infos(conn)
        levels: dict[str, int] = {}
        moment = start
        while moment < end:
            until = min(end, moment + step)
            facts = facts_between(conn, moment, until)
            result.posts += len({f.post_id for f in facts})
            by_scheme: dict[int, list[PostFact]] = defaultdict(list)
            for fact in facts:
                by_scheme[fact.scheme_id].append(fact)
            for scheme_id, group in by_scheme.items():
                scheme = infos.get(scheme_id)
                if scheme is None:
                    continue
                strict = strictness_at(conn, until, scheme.department)
                ctx = EvalContext(conn, until, scheme, group, strict, replay=True)
                for finding in evaluate(rules, ctx):
                    key = f"{finding.scheme_id}:{finding.subject}"
                    level, why = alert_level(finding.rule.level, finding.heat)
                    name = finding.rule.name
                    if key not in levels:
                        day = until.date().isoformat()
                        result.per_day.setdefault(day, {})
                        result.per_day[day][name] = result.per_day[day].get(name, 0) + 1
                        examples = result.examples.setdefault(name, [])
                        if len(examples) < EXAMPLES_PER_RULE:
                            examples.append(
                                {
                                    "at": until.isoformat(),
                                    "scheme": scheme.name,
                                    "level": LEVEL_NAMES[level],
                                    "title": finding.title,
                                    "reason": f"{finding.reason}. {why}",
                                    "reason_zh": f"{finding.reason_zh}。"
                                    + alert_level_zh(finding.rule.level, finding.heat),
                                    "post_ids": finding.post_ids[:5],
                                }
                            )
                        levels[key] = level
                    elif level < levels[key]:
                        levels[key] = level
                        result.raised[name] = result.raised.get(name, 0) + 1
            moment = until
    return result


def _fields(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in Rule.__slots__}  # type: ignore[attr-defined]


def format_table(result: BacktestResult) -> list[list[str]]:
    """Rows of a per-day table: day, then one column per rule."""
    day = result.start.date()
    rows: list[list[str]] = []
    while day <= result.end.date():
        counts = result.per_day.get(day.isoformat(), {})
        rows.append([day.isoformat(), *(str(counts.get(r, 0)) for r in result.rules)])
        day += timedelta(days=1)
    return rows
