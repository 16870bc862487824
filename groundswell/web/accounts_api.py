"""JSON API of accounts: sign-in and out, the signed-in user, users, departments, API tokens,
the audit log. Every change is audited in the transaction that makes it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, func, select

from groundswell.accounts.audit import list_audit
from groundswell.accounts.errors import AccountError, AuthError, RateLimited
from groundswell.accounts.passwords import generate_password
from groundswell.accounts.roles import ROLE_PERMISSIONS, ROLES
from groundswell.accounts.tokens import create_token, list_tokens, revoke_token
from groundswell.accounts.users import (
    add_department,
    create_user,
    find_department,
    get_user,
    list_departments,
    list_users,
    set_department_head,
    set_password,
    update_user,
)
from groundswell.context import Desk
from groundswell.store.tables_accounts import users
from groundswell.web.auth import (
    Viewer,
    audit,
    authenticate,
    change_own_password,
    client_ip,
    close_session,
    open_session,
    require,
    require_viewer,
    verify_csrf,
)

__all__ = ["accounts_router", "me_json"]

Role = Literal["admin", "analyst", "leader", "monitor", "duty_officer"]
Locale = Literal["zh-CN", "en"]
assert set(ROLES) == set(Role.__args__)  # type: ignore[attr-defined]


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class PasswordIn(BaseModel):
    current: str = Field(min_length=1, max_length=1000)
    new: str = Field(min_length=1, max_length=1000)


class MeIn(BaseModel):
    locale: Locale | None = None
    display_name: str | None = Field(None, min_length=1, max_length=200)


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    password: str | None = Field(None, max_length=1000)  # None: one is made and shown once
    display_name: str | None = Field(None, max_length=200)
    department: str | None = Field(None, max_length=200)  # a department's name
    locale: Locale | None = None
    email: str | None = Field(None, max_length=300)
    phone: str | None = Field(None, max_length=50)
    contacts: dict[str, str] = Field(default_factory=dict, max_length=20)


class UserPatch(BaseModel):
    role: Role | None = None
    department: str | None = Field(None, max_length=200)  # a name; null: no department
    active: bool | None = None
    contacts: dict[str, str] | None = Field(None, max_length=20)
    display_name: str | None = Field(None, min_length=1, max_length=200)
    locale: Locale | None = None
    email: str | None = Field(None, max_length=300)
    phone: str | None = Field(None, max_length=50)
    password: str | None = Field(None, max_length=1000)  # an admin's reset


class DepartmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class DepartmentPatch(BaseModel):
    head_user_id: int | None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


require_admin = require("users.admin")


def me_json(viewer: Viewer) -> dict[str, Any]:
    """The signed-in user, what they may do, and the CSRF token the UI sends back."""
    return {
        **viewer.to_json(),
        "permissions": sorted(ROLE_PERMISSIONS.get(viewer.role, ())),
        "csrf_token": viewer.csrf_token,
    }


def _refused(exc: AccountError) -> HTTPException:
    text = str(exc)
    status = 409 if "already exists" in text else 404 if text.startswith("no ") else 400
    return HTTPException(status, text)


def _active_admins(conn: Connection) -> int:
    query = select(func.count()).where(users.c.role == "admin", users.c.active.is_(True))
    return int(conn.execute(query).scalar_one())


def accounts_router(desk: Desk) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.post("/auth/login")
    def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
        """Sign in: sets the session cookie; wrong name, password or a disabled account get
        the same 401, too many failures 429 with Retry-After."""
        try:
            viewer = authenticate(desk, body.name, body.password, client_ip(request))
        except RateLimited as exc:
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(exc.retry_after)}
            ) from exc
        except AuthError as exc:
            raise HTTPException(401, str(exc)) from exc
        return me_json(open_session(desk, viewer, request, response))

    @router.post("/auth/logout", status_code=204, dependencies=[Depends(verify_csrf)])
    def logout(request: Request, response: Response) -> None:
        close_session(desk, request, response)

    @router.get("/me")
    def me(viewer: Annotated[Viewer, Depends(require_viewer)]) -> dict[str, Any]:
        return me_json(viewer)

    @router.patch("/me", dependencies=[Depends(verify_csrf)])
    def patch_me(
        body: MeIn, request: Request, viewer: Annotated[Viewer, Depends(require_viewer)]
    ) -> dict[str, Any]:
        """Change your language (null: the browser's) or display name."""
        changes = body.model_dump(include=body.model_fields_set)
        if changes.get("display_name", "") is None:
            raise HTTPException(400, "a display name cannot be empty")
        with desk.engine.begin() as conn:
            try:
                user = update_user(conn, viewer.user_id, **changes)
            except AccountError as exc:
                raise _refused(exc) from exc
            audit(conn, viewer, "me.update", f"user:{viewer.user_id}", changes, client_ip(request))
        return user.to_json()

    @router.post("/me/password", status_code=204, dependencies=[Depends(verify_csrf)])
    def change_password(
        body: PasswordIn, request: Request, viewer: Annotated[Viewer, Depends(require_viewer)]
    ) -> None:
        """Change your password; your other sessions end (this one stays)."""
        try:
            change_own_password(desk, viewer, body.current, body.new, client_ip(request))
        except RateLimited as exc:
            wait = str(exc.retry_after)
            raise HTTPException(429, str(exc), headers={"Retry-After": wait}) from exc
        except AuthError as exc:
            raise HTTPException(400, "the current password is wrong") from exc
        except AccountError as exc:
            raise _refused(exc) from exc

    @router.get("/users")
    def users_api(_viewer: Annotated[Viewer, Depends(require_admin)]) -> list[dict[str, Any]]:
        with desk.engine.connect() as conn:
            return [u.to_json() for u in list_users(conn)]

    @router.post("/users", status_code=201)
    def add_user_api(
        body: UserIn, request: Request, viewer: Annotated[Viewer, Depends(require_admin)]
    ) -> dict[str, Any]:
        """Create a user; without a password one is generated and returned once."""
        password = body.password or generate_password()
        with desk.engine.begin() as conn:
            try:
                dept = find_department(conn, body.department) if body.department else None
                user = create_user(
                    conn,
                    body.name,
                    password,
                    body.role,
                    display_name=body.display_name,
                    department_id=dept.id if dept else None,
                    locale=body.locale,
                    email=body.email,
                    phone=body.phone,
                    contacts=body.contacts,
                )
            except AccountError as exc:
                raise _refused(exc) from exc
            detail = {"role": user.role, "department": user.department}
            audit(conn, viewer, "user.create", f"user:{user.id}", detail, client_ip(request))
        out = user.to_json()
        if body.password is None:
            out["password"] = password
        return out

    @router.patch("/users/{user_id}")
    def patch_user_api(
        user_id: int,
        body: UserPatch,
        request: Request,
        viewer: Annotated[Viewer, Depends(require_admin)],
    ) -> dict[str, Any]:
        """Change role, department (by name), active, contacts, profile; or reset the password
        (which ends the user's sessions). The last active admin cannot be demoted or disabled."""
        changes = body.model_dump(include=body.model_fields_set)
        password = changes.pop("password", None)
        with desk.engine.begin() as conn:
            try:
                before = get_user(conn, user_id)
                if "department" in changes:
                    name = changes.pop("department")
                    changes["department_id"] = find_department(conn, name).id if name else None
                if None in (changes.get("role", ""), changes.get("active", "")):
                    raise AccountError("role and active cannot be null")
                user = update_user(conn, user_id, **changes)
                if before.role == "admin" and before.active and _active_admins(conn) == 0:
                    raise AccountError("the last active admin cannot be demoted or disabled")
                if password is not None:
                    set_password(conn, user_id, password)
            except AccountError as exc:
                raise _refused(exc) from exc
            detail = {k: v for k, v in changes.items()}
            if password is not None:
                detail["password"] = "reset"
            audit(conn, viewer, "user.update", f"user:{user_id}", detail, client_ip(request))
        return user.to_json()

    @router.get("/departments")
    def departments_api(
        _viewer: Annotated[Viewer, Depends(require_viewer)],
    ) -> list[dict[str, Any]]:
        """Every signed-in user may list departments (forms offer them)."""
        with desk.engine.connect() as conn:
            return [d.to_json() for d in list_departments(conn)]

    @router.post("/departments", status_code=201)
    def add_department_api(
        body: DepartmentIn, request: Request, viewer: Annotated[Viewer, Depends(require_admin)]
    ) -> dict[str, Any]:
        with desk.engine.begin() as conn:
            try:
                dept = add_department(conn, body.name)
            except AccountError as exc:
                raise _refused(exc) from exc
            audit(
                conn,
                viewer,
                "department.create",
                f"department:{dept.id}",
                {"name": dept.name},
                client_ip(request),
            )
        return dept.to_json()

    @router.patch("/departments/{department_id}")
    def patch_department_api(
        department_id: int,
        body: DepartmentPatch,
        request: Request,
        viewer: Annotated[Viewer, Depends(require_admin)],
    ) -> dict[str, Any]:
        """Set or clear the department's head (a user id)."""
        with desk.engine.begin() as conn:
            try:
                dept = set_department_head(conn, department_id, body.head_user_id)
            except AccountError as exc:
                raise _refused(exc) from exc
            detail = {"head_user_id": body.head_user_id}
            audit(
                conn,
                viewer,
                "department.update",
                f"department:{dept.id}",
                detail,
                client_ip(request),
            )
        return dept.to_json()

    @router.get("/audit")
    def audit_api(
        _viewer: Annotated[Viewer, Depends(require("audit.view"))],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
        action: str | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        """Newest first; `action` exact, or a prefix ending in '.'; `user` is the actor's name."""
        with desk.engine.connect() as conn:
            entries, total = list_audit(conn, limit=limit, offset=offset, action=action, user=user)
        return {"items": [e.to_json() for e in entries], "total": total}

    @router.get("/tokens")
    def tokens_api(viewer: Annotated[Viewer, Depends(require_viewer)]) -> list[dict[str, Any]]:
        with desk.engine.connect() as conn:
            return [t.to_json() for t in list_tokens(conn, viewer.user_id)]

    @router.post("/tokens", status_code=201, dependencies=[Depends(verify_csrf)])
    def add_token_api(
        body: TokenIn, request: Request, viewer: Annotated[Viewer, Depends(require_viewer)]
    ) -> dict[str, Any]:
        """A token for scripts (`Authorization: Bearer gs_...`); the secret is shown only here."""
        with desk.engine.begin() as conn:
            try:
                secret, token = create_token(conn, viewer.user_id, body.name)
            except AccountError as exc:
                raise _refused(exc) from exc
            audit(
                conn,
                viewer,
                "token.create",
                f"token:{token.id}",
                {"name": token.name},
                client_ip(request),
            )
        return {**token.to_json(), "token": secret}

    @router.delete("/tokens/{token_id}", status_code=204, dependencies=[Depends(verify_csrf)])
    def revoke_token_api(
        token_id: int, request: Request, viewer: Annotated[Viewer, Depends(require_viewer)]
    ) -> None:
        with desk.engine.begin() as conn:
            try:
                token = revoke_token(conn, viewer.user_id, token_id)
            except AccountError as exc:
                raise _refused(exc) from exc
            audit(
                conn,
                viewer,
                "token.revoke",
                f"token:{token.id}",
                {"name": token.name},
                client_ip(request),
            )

    return router
