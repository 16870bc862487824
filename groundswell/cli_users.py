"""Commands for accounts: users, departments, API tokens. Every change is audited (actor `cli`).

Registered on the main `groundswell` app by `groundswell.cli`; documented in docs/cli.md.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from groundswell.accounts import audit as audit_store
from groundswell.accounts.passwords import check_policy, generate_password
from groundswell.accounts.roles import ROLES
from groundswell.context import Desk
from groundswell.settings import Settings

console = Console()
err = Console(stderr=True)
users_app = typer.Typer(help="Create, list and disable users; set passwords.", no_args_is_help=True)
departments_app = typer.Typer(help="Create and list departments.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)

ACTOR = "cli"


def _desk(ctx: typer.Context) -> Desk:
    settings: Settings = ctx.obj["settings"]
    return Desk.open(settings)


def _read_stdin_password() -> str:
    """The first line of stdin, without its line ending (so `echo pw |` works)."""
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _new_password(name: str, from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """(password, generated?): from stdin, generated, or typed twice at a prompt."""
    if from_stdin:
        password = _read_stdin_password()
    elif generate:
        return generate_password(), True
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    check_policy(name, password)
    return password, False


@users_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (no spaces).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    department: Annotated[
        str | None, typer.Option("--department", help="Department name (must exist).")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the desk.")
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
) -> None:
    """Create a user; without --password-stdin a strong password is generated and printed
    once."""
    from groundswell.accounts.users import create_user, find_department

    password = _read_stdin_password() if password_stdin else generate_password()
    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        dept = find_department(conn, department) if department else None
        user = create_user(
            conn,
            name,
            password,
            role,
            display_name=display_name,
            department_id=dept.id if dept else None,
            email=email,
        )
        audit_store.record(
            conn,
            user_id=None,
            actor=ACTOR,
            action="user.create",
            target=f"user:{user.id}",
            detail={"role": role, "department": department},
        )
    console.print(f"user {user.name!r} created ({user.role})", highlight=False)
    if not password_stdin:
        console.print(f"password: {password}", highlight=False, soft_wrap=True)
        err.print("shown once: pass it on now")


@users_app.command("list")
def user_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Users with role, department, status and last sign-in."""
    from groundswell.accounts.users import list_users

    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        users = list_users(conn)
    if as_json:
        for user in users:
            print(json.dumps(user.to_json(), ensure_ascii=False))
        return
    table = Table("name", "display name", "role", "department", "active", "last sign-in")
    for user in users:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "-"
        table.add_row(
            user.name,
            user.display_name,
            user.role,
            user.department or "-",
            "yes" if user.active else "no",
            last,
        )
    console.print(table)


@users_app.command("passwd")
def user_passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate a strong password and print it once.")
    ] = False,
) -> None:
    """Set a user's password (prompted twice unless given on stdin or generated); the user's
    sessions end."""
    from groundswell.accounts.users import find_user, set_password

    password, generated = _new_password(name, password_stdin, generate)
    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        user = find_user(conn, name)
        set_password(conn, user.id, password)
        audit_store.record(
            conn,
            user_id=None,
            actor=ACTOR,
            action="user.update",
            target=f"user:{user.id}",
            detail={"password": "reset"},
        )
    console.print(f"password of {user.name!r} changed; their sessions ended", highlight=False)
    if generated:
        console.print(f"password: {password}", highlight=False, soft_wrap=True)


def _set_active(ctx: typer.Context, name: str, active: bool) -> None:
    from groundswell.accounts.users import find_user, update_user

    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        user = find_user(conn, name)
        update_user(conn, user.id, active=active)
        audit_store.record(
            conn,
            user_id=None,
            actor=ACTOR,
            action="user.update",
            target=f"user:{user.id}",
            detail={"active": active},
        )
    console.print(f"user {user.name!r} {'enabled' if active else 'disabled'}", highlight=False)


@users_app.command("disable")
def user_disable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]
) -> None:
    """Disable a user: they cannot sign in, their sessions and API tokens stop working."""
    _set_active(ctx, name, False)


@users_app.command("enable")
def user_enable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]
) -> None:
    """Enable a disabled user again (their old sessions stay ended)."""
    _set_active(ctx, name, True)


@departments_app.command("add")
def department_add(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Department name.")]
) -> None:
    """Create a department (monitors and duty officers see only their own)."""
    from groundswell.accounts.users import add_department

    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        dept = add_department(conn, name)
        audit_store.record(
            conn,
            user_id=None,
            actor=ACTOR,
            action="department.create",
            target=f"department:{dept.id}",
            detail={"name": dept.name},
        )
    console.print(f"department {dept.name!r} created", highlight=False)


@departments_app.command("list")
def department_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Departments and how many users each has."""
    from groundswell.accounts.users import list_departments, list_users

    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        departments = list_departments(conn)
        users = list_users(conn)
    members = {d.id: sum(u.department_id == d.id for u in users) for d in departments}
    if as_json:
        for dept in departments:
            print(json.dumps({**dept.to_json(), "users": members[dept.id]}, ensure_ascii=False))
        return
    table = Table("name", "users", "created")
    for dept in departments:
        table.add_row(dept.name, str(members[dept.id]), dept.created_at.strftime("%Y-%m-%d"))
    console.print(table)


@tokens_app.command("create")
def token_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="Login name of the token's owner.")],
    name: Annotated[str, typer.Argument(help="What the token is for (e.g. 'nightly export').")],
) -> None:
    """Create an API token acting as USER; it is printed once (send it as
    `Authorization: Bearer gs_...`)."""
    from groundswell.accounts.tokens import create_token
    from groundswell.accounts.users import find_user

    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        owner = find_user(conn, user)
        secret, token = create_token(conn, owner.id, name)
        audit_store.record(
            conn,
            user_id=None,
            actor=ACTOR,
            action="token.create",
            target=f"token:{token.id}",
            detail={"name": token.name, "user": owner.name},
        )
    print(secret)
    err.print(f"token {token.name!r} for {owner.name!r}: shown once")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="user")
    app.add_typer(departments_app, name="department")
    app.add_typer(tokens_app, name="token")
