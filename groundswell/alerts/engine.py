"""The alert engine: judge what was stored since last time, write alerts and their
messages in one transaction, and escalate what nobody acknowledged.

`run_once` is idempotent and safe to call from any process: the scan state
lives in the database, and alerts are keyed on what they are about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, text, update

from groundswell.alerts.clock import Clock, SystemClock
from groundswell.alerts.dispatch import LinkSettings, dispatch
from groundswell.alerts.facts import PostFact, ScanState, matched_facts, new_post_ids, scheme_infos
from groundswell.alerts.rules import EvalContext, Finding, Strictness, evaluate
from groundswell.metrics import ALERTS, EVALUATION_SECONDS
from groundswell.settings import Settings
from groundswell.store.alert_rules import list_rules
from groundswell.store.alerts import AlertChange, get_alert, upsert_findings
from groundswell.store.analysis import load_state, save_state
from groundswell.store.duty import duty_chain, strictness_at
from groundswell.store.tables_alerts import alerts

STATE_NAME = "alerts.scan"
SCAN_LIMIT = 20_000


@dataclass
class RunReport:
    posts: int = 0
    findings: int = 0
    new: int = 0
    raised: int = 0
    escalated: int = 0
    messages: int = 0

    def __add__(self, other: RunReport) -> RunReport:
        return RunReport(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (self.posts, self.findings, self.new, self.raised, self.escalated, self.messages)


@dataclass
class AlertEngine:
    engine: Engine
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    _checked: dict[str, float] = field(default_factory=dict)
    _deferred: set[int] = field(default_factory=set)  # schemes a throttled rule must revisit

    @property
    def links(self) -> LinkSettings:
        s = self.settings
        base = s.public_url or f"http://{s.host}:{s.port}"
        return LinkSettings(base, s.alert_link_days)

    def run_once(self) -> RunReport:
        """Evaluate new posts, then escalate what is due."""
        now = self.clock.now()
        report = self.evaluate_new(now)
        report.escalated, messages = self.escalate_due(now)
        report.messages += messages
        return report

    def evaluate_new(self, now: datetime) -> RunReport:
        report = RunReport()
        with EVALUATION_SECONDS.time(), self.engine.begin() as conn:
            _serialise(conn, "groundswell.alerts.evaluate")
            state = ScanState.from_json(load_state(conn, STATE_NAME))
            ids, next_state = new_post_ids(conn, state, now, SCAN_LIMIT)
            report.posts = len(ids)
            if ids or self._deferred:
                findings = self._findings(conn, ids, now)
                report.findings = len(findings)
                changes = upsert_findings(conn, findings, now)
                for change in changes:
                    report.messages += self._announce(conn, change, now)
                    ALERTS.labels(change.update, str(change.level)).inc()
                    report.new += change.update == "new"
                    report.raised += change.update == "raised"
            if next_state != state:
                save_state(conn, STATE_NAME, next_state.to_json())
        return report

    def _findings(self, conn: Connection, ids: list[int], now: datetime) -> list[Finding]:
        rules = list_rules(conn, enabled_only=True)
        if not rules:
            return []
        infos = scheme_infos(conn)
        by_scheme: dict[int, list[PostFact]] = defaultdict(list)
        for fact in matched_facts(conn, ids):
            by_scheme[fact.scheme_id].append(fact)
        revisit, self._deferred = self._deferred - set(by_scheme), set()
        for scheme_id in revisit:
            by_scheme[scheme_id] = []
        strictness: dict[str | None, Strictness] = {}
        found: list[Finding] = []
        for scheme_id, facts in by_scheme.items():
            scheme = infos.get(scheme_id)
            if scheme is None:
                continue
            if scheme.department not in strictness:
                strictness[scheme.department] = strictness_at(conn, now, scheme.department)
            ctx = EvalContext(
                conn,
                now,
                scheme,
                facts,
                strictness[scheme.department],
                throttle=self._throttle(now),
                defer=lambda scheme_id=scheme_id: self._deferred.add(scheme_id),
                revisit=scheme_id in revisit,
            )
            found += evaluate(rules, ctx)
        return found

    def _throttle(self, now: datetime) -> Callable[[str, float], bool]:
        """Per-rule rate limit on reading history, on the engine's clock."""
        stamp = now.timestamp()

        def allow(key: str, seconds: float) -> bool:
            if 0 <= stamp - self._checked.get(key, -1e18) < seconds:
                return False
            self._checked[key] = stamp
            return True

        return allow

    def _announce(self, conn: Connection, change: AlertChange, now: datetime) -> int:
        alert = get_alert(conn, change.alert_id)
        chain = duty_chain(conn, change.department, now, self.settings.alert_office_lead)
        around_the_clock = strictness_at(conn, now, change.department).period is not None
        written = dispatch(
            conn,
            alert,
            change.update,
            channels=change.channels,
            person=chain[0] if chain else None,
            links=self.links,
            now=now,
            around_the_clock=around_the_clock,
        )
        wait = timedelta(minutes=self.settings.alert_escalation_minutes)
        conn.execute(
            update(alerts)
            .where(alerts.c.id == change.alert_id)
            .values(escalation_step=0, next_escalation_at=now + wait if len(chain) > 1 else None)
        )
        return written

    def escalate_due(self, now: datetime) -> tuple[int, int]:
        """Move each unacknowledged alert one step up its chain; (alerts, messages)."""
        escalated = messages = 0
        with self.engine.begin() as conn:
            due = (
                conn.execute(
                    select(alerts.c.id).where(
                        alerts.c.status == "open", alerts.c.next_escalation_at <= now
                    )
                )
                .scalars()
                .all()
            )
            for alert_id in due:
                written = self._escalate(conn, alert_id, now)
                if written is not None:
                    messages += written
                    escalated += 1
        return escalated, messages

    def _escalate(self, conn: Connection, alert_id: int, now: datetime) -> int:
        alert = get_alert(conn, alert_id)
        chain = duty_chain(conn, alert["department"], now, self.settings.alert_office_lead)
        step = alert["escalation_step"] + 1
        if step >= len(chain):
            conn.execute(
                update(alerts).where(alerts.c.id == alert_id).values(next_escalation_at=None)
            )
            return 0
        rules_channels = self._rule_channels(conn, alert)
        written = dispatch(
            conn,
            alert,
            "escalated",
            channels=rules_channels,
            person=chain[step],
            links=self.links,
            now=now,
            around_the_clock=True,  # nobody answered: quiet hours no longer apply
        )
        wait = timedelta(minutes=self.settings.alert_escalation_minutes)
        conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(
                escalation_step=step,
                next_escalation_at=now + wait if step + 1 < len(chain) else None,
                updated_at=now,
            )
        )
        return written

    def _rule_channels(self, conn: Connection, alert: dict) -> tuple[str, ...]:
        names = [f["rule"] for f in alert["evidence"].get("findings", [])]
        rules = {r.name: r for r in list_rules(conn)}
        return tuple(dict.fromkeys(c for n in names if n in rules for c in rules[n].channels))


def _serialise(conn: Connection, name: str) -> None:
    """One engine pass at a time across processes (PostgreSQL: a transaction-scoped
    advisory lock; SQLite already lets one writer in at a time)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
