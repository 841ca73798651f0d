"""Command line: `aicall init | serve | worker | app | campaign | ...`."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import jwt
import typer

from aicall.accounts import service as account_service
from aicall.accounts.models import Application
from aicall.bootstrap import Platform, open_platform
from aicall.campaigns import service as campaign_service
from aicall.config import Settings, get_settings
from aicall.demo import DemoTenant, ensure_demo

cli = typer.Typer(help="aicall: outbound calling platform, AICall-compatible API.", no_args_is_help=True)
app_cli = typer.Typer(help="Applications (API keys).", no_args_is_help=True)
campaign_cli = typer.Typer(help="Campaigns.", no_args_is_help=True)
cli.add_typer(app_cli, name="app")
cli.add_typer(campaign_cli, name="campaign")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _platform() -> Platform:
    return open_platform(get_settings())


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            typer.echo(f"{key}: {value}")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _application(platform: Platform, api_key: str) -> Application:
    with platform.db.reading() as session:
        app = account_service.get_by_api_key(session=session, api_key=api_key)
    if app is None:
        _fail(f"no application has API key {api_key}")
        raise AssertionError
    return app


def demo_curl(settings: Settings, demo: DemoTenant) -> str:
    token = jwt.encode({"apiKey": demo.api_key}, demo.api_secret, algorithm="HS256")
    contacts = [
        {"phone_number": f"098765432{digit}", "ho_ten": f"Khách {digit}", "so_tien": str(150000 * (digit + 1))}
        for digit in range(10)
    ]
    body = json.dumps({"campaign_id": demo.campaign_id, "contacts": contacts}, ensure_ascii=False)
    return (
        f"curl -s -X POST {settings.base_url}/api/v1/public-api/campaign "
        f"-H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' -d '{body}'"
    )


@cli.command()
def init(
    demo: Annotated[bool, typer.Option("--demo", help="Also create the demo tenant.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create or migrate the database (and the secret key); optionally the demo tenant."""
    platform = _platform()
    data: dict[str, Any] = {"database": platform.db.dialect, "data_dir": str(platform.settings.data_dir)}
    if demo:
        with platform.db.transaction() as session:
            tenant = ensure_demo(session=session, box=platform.box)
        data.update(tenant.to_dict())
        if not as_json:
            data["curl"] = demo_curl(platform.settings, tenant)
    _emit(data, as_json)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Create the demo tenant and print its keys.")] = False,
) -> None:
    """Run the API (and, in embedded mode, the dialer and webhook dispatcher)."""
    import uvicorn

    from aicall.app import create_app

    settings = get_settings()
    if host is not None:
        settings.host = host
    if port is not None:
        settings.port = port
    platform = open_platform(settings)
    if demo:
        with platform.db.transaction() as session:
            tenant = ensure_demo(session=session, box=platform.box)
        typer.echo("Demo tenant:")
        for key, value in tenant.to_dict().items():
            typer.echo(f"  {key}: {value}")
        typer.echo("Add ten demo contacts (numbers ending 0-9):")
        typer.echo("  " + demo_curl(settings, tenant))
        typer.echo(f"API docs: {settings.base_url}/docs")
    platform.db.dispose()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@app_cli.command("create")
def app_create(
    name: Annotated[str, typer.Option(help="Application name.")],
    webhook_url: Annotated[str | None, typer.Option("--webhook-url", help="Where results are POSTed.")] = None,
    account: Annotated[str | None, typer.Option(help="Account id (default: a new account).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an application; prints its API key and secret (the secret is shown only here)."""
    platform = _platform()
    with platform.db.transaction() as session:
        account_id = account or account_service.create_account(session=session, name=name).id
        new = account_service.create_application(
            session=session, box=platform.box, account_id=account_id, name=name, webhook_url=webhook_url
        )
    _emit(
        {
            "application_id": new.application.id,
            "account_id": account_id,
            "api_key": new.application.api_key,
            "api_secret": new.api_secret,
            "webhook_url": webhook_url,
            "webhook_secret": new.webhook_secret,
        },
        as_json,
    )


@campaign_cli.command("create")
def campaign_create(
    app: Annotated[str, typer.Option("--app", help="The application's API key.")],
    name: Annotated[str, typer.Option(help="Campaign name.")],
    start: Annotated[bool, typer.Option("--start", help="Start calling right away.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a campaign for an application."""
    platform = _platform()
    application = _application(platform, app)
    with platform.db.transaction() as session:
        campaign = campaign_service.create_campaign(
            session=session, application_id=application.id, name=name
        )
        if start:
            campaign.status = "running"
    _emit({"campaign_id": campaign.id, "name": campaign.name, "status": campaign.status}, as_json)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
