"""`aicall user create | list` (the people who log in to the dashboard), `aicall token`,
`aicall app list`, `aicall balance show` and `aicall voice set-credentials | remove-credentials |
set-asr | clear-asr | show` (an account's TTS vendor credentials and speech recognition)."""

from __future__ import annotations

import json
import re
import shlex
import sys
from datetime import timedelta
from typing import Annotated, Literal, NoReturn, get_args

import typer

from aicall import console
from aicall.accounts import ledger, speech_settings, tokens, voice_credentials
from aicall.accounts import service as account_service
from aicall.accounts import users as user_service
from aicall.bootstrap import open_platform
from aicall.clock import utc_now
from aicall.config import Settings, get_settings
from aicall.errors import ApiError

user_cli = typer.Typer(help="Dashboard users: create and list.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# Choices, so an unknown value is refused naming the allowed ones (exit 2): `--language fr` was
# stored as vi without a word, `voice remove-credentials --engine Vbee` said "none stored".
# The dashboard's languages (dashboard.i18n.LANGUAGES) and speech.selection.VENDORS; a test
# holds them equal.
Language = Literal["vi", "en"]
VoiceVendor = Literal["vbee", "fpt"]
LANGUAGES: tuple[str, ...] = get_args(Language)
VOICE_VENDORS: tuple[str, ...] = get_args(VoiceVendor)
VendorOption = Annotated[
    VoiceVendor, typer.Option("--engine", case_sensitive=False, help="The vendor: vbee or fpt.")
]


@user_cli.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="The login email.")],
    account: Annotated[str, typer.Option("--account", help="The account's id or exact name.")],
    admin: Annotated[bool, typer.Option("--admin", help="May approve and reject scenarios.")] = False,
    password: Annotated[
        str | None,
        typer.Option("--password", help="At least 8 characters; generated and printed if omitted."),
    ] = None,
    language: Annotated[
        Language, typer.Option("--language", case_sensitive=False, help="The dashboard's language.")
    ] = "vi",
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
                language=language,
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


