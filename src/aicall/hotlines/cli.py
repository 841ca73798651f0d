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
