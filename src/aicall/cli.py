"""Command line: `aicall init | serve | worker | app | campaign | ...`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from aicall.accounts import cli as account_cli
from aicall.accounts import flows as account_flows
from aicall.accounts import service as account_service
from aicall.accounts import tokens
from aicall.accounts import users as user_service
from aicall.accounts.cli import user_cli
from aicall.accounts.models import Application
from aicall.bootstrap import Platform, StorageError, open_platform, why
from aicall.campaigns import cli as campaign_reads
from aicall.campaigns import queries
from aicall.campaigns import service as campaign_service
from aicall.campaigns.cli import contact_cli, contacts_cli
from aicall.campaigns.models import Campaign
from aicall.campaigns.schemas import CampaignCreate
from aicall.clock import utc_now
from aicall.compliance.cli import dnc_cli
from aicall.config import Settings, get_settings
from aicall.demo import DemoTenant, ensure_demo
from aicall.dialer.backends import SipPortTaken
from aicall.engine import run_worker
from aicall.errors import ApiError, CampaignNotFound
from aicall.hotlines import cli as hotline_cli
from aicall.hotlines import service as hotline_service
from aicall.observability import logging as logs
from aicall.observability import metrics
from aicall.scenarios.cli import scenario_cli
from aicall.speech import reading
from aicall.speech.dialect import Dialect
from aicall.speech.reading import ReadingType
from aicall.webhooks import cli as webhook_cli
from aicall.webhooks.guard import InvalidWebhookUrl, check_webhook_url

cli = typer.Typer(help="aicall: outbound calling platform, AICall-compatible API.", no_args_is_help=True)
app_cli = typer.Typer(help="Applications (API keys).", no_args_is_help=True)
campaign_cli = typer.Typer(help="Campaigns.", no_args_is_help=True)
pool_cli = typer.Typer(help="Hotline pools (caller numbers).", no_args_is_help=True)
trunk_cli = typer.Typer(help="SIP trunks.", no_args_is_help=True)
balance_cli = typer.Typer(help="Prepaid balances.", no_args_is_help=True)
cli.add_typer(app_cli, name="app")
cli.add_typer(campaign_cli, name="campaign")
cli.add_typer(pool_cli, name="pool")
cli.add_typer(trunk_cli, name="trunk")
cli.add_typer(balance_cli, name="balance")
cli.add_typer(scenario_cli, name="scenario")
cli.add_typer(contacts_cli, name="contacts")
cli.add_typer(user_cli, name="user")
cli.add_typer(account_cli.voice_cli, name="voice")
webhook_cli.register(app_cli)  # `aicall app update --webhook-url ...`
cli.add_typer(contact_cli, name="contact")
cli.add_typer(webhook_cli.webhook_group, name="webhook")
cli.add_typer(dnc_cli, name="dnc")
cli.command("token")(account_cli.token)
app_cli.command("list")(account_cli.list_apps)
balance_cli.command("show")(account_cli.show_balance)
campaign_cli.command("list")(campaign_reads.list_campaigns)
campaign_cli.command("show")(campaign_reads.show_campaign)
campaign_cli.command("archive")(campaign_reads.archive_campaign)
pool_cli.command("list")(hotline_cli.list_pools)
pool_cli.command("identity")(hotline_cli.set_identity)
trunk_cli.command("list")(hotline_cli.list_trunks)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# Options that name one of a fixed set are choices: an unknown value is refused before any work,
# naming the allowed ones (exit 2). The sets are the domain's (a test holds them equal):
Transport = Literal["udp", "tcp"]  # telephony.session.TRUNK_TRANSPORTS
AmdMode = Literal["sync", "async"]  # campaigns.settings.CampaignSettings.amd_mode
TRANSPORTS: tuple[str, ...] = get_args(Transport)
AMD_MODES: tuple[str, ...] = get_args(AmdMode)


@cli.callback()
def _options(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Where the SQLite database, secret key, audio and recordings live "
            "(default: AICALL_DATA_DIR, else ./var).",
        ),
    ] = None,
) -> None:
    if data_dir is not None:
        get_settings().data_dir = data_dir


def _platform() -> Platform:
    return open_platform(get_settings())


def _make_data_dir(settings: Settings) -> None:
    """Create the data directory `init` and `serve` write into, or say in one line why it
    cannot be (exit 2): a path through a file or without permission ended in a traceback."""
    folder = settings.data_dir
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(20, "it is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        typer.echo(
            f"error: cannot use the data directory {folder} (--data-dir or AICALL_DATA_DIR): "
            f"{exc.strerror or exc}",
            err=True,
        )
        raise typer.Exit(2) from None


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
    # Valid 7 days, as the token scripts/run-demo prints: a pasted never-expiring one lived on.
    token = tokens.issue(
        api_key=demo.api_key, api_secret=demo.api_secret, now=utc_now(), ttl=timedelta(days=7)
    )
    contacts = [
        {
            "phone_number": f"098765432{digit}",
            "ho_ten": f"Khách {digit}",
            "so_tien": str(150000 * (digit + 1)),
        }
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
    _make_data_dir(get_settings())
    platform = open_platform(get_settings(), create=True)
    data: dict[str, Any] = {
        "database": platform.db.dialect,
        "data_dir": str(platform.settings.data_dir.resolve()),
    }
    if demo:
        with platform.db.transaction() as session:
            tenant = ensure_demo(session=session, box=platform.box)
        data.update(tenant.to_dict())
        data["dashboard_url"] = f"{platform.settings.base_url}/"
        if not as_json:
            data["curl"] = demo_curl(platform.settings, tenant)
    _emit(data, as_json)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (1-65535).", min=1, max=65535)] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Create the demo tenant and print its keys.")] = False,
) -> None:
    """Run the API (and, in embedded mode, the dialer and webhook dispatcher).

    SIGINT/SIGTERM: no new calls; calls in progress may finish for AICALL_SHUTDOWN_GRACE
    seconds (a second Ctrl-C ends that at once), then the process exits."""
    from aicall.app import create_app
    from aicall.dialer.shutdown import Shutdown
    from aicall.web.server import ListenError, check_free, listen
    from aicall.web.server import serve as serve_http

    settings = get_settings()
    if host is not None:
        settings.host = host
    if port is not None:
        settings.port = port
    try:  # first: a port taken must stop us before the engine dials anyone
        sock = listen(settings.host, settings.port)
        if settings.run_engine and settings.sip_port:  # its engine binds it in the lifespan
            check_free(settings.sip_host, settings.sip_port, setting="AICALL_SIP_PORT")
    except ListenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _make_data_dir(settings)
    platform = open_platform(settings, create=True)
    if demo:
        with platform.db.transaction() as session:
            tenant = ensure_demo(session=session, box=platform.box)
        typer.echo("Demo tenant:")
        for key, value in tenant.to_dict().items():
            typer.echo(f"  {key}: {value}")
        typer.echo("Add ten demo contacts (numbers ending 0-9):")
        typer.echo("  " + demo_curl(settings, tenant))
        typer.echo(f"API docs: {settings.base_url}/docs")
        typer.echo(
            f"Dashboard: {settings.base_url}/  (log in as {tenant.login_email} / {tenant.login_password})"
        )
    platform.db.dispose()
    shutdown = Shutdown(settings.shutdown_grace)
    # Where it listens, for `aicall token --export` run in another shell (Settings.client_url).
    settings.record_serving()
    logs.get_logger("aicall.web").info(
        "listening", address=f"{settings.host}:{settings.port}", engine=settings.run_engine
    )
    try:
        serve_http(
            create_app(settings, shutdown=shutdown),
            host=settings.host,
            port=settings.port,
            shutdown=shutdown,
            stopped=settings.forget_serving,
            sock=sock,
        )
    finally:
        settings.forget_serving()  # a server that failed to start


@app_cli.command("create")
def app_create(
    name: Annotated[str, typer.Option(help="Application name.")],
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Where results are POSTed.")
    ] = None,
    account: Annotated[
        str | None, typer.Option(help="The account's id or exact name (default: a new account).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an application; prints its API key and secret (the secret is shown only here)."""
    platform = _platform()
    if webhook_url is not None:
        try:
            webhook_url = check_webhook_url(
                webhook_url, allow_private=platform.settings.webhook_allow_private
            )
        except InvalidWebhookUrl as exc:
            _fail(str(exc))
    try:
        with platform.db.transaction() as session:
            if account is None:
                account_id = account_service.create_account(session=session, name=name).id
            else:  # an unknown one failed as "the database failed: FOREIGN KEY constraint failed"
                found = user_service.find_account(session=session, ref=account)
                if found is None:
                    raise typer.BadParameter(
                        f"no account with id or name {account!r}", param_hint="--account"
                    )
                account_id = found.id
            new = account_service.create_application(
                session=session, box=platform.box, account_id=account_id, name=name, webhook_url=webhook_url
            )
    except ApiError as exc:  # an empty or over-long name ended in a traceback
        _fail(exc.message)
        raise AssertionError from exc
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
    scenario_id: Annotated[str | None, typer.Option("--scenario-id", help="The scenario to run.")] = None,
    pool: Annotated[str | None, typer.Option("--pool", help="Hotline pool key (poolHotlineKey).")] = None,
    start: Annotated[bool, typer.Option("--start", help="Start calling right away.")] = False,
    amd: Annotated[
        AmdMode | None,
        typer.Option(
            "--amd",
            case_sensitive=False,
            help="Answering-machine detection: sync (prompts wait for the verdict) or async "
            "(prompts at once, cut for a machine); a machine ends voicemail.",
        ),
    ] = None,
    voicemail_message: Annotated[
        str | None,
        typer.Option(
            "--voicemail-message",
            help="With --amd: leave this PLAY_MESSAGE action of the scenario after the beep (else hang up).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a campaign for an application."""
    try:  # the API's rules for a name (an empty or over-long one was stored)
        CampaignCreate(name=name)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint="--name") from None
    platform = _platform()
    application = _application(platform, app)
    try:
        with platform.db.transaction() as session:
            campaign = campaign_service.create_from_api(
                session=session,
                application_id=application.id,
                account_id=application.account_id,
                name=name,
                scenario_id=scenario_id,
                settings={
                    # Given empty, they are refused as the API refuses them (they were left out).
                    **({"pool_hotline_key": pool} if pool is not None else {}),
                    **({"amd": True, "amd_mode": amd} if amd else {}),
                    **(
                        {
                            "voicemail_action": "leave_message",
                            "voicemail_message_action_id": voicemail_message,
                        }
                        if voicemail_message is not None
                        else {}
                    ),
                },
                start=start,
            )
            data = queries.campaign_dict(session, campaign, with_counts=False)
    except ApiError as exc:
        _fail(exc.message)
        raise AssertionError from exc
    _emit({"campaign_id": campaign.id, **data}, as_json)


def _campaign_action(campaign_id: str, action: str, as_json: bool) -> None:
    platform = _platform()
    try:
        with platform.db.transaction() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                raise CampaignNotFound()
            app = session.get(Application, campaign.application_id)
            assert app is not None
            campaign_service.transition(
                session=session, campaign=campaign, account_id=app.account_id, action=action
            )
            data = {"campaign_id": campaign.id, "status": campaign.status}
    except ApiError as exc:
        _fail(exc.message)
    _emit(data, as_json)


@campaign_cli.command("start")
def campaign_start(campaign_id: str, as_json: JsonFlag = False) -> None:
    """Start (or resume) a campaign."""
    _campaign_action(campaign_id, "start", as_json)


@campaign_cli.command("pause")
def campaign_pause(campaign_id: str, as_json: JsonFlag = False) -> None:
    """Pause a running campaign; calls in flight finish."""
    _campaign_action(campaign_id, "pause", as_json)


@campaign_cli.command("resume")
def campaign_resume(campaign_id: str, as_json: JsonFlag = False) -> None:
    """Resume a paused campaign."""
    _campaign_action(campaign_id, "resume", as_json)


@campaign_cli.command("stop")
def campaign_stop(campaign_id: str, as_json: JsonFlag = False) -> None:
    """Complete a campaign: contacts not yet called are cancelled."""
    _campaign_action(campaign_id, "stop", as_json)


@pool_cli.command("create")
def pool_create(
    key: Annotated[str, typer.Option("--key", help="The pool key campaigns name (poolHotlineKey).")],
    numbers: Annotated[str, typer.Option("--numbers", help="Caller numbers, comma-separated.")],
    trunk: Annotated[str | None, typer.Option("--trunk", help="SIP trunk id (none: the simulator).")] = None,
    app: Annotated[
        str | None, typer.Option("--app", help="Owner application's API key (none: shared).")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Calls at once per number.")] = 10,
    asserted_identity: Annotated[
        str | None,
        typer.Option("--asserted-identity", help="P-Asserted-Identity of its INVITEs: sip: or tel: URI."),
    ] = None,
    privacy: Annotated[
        str | None, typer.Option("--privacy", help="Privacy header of its INVITEs: id, none, ... (RFC 3323).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a hotline pool."""
    platform = _platform()
    account_id = _application(platform, app).account_id if app else None
    try:
        with platform.db.transaction() as session:
            pool = hotline_service.create_pool(
                session=session,
                key=key,
                numbers=[n for n in numbers.split(",") if n.strip()],
                trunk_id=trunk,
                account_id=account_id,
                per_number_concurrency=concurrency,
                asserted_identity=asserted_identity,
                privacy=privacy,
            )
            data = hotline_service.pool_dict(session, pool)
    except hotline_service.HotlineError as exc:
        _fail(str(exc))
    _emit({"pool_id": data["id"], **data}, as_json)


@trunk_cli.command("create")
def trunk_create(
    host: Annotated[str, typer.Option("--host")],
    port: Annotated[int, typer.Option("--port")] = 5060,
    transport: Annotated[Transport, typer.Option("--transport", case_sensitive=False)] = "udp",
    username: Annotated[str | None, typer.Option("--username")] = None,
    password: Annotated[str | None, typer.Option("--password")] = None,
    register: Annotated[
        bool, typer.Option("--register", help="REGISTER with the trunk (and refresh).")
    ] = False,
    from_domain: Annotated[str | None, typer.Option("--from-domain")] = None,
    app: Annotated[
        str | None, typer.Option("--app", help="Owner application's API key (none: shared).")
    ] = None,
    max_concurrent: Annotated[int, typer.Option("--max-concurrent")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Add a SIP trunk (the password is stored encrypted)."""
    platform = _platform()
    account_id = _application(platform, app).account_id if app else None
    try:
        with platform.db.transaction() as session:
            trunk = hotline_service.create_trunk(
                session=session,
                box=platform.box,
                host=host,
                port=port,
                transport=transport,
                username=username,
                password=password,
                register=register,
                from_domain=from_domain,
                account_id=account_id,
                max_concurrent=max_concurrent,
                allow_private=platform.settings.sip_allow_private,
            )
            data = hotline_service.trunk_dict(trunk)
    except hotline_service.HotlineError as exc:
        _fail(str(exc))
    _emit({"trunk_id": data["id"], **data}, as_json)


@balance_cli.command("topup")
def balance_topup(
    app: Annotated[str, typer.Option("--app", help="The application's API key.")],
    amount: Annotated[int, typer.Option("--amount", help="Whole đồng to add.")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add prepaid credit to the application's account (campaigns paused for balance resume)."""
    platform = _platform()
    application = _application(platform, app)
    try:
        with platform.db.transaction() as session:
            balance = account_flows.topup(
                session=session, account_id=application.account_id, amount=amount, note=note
            )
    except ValueError as exc:
        _fail(str(exc))
    _emit({"account_id": application.account_id, "balance": balance}, as_json)


@cli.command()
def worker() -> None:
    """Run only the engine (dialer and webhook dispatcher) against the configured database."""
    settings = get_settings()
    # First: a metrics port taken ended the worker after its engine had claimed calls (closed
    # as crashed by another worker, its heartbeat row left behind), as `serve` binds its port.
    try:
        if settings.metrics_port:
            metrics.serve(settings.metrics_port, host=settings.host)
    except metrics.ListenError as exc:
        typer.echo(f"error: AICALL_METRICS_PORT={settings.metrics_port}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        asyncio.run(run_worker(_platform()))
    except SipPortTaken as exc:  # bound before the dialer claims anyone: nothing to undo
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def read(
    value: Annotated[str, typer.Argument(help="The raw value, e.g. 1500000 or 15/04/2024.")],
    reading_type: Annotated[
        ReadingType, typer.Option("--type", case_sensitive=False, help="How the value is read.")
    ] = ReadingType.TEXT,
    dialect: Annotated[Dialect, typer.Option("--dialect", case_sensitive=False)] = Dialect.NORTH,
) -> None:
    """Print how a value is read aloud, in one line."""
    try:
        typer.echo(reading.read(reading_type, value, dialect=dialect))
    except ValueError as exc:
        _fail(str(exc))


def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as exc:  # a bad AICALL_* value: name the variable, not a traceback
        for error in exc.errors():
            name = "AICALL_" + "_".join(str(part) for part in error["loc"]).upper()
            reason = str(error["msg"]).removeprefix("Value error, ")  # pydantic's prefix says nothing
            typer.echo(f"error: {name}={error.get('input')!r}: {reason}", err=True)
        sys.exit(2)
    logs.configure(fmt=settings.log_format, level=settings.log_level, show_phones=settings.log_show_phones)
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
    except StorageError as exc:  # no database here, or one we cannot reach: say which, where
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except DBAPIError as exc:  # the database failed after it opened (server gone, disk full)
        typer.echo(f"error: the database failed: {why(exc)}", err=True)
        sys.exit(2)
