"""API for alerting: alerts (list, detail with every delivery attempt, acknowledge,
resolve), rules, channels, the duty roster, special periods, in-app notifications
and the rule backtest. Same permissions as the UI; scoped roles see their department.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from groundswell.accounts.roles import in_scope_name
from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.web.ack_page import ack_router
from groundswell.web.auth import Viewer, audit, client_ip, require

__all__ = ["alerts_router"]

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

    @router.get("/alert-rules")
    def rules_api(_viewer: CanView) -> dict[str, Any]:
        from dataclasses import asdict

        from groundswell.store.alert_rules import list_rules

        with desk.engine.connect() as conn:
            return {"items": [asdict(r) for r in list_rules(conn)]}

    @router.post("/alert-rules", status_code=201)
    def add_rule_api(body: RuleIn, request: Request, viewer: CanEditRules) -> dict[str, Any]:
        from dataclasses import asdict

        from groundswell.store.alert_rules import add_rule

        try:
            with desk.engine.begin() as conn:
                rule = add_rule(
                    conn,
                    body.name,
                    body.kind,
                    body.params,
                    level=body.level,
                    channels=body.channels,
                    scheme=body.scheme,
                    department=body.department,
                )
                audit(
                    conn,
                    viewer,
                    "alert_rule.create",
                    f"alert_rule:{rule.id}",
                    asdict(rule),
                    client_ip(request),
                )
        except ConfigError as exc:
            raise _bad(exc) from None
        return asdict(rule)

    @router.delete("/alert-rules/{name}", status_code=204)
    def remove_rule_api(name: str, request: Request, viewer: CanEditRules) -> None:
        from groundswell.store.alert_rules import remove_rule

        try:
            with desk.engine.begin() as conn:
                remove_rule(conn, name)
                audit(
                    conn, viewer, "alert_rule.remove", f"alert_rule:{name}", ip=client_ip(request)
                )
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from None

    @router.get("/alert-channels")
    def channels_api(_viewer: CanView) -> dict[str, Any]:
        from groundswell.store.alert_rules import list_channels

        with desk.engine.connect() as conn:
            return {"items": [c.public() for c in list_channels(conn)]}

    @router.post("/alert-channels", status_code=201)
    def add_channel_api(body: ChannelIn, request: Request, viewer: CanAdmin) -> dict[str, Any]:
        from groundswell.store.alert_rules import add_channel

        try:
            with desk.engine.begin() as conn:
                channel = add_channel(
                    conn, body.name, body.kind, body.config, quiet_hours=body.quiet_hours
                )
                audit(
                    conn,
                    viewer,
                    "alert_channel.create",
                    f"alert_channel:{channel.id}",
                    {"kind": body.kind},
                    client_ip(request),
                )
        except ConfigError as exc:
            raise _bad(exc) from None
        return channel.public()

    @router.delete("/alert-channels/{name}", status_code=204)
    def remove_channel_api(name: str, request: Request, viewer: CanAdmin) -> None:
        from groundswell.store.alert_rules import remove_channel

        try:
            with desk.engine.begin() as conn:
                remove_channel(conn, name)
                audit(
                    conn,
                    viewer,
                    "alert_channel.remove",
                    f"alert_channel:{name}",
                    ip=client_ip(request),
                )
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from None

    @router.get("/duty")
    def duty_api(
        _viewer: CanViewDuty,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, Any]:
        from groundswell.store.duty import list_shifts

        with desk.engine.connect() as conn:
            return {"items": [_json(s) for s in list_shifts(conn, start, end)]}

    @router.get("/duty/now")
    def duty_now_api(_viewer: CanViewDuty, department: str | None = None) -> dict[str, Any]:
        from dataclasses import asdict

        from groundswell.store.duty import duty_chain

        with desk.engine.connect() as conn:
            chain = duty_chain(conn, department, datetime.now(UTC), desk.settings.alert_office_lead)
        return {"chain": [{k: v for k, v in asdict(p).items() if k != "contacts"} for p in chain]}

    @router.post("/duty", status_code=201)
    def add_shift_api(body: ShiftIn, request: Request, viewer: CanEditDuty) -> dict[str, Any]:
        from groundswell.store.duty import add_shift

        try:
            with desk.engine.begin() as conn:
                shift_id = add_shift(
                    conn,
                    body.user,
                    body.starts_at,
                    body.ends_at,
                    department=body.department,
                    position=body.position,
                )
                audit(
                    conn,
                    viewer,
                    "duty.create",
                    f"shift:{shift_id}",
                    body.model_dump(mode="json"),
                    client_ip(request),
                )
        except ConfigError as exc:
            raise _bad(exc) from None
        return {"id": shift_id}

    @router.delete("/duty/{shift_id}", status_code=204)
    def remove_shift_api(shift_id: int, request: Request, viewer: CanEditDuty) -> None:
        from groundswell.store.duty import remove_shift

        try:
            with desk.engine.begin() as conn:
                remove_shift(conn, shift_id)
                audit(conn, viewer, "duty.remove", f"shift:{shift_id}", ip=client_ip(request))
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from None

    @router.get("/special-periods")
    def periods_api(_viewer: CanViewDuty) -> dict[str, Any]:
        from groundswell.store.duty import list_special_periods

        with desk.engine.connect() as conn:
            return {"items": [_json(p) for p in list_special_periods(conn)]}

    @router.post("/special-periods", status_code=201)
    def add_period_api(body: PeriodIn, request: Request, viewer: CanEditDuty) -> dict[str, Any]:
        from groundswell.store.duty import add_special_period

        try:
            with desk.engine.begin() as conn:
                period_id = add_special_period(
                    conn,
                    body.name,
                    body.starts_at,
                    body.ends_at,
                    departments_=body.departments,
                    threshold_factor=body.threshold_factor,
                    alpha_factor=body.alpha_factor,
                    created_by=viewer.name,
                )
                audit(
                    conn,
                    viewer,
                    "special_period.create",
                    f"special_period:{period_id}",
                    body.model_dump(mode="json"),
                    client_ip(request),
                )
        except ConfigError as exc:
            raise _bad(exc) from None
        return {"id": period_id}

    @router.delete("/special-periods/{period_id}", status_code=204)
    def remove_period_api(period_id: int, request: Request, viewer: CanEditDuty) -> None:
        from groundswell.store.duty import remove_special_period

        try:
            with desk.engine.begin() as conn:
                remove_special_period(conn, period_id)
                audit(
                    conn,
                    viewer,
                    "special_period.remove",
                    f"special_period:{period_id}",
                    ip=client_ip(request),
                )
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from None

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