AppOption = Annotated[str, typer.Option("--app", help="The application's API key.")]
_TTL = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def parse_ttl(raw: str) -> timedelta | None:
    """`90s`, `30m`, `1h`, `7d` -> that long; `never` -> None (no `exp` claim)."""
    if raw.strip().lower() == "never":
        return None
    match = _TTL.match(raw.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise typer.BadParameter("use a number and a unit (90s, 30m, 1h, 7d) or 'never'", param_hint="--ttl")
    try:  # a lifetime past year 9999 has no expiry time to write: `never` is that
        lifetime = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        utc_now() + lifetime
    except OverflowError:
        raise typer.BadParameter(
            "too long to have an expiry time; use 'never' for a token that does not expire",
            param_hint="--ttl",
        ) from None
    return lifetime


def token(
    app: AppOption,
    ttl: Annotated[
        str, typer.Option("--ttl", help="How long it is valid: 90s, 30m, 1h, 7d or never.")
    ] = "1h",
    export: Annotated[
        bool, typer.Option("--export", help="Print `export TOKEN=... BASE=...` lines for a shell.")
    ] = False,
) -> None:
    """Print a bearer token for the application's API calls (signed with its API secret)."""
    lifetime = parse_ttl(ttl)
    settings = get_settings()
    platform = open_platform(settings)
    try:
        with platform.db.reading() as session:
            credentials = account_service.credentials_for(session=session, box=platform.box, api_key=app)
    finally:
        platform.db.dispose()
    if credentials is None:
        _fail(f"no application has API key {app}")
    bearer = tokens.issue(api_key=app, api_secret=credentials.api_secret, now=utc_now(), ttl=lifetime)
    if not export:
        typer.echo(bearer)
        return
    # `BASE` is the server's root, as the README and docs write `$BASE/api/v1/public-api/...`:
    # the running server's own address when `aicall serve --port` moved it off AICALL_PORT.
    typer.echo(f"export TOKEN={shlex.quote(bearer)}")
    typer.echo(f"export BASE={shlex.quote(settings.client_url)}")


def list_apps(as_json: JsonFlag = False) -> None:
    """Every application: API key, name, account, webhook URL (never a secret)."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            rows = [
                {
                    "application_id": app.id,
                    "name": app.name,
                    "api_key": app.api_key,
                    "account_id": app.account_id,
                    "account_name": account_name,
                    "webhook_url": app.webhook_url,
                    "created_at": app.created_at.isoformat(),
                }
                for app, account_name in account_service.list_applications(session=session)
            ]
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(rows)
        return
    columns = [
        ("api_key", "API key"),
        ("name", "name"),
        ("account_name", "account"),
        ("webhook_url", "webhook"),
    ]
    console.print_table(rows, columns, empty="no applications (create one: aicall app create --name NAME)")


def show_balance(app: AppOption, as_json: JsonFlag = False) -> None:
    """The application's account balance, what calls in flight hold, and the price (whole đồng)."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            found = account_service.get_by_api_key(session=session, api_key=app)
            if found is None:
                _fail(f"no application has API key {app}")
            data = ledger.summary(session=session, account_id=found.account_id)
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(data)
        return
    console.print_record(data)


voice_cli = typer.Typer(help="Neural voice vendors: an account's own credentials.", no_args_is_help=True)


@voice_cli.command("set-credentials")
def set_voice_credentials(
    account: Annotated[str, typer.Option("--account", help="The account's id or exact name.")],
    engine: VendorOption,
    token: Annotated[str, typer.Option("--token", help="Vbee's token or FPT.AI's API key.")],
    app_id: Annotated[str, typer.Option("--app-id", help="Vbee's app id (Vbee only).")] = "",
    url: Annotated[str, typer.Option("--url", help="The vendor's endpoint, if not its documented one.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Store an account's TTS vendor credentials (sealed); its calls and previews use them."""
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            found = user_service.find_account(session=session, ref=account)
            if found is None:
                raise typer.BadParameter(f"no account with id or name {account!r}", param_hint="--account")
            row = voice_credentials.set_credentials(
                session=session,
                box=platform.box,
                account_id=found.id,
                engine=engine,
                token=token,
                app_id=app_id,
                url=url,
            )
            data: dict[str, object] = {
                "account_id": found.id,
                "account_name": found.name,
                "engine": row.engine,
                "app_id": row.app_id,
                "url": row.url or "(the vendor's)",
            }
    except ApiError as exc:
        _fail(exc.message)
    if as_json:
        console.print_json(data)
    else:
        console.print_record(data)


@voice_cli.command("remove-credentials")
def remove_voice_credentials(
    account: Annotated[str, typer.Option("--account", help="The account's id or exact name.")],
    engine: VendorOption,
) -> None:
    """Forget an account's credentials for a vendor: the platform's apply again."""
    platform = open_platform(get_settings())
    with platform.db.transaction() as session:
        found = user_service.find_account(session=session, ref=account)
        if found is None:
            raise typer.BadParameter(f"no account with id or name {account!r}", param_hint="--account")
        removed = voice_credentials.remove_credentials(session=session, account_id=found.id, engine=engine)
    typer.echo("removed" if removed else "none stored")


def _asr_record(read: speech_settings.SpeechSettingsRead | None, settings: Settings) -> dict[str, object]:
    """What may be shown of an account's recogniser settings, never the key: `asr_engine` and
    `asr_timeout_seconds` are null where the platform's (`asr_platform_*`) apply."""
    return {
        "asr_engine": (read.engine or None) if read else None,
        "asr_platform_engine": settings.asr_engine,
        "asr_base_url": read.base_url if read else "",
        "asr_model": read.model if read else "",
        "asr_timeout_seconds": read.timeout if read else None,
        "asr_platform_timeout_seconds": settings.asr_timeout,
        "asr_api_key_set": read.api_key_set if read else False,
        "asr_api_key_last4": read.api_key_hint if read else "",
    }


@voice_cli.command("set-asr")
def set_asr(
    account: Annotated[str, typer.Option("--account", help="The account's id or exact name.")],
    engine: Annotated[
        str, typer.Option("--engine", help="openai, fpt, none (no recognition) or platform (the platform's).")
    ],
    base_url: Annotated[
        str, typer.Option("--base-url", help="openai: the server (…/v1); fpt: the endpoint, if not FPT.AI's.")
    ] = "",
    api_key_stdin: Annotated[
        bool,
        typer.Option(
            "--api-key-stdin", help="Read the API key from standard input (kept out of ps and history)."
        ),
    ] = False,
    remove_api_key: Annotated[
        bool, typer.Option("--remove-api-key", help="Forget the stored API key.")
    ] = False,
    model: Annotated[str, typer.Option("--model", help="openai only; whisper-1 if omitted.")] = "",
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", help="Seconds a call waits for a recognition (1-60); the platform's if omitted."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Set an account's speech recognition (the key sealed; without a key option the stored one is kept)."""
    if api_key_stdin and remove_api_key:
        raise typer.BadParameter(
            "give one of --api-key-stdin and --remove-api-key", param_hint="--api-key-stdin"
        )
    api_key: str | None = None
    if api_key_stdin:
        api_key = sys.stdin.readline().strip()
        if not api_key:
            _fail("--api-key-stdin: standard input held no key")
    elif remove_api_key:
        api_key = ""
    settings = get_settings()
    platform = open_platform(settings)
    try:
        with platform.db.transaction() as session:
            found = user_service.find_account(session=session, ref=account)
            if found is None:
                raise typer.BadParameter(f"no account with id or name {account!r}", param_hint="--account")
            read = speech_settings.set_asr(
                session=session,
                box=platform.box,
                account_id=found.id,
                engine=engine,
                base_url=base_url,
                api_key=api_key,
                model=model,
                timeout=timeout,
            )
            data = {
                "account_id": found.id,
                "account_name": found.name,
                **_asr_record(read, settings),
            }
    except ApiError as exc:
        _fail(exc.message)
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(data)
    else:
        console.print_record(data)


@voice_cli.command("clear-asr")
def clear_asr(
    account: Annotated[str, typer.Option("--account", help="The account's id or exact name.")],
) -> None:
    """Forget an account's speech recognition settings: the platform's apply again."""
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            found = user_service.find_account(session=session, ref=account)
            if found is None:
                raise typer.BadParameter(f"no account with id or name {account!r}", param_hint="--account")
            cleared = speech_settings.clear_asr(session=session, account_id=found.id)
    finally:
        platform.db.dispose()
    typer.echo("cleared" if cleared else "none stored")


@voice_cli.command("show")
def show_voice(
    account: Annotated[str, typer.Option("--account", help="The account's id or exact name.")],
    as_json: JsonFlag = False,
) -> None:
    """An account's voice settings: which TTS vendors have its own credentials, and its recogniser.
    Keys and tokens are never shown (only whether set, and a key's last 4 characters)."""
    settings = get_settings()
    platform = open_platform(settings)
    try:
        with platform.db.reading() as session:
            found = user_service.find_account(session=session, ref=account)
            if found is None:
                raise typer.BadParameter(f"no account with id or name {account!r}", param_hint="--account")
            vendors = [
                row.engine
                for row in voice_credentials.stored(session=session, box=platform.box, account_id=found.id)
            ]
            read = speech_settings.read(session=session, box=platform.box, account_id=found.id)
            data: dict[str, object] = {
                "account_id": found.id,
                "account_name": found.name,
                "tts_own_credentials": ", ".join(vendors) or "none (the platform's)",
                **_asr_record(read, settings),
            }
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(data)
    else:
        console.print_record(data)
