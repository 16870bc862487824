"""API for alerting: alerts (list, detail with every delivery attempt, acknowledge,
resolve), rules, channels, the duty roster, special periods, in-app notifications
and the rule backtest. Same permissions as the UI; scoped roles see their department.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select, update

from groundswell.accounts.roles import in_scope_name
from groundswell.alerts.rules import Rule
from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.store import alert_rules as rules_store
from groundswell.store import duty as duty_store
from groundswell.web.ack_page import ack_router
from groundswell.web.auth import Viewer, audit, client_ip, require

__all__ = ["alerts_router"]

T = TypeVar("T")

# Module-level, so FastAPI can resolve them from the (postponed) annotations.
CanView = Annotated[Viewer, Depends(require("alerts.view"))]
CanAck = Annotated[Viewer, Depends(require("alerts.ack"))]
CanEditRules = Annotated[Viewer, Depends(require("alerts.rules.edit"))]
CanAdmin = Annotated[Viewer, Depends(require("settings.admin"))]
CanViewDuty = Annotated[Viewer, Depends(require("duty.view"))]
CanEditDuty = Annotated[Viewer, Depends(require("duty.edit"))]


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=40)
    params: dict[str, Any] = Field(default_factory=dict)
    level: int = Field(3, ge=1, le=4)
    channels: list[str] = Field(default_factory=list, max_length=20)
    scheme: str | None = None
    department: str | None = None


class ChannelIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=40)
    config: dict[str, Any] = Field(default_factory=dict)
    quiet_hours: dict[str, Any] | None = None


class ShiftIn(BaseModel):
    user: str = Field(min_length=1, max_length=100)
    starts_at: datetime
    ends_at: datetime
    department: str | None = None
    position: int = Field(0, ge=0, le=20)


class PeriodIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime
    departments: list[str] = Field(default_factory=list)
    threshold_factor: float = Field(0.5, gt=0, le=1)
    alpha_factor: float = Field(10.0, ge=1, le=100)


class BacktestIn(BaseModel):
    rules: list[str] = Field(default_factory=list, description="rule names; empty: all enabled")
    days: float = Field(7.0, gt=0, le=366)
    step_minutes: float = Field(60.0, ge=1, le=1440)


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _bad(exc: ConfigError) -> HTTPException:
    return HTTPException(400, str(exc))


def alerts_router(desk: Desk) -> APIRouter:
    router = APIRouter(prefix="/api")

    def scoped_alert(conn: Any, alert_id: int, viewer: Viewer) -> dict[str, Any]:
        from groundswell.store.alerts import get_alert

        try:
            alert = get_alert(conn, alert_id)
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from None
        if not in_scope_name(viewer, alert["department"]):
            raise HTTPException(404, f"no alert with id {alert_id}")
        return alert

    @router.get("/alerts")
    def list_alerts_api(
        viewer: CanView,
        status: Literal["open", "acknowledged", "resolved"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        from groundswell.store.alerts import list_alerts

        with desk.engine.connect() as conn:
            rows = list_alerts(conn, status=status, limit=limit + offset + 500)
        visible = [r for r in rows if in_scope_name(viewer, r["department"])]
        return {"items": [_json(r) for r in visible[offset : offset + limit]]}

    @router.get("/alerts/{alert_id}")
    def get_alert_api(alert_id: int, viewer: CanView) -> dict[str, Any]:
        from groundswell.store.alerts import alert_deliveries

        with desk.engine.connect() as conn:
            alert = scoped_alert(conn, alert_id, viewer)
            deliveries = alert_deliveries(conn, alert_id)
        out = _json(alert)
        out["deliveries"] = [
            {**_json(d), "attempt_log": [_json(a) for a in d["attempt_log"]]} for d in deliveries
        ]
        return out

    @router.post("/alerts/{alert_id}/ack")
    def ack_api(alert_id: int, request: Request, viewer: CanAck) -> dict[str, Any]:
        from groundswell.store.alerts import acknowledge

        with desk.engine.begin() as conn:
            scoped_alert(conn, alert_id, viewer)
            changed = acknowledge(conn, alert_id, viewer.name)
            if changed:
                audit(conn, viewer, "alert.ack", f"alert:{alert_id}", ip=client_ip(request))
        return {"acknowledged": changed}

    @router.post("/alerts/{alert_id}/resolve")
    def resolve_api(alert_id: int, request: Request, viewer: CanAck) -> dict[str, Any]:
        from groundswell.store.alerts import resolve

        with desk.engine.begin() as conn:
            scoped_alert(conn, alert_id, viewer)
            resolve(conn, alert_id, viewer.name)
            audit(conn, viewer, "alert.resolve", f"alert:{alert_id}", ip=client_ip(request))
        return {"resolved": True}

    def change(
        request: Request,
        viewer: Viewer,
        action: str,
        work: Callable[[Connection], T],
        target: Callable[[T], str],
        *,
        detail: dict[str, Any] | None = None,
        missing: int = 400,
    ) -> T:
        """Do `work` and audit it in one transaction; a ConfigError is the caller's (400/404)."""
        try:
            with desk.engine.begin() as conn:
                result = work(conn)
                audit(conn, viewer, action, target(result), detail, client_ip(request))
        except ConfigError as exc:
            raise HTTPException(missing, str(exc)) from None
        return result

    @router.get("/alert-rules")
    def rules_api(_viewer: CanView) -> dict[str, Any]:
        with desk.engine.connect() as conn:
            return {"items": [asdict(r) for r in rules_store.list_rules(conn)]}

    @router.post("/alert-rules", status_code=201)
    def add_rule_api(body: RuleIn, request: Request, viewer: CanEditRules) -> dict[str, Any]:
        def work(conn: Connection) -> Rule:
            return rules_store.add_rule(
                conn, body.name, body.kind, body.params, level=body.level,
                channels=body.channels, scheme=body.scheme, department=body.department,
            )  # fmt: skip

        detail = body.model_dump(mode="json")
        rule = change(request, viewer, "alert_rule.create", work, lambda r: f"alert_rule:{r.id}",
                      detail=detail)  # fmt: skip
        return asdict(rule)

    @router.delete("/alert-rules/{name}", status_code=204)
    def remove_rule_api(name: str, request: Request, viewer: CanEditRules) -> None:
        change(request, viewer, "alert_rule.remove", lambda c: rules_store.remove_rule(c, name),
               lambda _: f"alert_rule:{name}", missing=404)  # fmt: skip

    @router.get("/alert-channels")
    def channels_api(_viewer: CanView) -> dict[str, Any]:
        with desk.engine.connect() as conn:
            return {"items": [c.public() for c in rules_store.list_channels(conn)]}

    @router.post("/alert-channels", status_code=201)
    def add_channel_api(body: ChannelIn, request: Request, viewer: CanAdmin) -> dict[str, Any]:
        def work(conn: Connection) -> rules_store.Channel:
            return rules_store.add_channel(
                conn, body.name, body.kind, body.config, quiet_hours=body.quiet_hours
            )

        channel = change(request, viewer, "alert_channel.create", work,
                         lambda c: f"alert_channel:{c.id}", detail={"kind": body.kind})  # fmt: skip
        return channel.public()

    @router.delete("/alert-channels/{name}", status_code=204)
    def remove_channel_api(name: str, request: Request, viewer: CanAdmin) -> None:
        change(request, viewer, "alert_channel.remove",
               lambda c: rules_store.remove_channel(c, name), lambda _: f"alert_channel:{name}",
               missing=404)  # fmt: skip

    @router.get("/duty")
    def duty_api(
        _viewer: CanViewDuty, start: datetime | None = None, end: datetime | None = None
    ) -> dict[str, Any]:
        with desk.engine.connect() as conn:
            return {"items": [_json(s) for s in duty_store.list_shifts(conn, start, end)]}

    @router.get("/duty/now")
    def duty_now_api(_viewer: CanViewDuty, department: str | None = None) -> dict[str, Any]:
        with desk.engine.connect() as conn:
            chain = duty_store.duty_chain(
                conn, department, datetime.now(UTC), desk.settings.alert_office_lead
            )
        return {"chain": [{k: v for k, v in asdict(p).items() if k != "contacts"} for p in chain]}

    @router.post("/duty", status_code=201)
    def add_shift_api(body: ShiftIn, request: Request, viewer: CanEditDuty) -> dict[str, Any]:
        def work(conn: Connection) -> int:
            return duty_store.add_shift(
                conn, body.user, body.starts_at, body.ends_at,
                department=body.department, position=body.position,
            )  # fmt: skip

        shift_id = change(request, viewer, "duty.create", work, lambda i: f"shift:{i}",
                          detail=body.model_dump(mode="json"))  # fmt: skip
        return {"id": shift_id}

    @router.delete("/duty/{shift_id}", status_code=204)
    def remove_shift_api(shift_id: int, request: Request, viewer: CanEditDuty) -> None:
        change(request, viewer, "duty.remove", lambda c: duty_store.remove_shift(c, shift_id),
               lambda _: f"shift:{shift_id}", missing=404)  # fmt: skip

    @router.get("/special-periods")
    def periods_api(_viewer: CanViewDuty) -> dict[str, Any]:
        with desk.engine.connect() as conn:
            return {"items": [_json(p) for p in duty_store.list_special_periods(conn)]}

    @router.post("/special-periods", status_code=201)
    def add_period_api(body: PeriodIn, request: Request, viewer: CanEditDuty) -> dict[str, Any]:
        def work(conn: Connection) -> int:
            return duty_store.add_special_period(
                conn, body.name, body.starts_at, body.ends_at, departments_=body.departments,
                threshold_factor=body.threshold_factor, alpha_factor=body.alpha_factor,
                created_by=viewer.name,
            )  # fmt: skip

        period_id = change(request, viewer, "special_period.create", work,
                           lambda i: f"special_period:{i}",
                           detail=body.model_dump(mode="json"))  # fmt: skip
        return {"id": period_id}

    @router.delete("/special-periods/{period_id}", status_code=204)
    def remove_period_api(period_id: int, request: Request, viewer: CanEditDuty) -> None:
        change(request, viewer, "special_period.remove",
               lambda c: duty_store.remove_special_period(c, period_id),
               lambda _: f"special_period:{period_id}", missing=404)  # fmt: skip

    @router.get("/notifications")
    def notifications_api(
        viewer: CanView,
        unread: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        from groundswell.store.tables_alerts import notifications

        query = select(notifications).where(notifications.c.user_id == viewer.user_id)
        if unread:
            query = query.where(notifications.c.read_at.is_(None))
        with desk.engine.connect() as conn:
            rows = conn.execute(query.order_by(notifications.c.id.desc()).limit(limit)).all()
        return {"items": [_json(dict(r._mapping)) for r in rows]}

    @router.post("/notifications/{notification_id}/read")
    def read_notification_api(notification_id: int, viewer: CanView) -> dict[str, Any]:
        from groundswell.store.tables_alerts import notifications

        with desk.engine.begin() as conn:
            done = conn.execute(
                update(notifications)
                .where(
                    notifications.c.id == notification_id, notifications.c.user_id == viewer.user_id
                )
                .values(read_at=datetime.now(UTC))
            ).rowcount
        if not done:
            raise HTTPException(404, f"no notification {notification_id} of yours")
        return {"read": True}

    @router.post("/alerts/backtest")
    async def backtest_api(body: BacktestIn, _viewer: CanView) -> dict[str, Any]:
        from groundswell.alerts.backtest import backtest_rules

        try:
            result = await asyncio.to_thread(
                backtest_rules, desk, body.rules, body.days, step_minutes=body.step_minutes
            )
        except ConfigError as exc:
            raise _bad(exc) from None
        return result.as_json()

    outer = APIRouter()
    outer.include_router(router)
    outer.include_router(ack_router(desk))  # the signed links' pages live outside /api
    return outer
