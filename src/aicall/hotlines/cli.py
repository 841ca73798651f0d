"""`aicall pool list` and `aicall trunk list`: where calls leave from."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from aicall import console
from aicall.accounts import service as account_service
from aicall.bootstrap import open_platform
from aicall.config import get_settings
from aicall.hotlines import service as hotline_service

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AppFilter = Annotated[
    str | None,
    typer.Option("--app", help="Only what this application may use (API key); default: everything."),
]


def _account_of(session: Any, app: str) -> str:
    found = account_service.get_by_api_key(session=session, api_key=app)
    if found is None:
        typer.echo(f"error: no application has API key {app}", err=True)
        raise typer.Exit(1)
    return found.account_id


def list_pools(app: AppFilter = None, as_json: JsonFlag = False) -> None:
    """Hotline pools: key, owner (shared or an account), trunk, caller numbers and their limits."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            if app is None:
                pools = hotline_service.every_pool(session=session)
            else:
                pools = hotline_service.visible_pools(session=session, account_id=_account_of(session, app))
            bodies = [hotline_service.pool_dict(session, pool) for pool in pools]
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(bodies)
        return
    for body in bodies:
        body["lines"] = [f"{line['number']} x{line['max_concurrent']}" for line in body["numbers"]]
        body["via"] = body["trunk_id"] or "simulator"
    columns = [("key", "key"), ("shared", "shared"), ("via", "trunk"), ("lines", "numbers x calls")]
    console.print_table(bodies, columns, empty="no hotline pools (create one: aicall pool create)")


def list_trunks(app: AppFilter = None, as_json: JsonFlag = False) -> None:
    """SIP trunks: host, transport, user, registration and call limit (never the password)."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            if app is None:
                trunks = hotline_service.every_trunk(session=session)
            else:
                trunks = hotline_service.account_trunks(session=session, account_id=_account_of(session, app))
            bodies = [hotline_service.trunk_dict(trunk) for trunk in trunks]
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(bodies)
        return
    for body in bodies:
        body["address"] = f"{body['host']}:{body['port']}/{body['transport']}"
    columns = [
        ("id", "id"),
        ("name", "name"),
        ("address", "address"),
        ("username", "user"),
        ("register", "register"),
        ("max_concurrent", "max calls"),
    ]
    console.print_table(bodies, columns, empty="no SIP trunks (add one: aicall trunk create --host HOST)")


def set_identity(
    key: Annotated[str, typer.Option("--key", help="The pool's key.")],
    asserted_identity: Annotated[
        str | None,
        typer.Option(
            "--asserted-identity",
            help="P-Asserted-Identity: a sip: or tel: URI ('' to send none; left out: kept).",
        ),
    ] = None,
    privacy: Annotated[
        str | None,
        typer.Option(
            "--privacy",
            help="Privacy: id, header, session, user, critical or none ('' to send none; left out: kept).",
        ),
    ] = None,
    app: Annotated[
        str | None, typer.Option("--app", help="Owner application's API key (none: shared).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Set what every INVITE of a pool asserts, for a trunk that asks (RFC 3325 §9.1, RFC 3323 §4.2).
    An option left out keeps the pool's value, so changing the number never drops its Privacy."""
    if asserted_identity is None and privacy is None:
        typer.echo("error: give --asserted-identity, --privacy or both ('' sends none)", err=True)
        raise typer.Exit(2)
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            account_id = _account_of(session, app) if app else None
            pool = next(
                (
                    p
                    for p in hotline_service.every_pool(session=session)
                    if p.key == key and p.account_id == account_id
                ),
                None,
            )
            if pool is None:
                where = (
                    " for that application"
                    if app
                    else " among the shared pools (a pool of an application is found with --app API_KEY)"
                )
                typer.echo(f"error: no pool has key {key!r}{where}", err=True)
                raise typer.Exit(1)
            try:
                hotline_service.set_identity(
                    session=session,
                    pool=pool,
                    asserted_identity=pool.asserted_identity
                    if asserted_identity is None
                    else asserted_identity,
                    privacy=pool.privacy if privacy is None else privacy,
                )
            except hotline_service.HotlineError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(1) from None
            body = hotline_service.pool_dict(session, pool)
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(body)
        return
    typer.echo(
        f"{key}: P-Asserted-Identity {body['asserted_identity'] or '-'}, Privacy {body['privacy'] or '-'}"
    )
