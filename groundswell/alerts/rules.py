"""Alert rules: what a rule is, what it finds, and the registry of rule kinds.

A rule kind is one small class (`name`, a typed `Params` model, `find`),
registered here; the kinds themselves live in `groundswell.alerts.kinds`.
Rules are evaluated on batches of newly stored, scheme-matched posts, so the
same code runs live, on a replay and in a backtest.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection

from groundswell.alerts.facts import PostFact, SchemeInfo
from groundswell.alerts.levels import check_level
from groundswell.errors import ConfigError, validation_problems


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    kind: str
    params: dict[str, Any]
    level: int
    channels: tuple[str, ...] = ()
    scheme_id: int | None = None
    department: str | None = None
    enabled: bool = True

    def applies_to(self, scheme: SchemeInfo) -> bool:
        """A scheme's own rules, its department's defaults, and rules for every scheme."""
        if self.scheme_id is not None:
            return self.scheme_id == scheme.id
        if self.department is not None:
            return self.department == scheme.department
        return True


@dataclass(frozen=True, slots=True)
class Strictness:
    """A special period tightens rules: floors × threshold_factor, spike alpha × alpha_factor."""

    threshold_factor: float = 1.0
    alpha_factor: float = 1.0
    period: str | None = None

    def floor(self, value: float) -> float:
        return value * self.threshold_factor

    def note(self) -> str:
        return f" (special period {self.period!r}: stricter thresholds)" if self.period else ""

    def note_zh(self) -> str:
        return f"（敏感时期「{self.period}」：阈值从严）" if self.period else ""


@dataclass(slots=True)
class Finding:
    """One rule firing on one subject (an event, a story, a post, a day's spike)."""

    rule: Rule
    scheme_id: int
    subject: str
    title: str
    reason: str
    counts: dict[str, Any] = field(default_factory=dict)
    post_ids: list[int] = field(default_factory=list)
    heat: float | None = None
    event_id: str | None = None
    reason_zh: str = ""  # the reason in Chinese (`reason` is English)


@dataclass
class EvalContext:
    """What a rule kind may read: the new posts of one scheme, the store, the time."""

    conn: Connection
    now: datetime
    scheme: SchemeInfo
    facts: list[PostFact]
    strictness: Strictness
    # Kinds that read windows of history run at most this often per rule (seconds);
    # when refused they `defer`, and the engine comes back (`revisit`) without new posts.
    throttle: Callable[[str, float], bool] = lambda _key, _seconds: True
    defer: Callable[[], None] = lambda: None
    revisit: bool = False
    # A backtest replays history: what a kind reads must be as of `now`, not as stored today.
    replay: bool = False


class RuleKind(ABC):
    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    description: ClassVar[str]

    @abstractmethod
    def find(self, rule: Rule, params: Any, ctx: EvalContext) -> list[Finding]: ...


RULE_KINDS: dict[str, RuleKind] = {}


def register(kind: type[RuleKind]) -> type[RuleKind]:
    RULE_KINDS[kind.name] = kind()
    return kind


def rule_kind(name: str) -> RuleKind:
    import groundswell.alerts.kinds  # noqa: F401  (the built-in kinds register on import)

    try:
        return RULE_KINDS[name]
    except KeyError:
        known = ", ".join(sorted(RULE_KINDS))
        raise ConfigError(f"unknown rule kind {name!r}; known kinds: {known}") from None


def validate_rule(kind: str, params: dict[str, Any], level: int) -> dict[str, Any]:
    """The params as the kind's model normalises them; ConfigError says what is wrong."""
    try:
        check_level(level)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    model = rule_kind(kind).Params
    try:
        return model.model_validate(params).model_dump()
    except ValidationError as exc:
        problems = validation_problems(exc, "params")
        raise ConfigError(f"bad params for a {kind} rule: {problems}") from None


def evaluate(rules: Iterable[Rule], ctx: EvalContext) -> list[Finding]:
    """Every finding of every enabled rule that applies to the context's scheme."""
    found: list[Finding] = []
    for rule in rules:
        if not rule.enabled or not rule.applies_to(ctx.scheme):
            continue
        kind = rule_kind(rule.kind)
        found += kind.find(rule, kind.Params.model_validate(rule.params), ctx)
    return found
