"""`aicall dnc add|remove|import|list`: an account's Do-Not-Call list from the command line
(Decree 91/2020/ND-CP Art. 13 cl. 1). Numbers listed here stop the account's waiting contacts,
as through the API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import typer
from sqlalchemy.orm import Session

from aicall import console, notify
from aicall.accounts import service as account_service
from aicall.bootstrap import open_platform
from aicall.clock import utc_now
from aicall.compliance import dnc
from aicall.compliance.rules import DncSource
from aicall.config import get_settings
from aicall.dialer import do_not_call
from aicall.errors import ValidationFailed
from aicall.phones import PhoneError, normalise

dnc_cli = typer.Typer(help="Do-Not-Call lists (per account).", no_args_is_help=True)

App = Annotated[str, typer.Option("--app", help="API key of an application of the account.")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why, in your words (kept with each number).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _account_of(session: Session, app: str) -> str:
    found = account_service.get_by_api_key(session=session, api_key=app)
    if found is None:
        _fail(f"no application has API key {app}")
    return found.account_id


def _list(account_app: str, phones: list[str], source: DncSource, reason: str | None) -> dict[str, int]:
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            listing = do_not_call.add(
                session,
                account_id=_account_of(session, account_app),
                phones=phones,
                source=source,
                reason=reason,
                now=utc_now(),
            )
            notify.emit_all(session, listing.events)
            return listing.to_dict()
    finally:
        platform.db.dispose()


@dnc_cli.command("add")
def add(
    numbers: Annotated[list[str], typer.Argument(help="Numbers, as people write them.")],
    app: App,
    reason: Reason = None,
) -> None:
    """Put numbers on the list (all valid or none); waiting contacts with them stop."""
    try:
        phones = dnc.normalise_all(numbers, region=get_settings().default_region, field="numbers")
    except ValidationFailed as exc:
        _fail(_problems(exc))
    counts = _list(app, phones, DncSource.API, reason)
    typer.echo(
        f"listed {counts['added']} new, {counts['already_listed']} already listed; "
        f"{counts['stopped_contacts']} waiting contacts stopped"
    )


@dnc_cli.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="One number per line (or the first column of a CSV).")],
    app: App,
    source: Annotated[
        Literal["import", "national_register"],
        typer.Option(
            "--source", case_sensitive=False, help="import, or national_register for the national list."
        ),
    ] = "import",
    reason: Reason = None,
) -> None:
    """Load a file of numbers: every line valid, or nothing is listed (bad lines are named)."""
    began = time.perf_counter()
    try:
        with path.open("rb") as stream:
            phones = dnc.read_numbers(dnc.lines_of(stream), region=get_settings().default_region)
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    except ValidationFailed as exc:
        _fail(_problems(exc))
    counts = _list(app, phones, DncSource(source), reason)
    typer.echo(
        f"listed {counts['added']} new, {counts['already_listed']} already listed "
        f"({len(phones)} numbers in {time.perf_counter() - began:.1f} s); "
        f"{counts['stopped_contacts']} waiting contacts stopped"
    )


@dnc_cli.command("remove")
def remove(number: Annotated[str, typer.Argument(help="The number to take off the list.")], app: App) -> None:
    """Take a number off the list (contacts already stopped stay stopped)."""
    try:
        phone = normalise(number, get_settings().default_region)
    except PhoneError as exc:
        _fail(str(exc))
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            removed = dnc.remove(session, account_id=_account_of(session, app), phone=phone)
    finally:
        platform.db.dispose()
    if not removed:
        _fail(f"{phone} is not on the list")
    typer.echo(f"removed {phone}")


@dnc_cli.command("list")
def list_numbers(
    app: App,
    search: Annotated[str | None, typer.Option("--search", help="A number or its first digits.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, max=2**63 - 1)] = 0,  # a BIGINT, as the API
    as_json: JsonFlag = False,
) -> None:
    """The list in number order: number, who listed it, why, when."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            try:
                rows, total = dnc.search(
                    session, account_id=_account_of(session, app), number=search, limit=limit, offset=offset
                )
            except ValidationFailed as exc:
                _fail(exc.message)
            bodies: list[dict[str, Any]] = [dnc.entry_dict(row) for row in rows]
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json({"entries": bodies, "total_count": total})
        return
    columns = [
        ("phone_number", "number"),
        ("source", "source"),
        ("reason", "reason"),
        ("created_at", "listed at"),
    ]
    console.print_table(bodies, columns, empty="the Do-Not-Call list is empty")
    if total > len(bodies):
        typer.echo(f"{len(bodies)} of {total} shown (--offset, --limit for more)")


def _problems(exc: ValidationFailed) -> str:
    lines = [exc.message]
    for problem in (exc.details or [])[1:20]:
        lines.append(f"  {problem['field']}: {problem['message']}")
    return "\n".join(lines)
