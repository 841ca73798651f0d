"""`aicall user create | list`: the people who log in to the dashboard."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aicall.accounts import users as user_service
from aicall.bootstrap import open_platform
from aicall.config import get_settings
from aicall.errors import ApiError

user_cli = typer.Typer(help="Dashboard users: create and list.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@user_cli.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="The login email.")],
    account: Annotated[str, typer.Option("--account", help="The account's id or exact name.")],
    admin: Annotated[bool, typer.Option("--admin", help="May approve and reject scenarios.")] = False,
    password: Annotated[
        str | None,
        typer.Option("--password", help="At least 8 characters; generated and printed if omitted."),
    ] = None,
    language: Annotated[str, typer.Option("--language", help="vi or en.")] = "vi",
    as_json: JsonFlag = False,
) -> None:
    """Add a dashboard user to an account; prints the password when it was generated."""
    platform = open_platform(get_settings())
    chosen = password if password is not None else user_service.generate_password()
    try:
        with platform.db.transaction() as session:
            found = user_service.find_account(session=session, ref=account)
            if found is None:
                raise typer.BadParameter(f"no account with id or name {account!r}", param_hint="--account")
            user = user_service.create_user(
                session=session,
                account_id=found.id,
                email=email,
                password=chosen,
                is_admin=admin,
                language=language if language in ("vi", "en") else "vi",
            )
            data: dict[str, object] = {
                "user_id": user.id,
                "email": user.email,
                "account_id": found.id,
                "account_name": found.name,
                "is_admin": user.is_admin,
            }
    except ApiError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        platform.db.dispose()
    if password is None:
        data["password"] = chosen
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            typer.echo(f"{key}: {value}")


@user_cli.command("list")
def list_(
    account: Annotated[str | None, typer.Option("--account", help="Only this account (id or name).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every dashboard user (email, account, admin), optionally of one account."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            account_id = None
            if account is not None:
                found = user_service.find_account(session=session, ref=account)
                if found is None:
                    raise typer.BadParameter(
                        f"no account with id or name {account!r}", param_hint="--account"
                    )
                account_id = found.id
            rows = user_service.list_users(session=session, account_id=account_id)
    finally:
        platform.db.dispose()
    if as_json:
        typer.echo(json.dumps([_as_dict(row) for row in rows], ensure_ascii=False))
        return
    if not rows:
        typer.echo("no users")
        return
    for row in rows:
        typer.echo(f"{row.email}\t{row.account_name}\t{'admin' if row.is_admin else 'user'}\t{row.id}")


def _as_dict(row: user_service.UserRead) -> dict[str, object]:
    return {
        "user_id": row.id,
        "email": row.email,
        "account_id": row.account_id,
        "account_name": row.account_name,
        "is_admin": row.is_admin,
        "language": row.language,
    }
