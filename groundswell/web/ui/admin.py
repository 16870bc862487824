"""Administration: users and departments (admins), the audit log (admins and leaders)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from groundswell.accounts.audit import list_audit
from groundswell.accounts.errors import AccountError
from groundswell.accounts.passwords import generate_password
from groundswell.accounts.roles import ROLES, can
from groundswell.accounts.users import (
    add_department,
    create_user,
    find_department,
    list_departments,
    list_users,
    update_user,
)
from groundswell.context import Desk
from groundswell.web.auth import Viewer, audit, client_ip, require
from groundswell.web.ui.render import PageForbidden, int_param, page_viewer, render

AUDIT_PAGE = 50


def _(message: str) -> str:
    """Marks a msgid for extraction; the template translates it."""
    return message


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def admin_page(
        request: Request,
        viewer: Viewer,
        *,
        status: int = 200,
        error: str | None = None,
        new_password: tuple[str, str] | None = None,
    ) -> HTMLResponse:
        with desk.engine.connect() as conn:
            users = list_users(conn)
            departments = list_departments(conn)
        return render(
            request,
            viewer,
            "admin.html",
            status_code=status,
            users=users,
            departments=departments,
            roles=ROLES,
            error=error,
            new_password=new_password,
            retention=[
                (_("Posts, matches, stories, events"), desk.settings.retention_posts_days),
                (_("Alerts and their delivery log"), desk.settings.retention_alerts_days),
                (_("Audit log"), desk.settings.retention_audit_days),
                (_("Runs, quarantine, sign-in attempts"), desk.settings.retention_operations_days),
            ],
        )

    @routes.get("/admin", response_class=HTMLResponse)
    def admin(request: Request, viewer: Viewer = Depends(page_viewer())) -> Response:
        if not can(viewer, "users.admin"):
            if can(viewer, "audit.view"):
                return RedirectResponse("/admin/audit", status_code=303)
            raise PageForbidden("users.admin")
        return admin_page(request, viewer)

    @routes.post("/admin/users", response_class=HTMLResponse)
    def add_user(
        request: Request,
        name: str = Form(""),
        display_name: str = Form(""),
        role: str = Form(""),
        department: str = Form(""),
        viewer: Viewer = Depends(require("users.admin")),
    ) -> HTMLResponse:
        """A new user gets a generated password, shown once to the admin."""
        password = generate_password()
        try:
            with desk.engine.begin() as conn:
                dept = find_department(conn, department) if department else None
                user = create_user(
                    conn,
                    name,
                    password,
                    role,
                    display_name=display_name or None,
                    department_id=dept.id if dept else None,
                )
                detail = {"role": user.role, "department": user.department}
                audit(conn, viewer, "user.create", f"user:{user.id}", detail, client_ip(request))
        except AccountError as exc:
            return admin_page(request, viewer, status=400, error=str(exc))
        return admin_page(request, viewer, new_password=(user.name, password))

    @routes.post("/admin/users/{user_id}", response_class=HTMLResponse)
    def change_user(
        request: Request,
        user_id: int,
        role: str = Form(""),
        department: str = Form(""),
        active: str = Form("yes"),
        viewer: Viewer = Depends(require("users.admin")),
    ) -> HTMLResponse:
        if user_id == viewer.user_id and (active != "yes" or role != viewer.role):
            return admin_page(
                request, viewer, status=400, error="you cannot demote or deactivate yourself"
            )
        try:
            with desk.engine.begin() as conn:
                dept = find_department(conn, department) if department else None
                user = update_user(
                    conn,
                    user_id,
                    role=role,
                    department_id=dept.id if dept else None,
                    active=active == "yes",
                )
                detail = {"role": user.role, "department": user.department, "active": user.active}
                audit(conn, viewer, "user.update", f"user:{user.id}", detail, client_ip(request))
        except AccountError as exc:
            return admin_page(request, viewer, status=400, error=str(exc))
        return admin_page(request, viewer)

    @routes.post("/admin/departments", response_class=HTMLResponse)
    def new_department(
        request: Request,
        name: str = Form(""),
        viewer: Viewer = Depends(require("users.admin")),
    ) -> HTMLResponse:
        try:
            with desk.engine.begin() as conn:
                dept = add_department(conn, name)
                audit(conn, viewer, "department.create", f"department:{dept.id}",
                      {"name": dept.name}, client_ip(request))  # fmt: skip
        except AccountError as exc:
            return admin_page(request, viewer, status=400, error=str(exc))
        return admin_page(request, viewer)

    @routes.get("/admin/audit", response_class=HTMLResponse)
    def audit_log(
        request: Request,
        action: str = "",
        user: str = "",
        page: str = "0",
        viewer: Viewer = Depends(page_viewer("audit.view")),
    ) -> HTMLResponse:
        number = max(int_param(page, 0) or 0, 0)
        with desk.engine.connect() as conn:
            entries, total = list_audit(
                conn,
                limit=AUDIT_PAGE,
                offset=number * AUDIT_PAGE,
                action=action.strip() or None,
                user=user.strip() or None,
            )
        return render(
            request,
            viewer,
            "audit.html",
            entries=entries,
            total=total,
            page=number,
            pages=(total + AUDIT_PAGE - 1) // AUDIT_PAGE,
            action=action,
            user=user,
        )

    return routes
