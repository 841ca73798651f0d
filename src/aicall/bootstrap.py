"""Opening the platform's storage: settings -> migrated database + secret box.

Only `aicall init` and `aicall serve` create a database (`create=True`). Every other command
opens the one that exists, and says where it looked when there is none: run from the wrong
directory, it must not quietly start a new, empty platform beside the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database
from aicall.webhooks import outbox

__all__ = [
    "DatabaseUnreachable",
    "NoDatabase",
    "Platform",
    "StorageError",
    "WrongSecretKey",
    "describe",
    "open_platform",
]

_HOW_TO_POINT = "--data-dir DIR (or AICALL_DATA_DIR), or AICALL_DATABASE_URL"


class StorageError(Exception):
    """The database cannot be used; the message is one line for people (the CLI exits 2)."""


class NoDatabase(StorageError):
    """Nothing to open where the settings point, and this command does not create."""


class DatabaseUnreachable(StorageError):
    """A database URL that is malformed, names an unknown driver, or whose server refuses us."""


class WrongSecretKey(StorageError):
    """The secret key cannot open the secrets this database holds sealed (another key sealed
    them), or is the example file's placeholder. Every process of one database needs the one key
    that sealed its secrets: with another, a worker could not sign webhooks nor the API check a
    token (docs/deploy.md)."""


# Applications' sealed API secrets (accounts.models.Application): every application has one, so
# the first row says whether this process's key is the database's. A plain table: no ORM needed.
_SEALED = table("applications", column("api_secret_encrypted"))
_PLACEHOLDER = "CHANGE-ME"  # deploy/aicall.env.example's value, meant to be replaced


@dataclass
class Platform:
    settings: Settings
    db: Database
    box: SecretBox


def describe(url: URL) -> str:
    """Where a URL points, for people, never with its password: `the SQLite file /x/aicall.db`,
    `PostgreSQL at db.local:5432, database aicall, user app`."""
    if url.get_backend_name() == "sqlite":
        return f"the SQLite file {Path(url.database or '').resolve()}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    return (
        f"PostgreSQL at {where}, database {url.database or '(default)'}, user {url.username or '(default)'}"
    )


def open_platform(settings: Settings, *, create: bool = False, run_migrations: bool = True) -> Platform:
    """Open (with `create`: create) the database, bring its schema up to date, load the key.

    Raises NoDatabase when there is none and `create` is False; DatabaseUnreachable for a bad
    URL or a server that cannot be used (its reason in words: refused, wrong password, ...).
    """
    raw = settings.resolved_database_url
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseUnreachable(
            f"AICALL_DATABASE_URL is not a database URL ({_redacted(raw)}); "
            "use postgresql://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnreachable(
            f"AICALL_DATABASE_URL names {url.get_backend_name()}; aicall runs on PostgreSQL "
            "(postgresql://USER:PASSWORD@HOST:5432/NAME) or SQLite (sqlite:///PATH)"
        )
    if url.get_backend_name() == "sqlite" and not create:
        path = Path(url.database or "")
        if url.database not in (None, "", ":memory:") and not path.exists():
            raise NoDatabase(
                f"no database: {describe(url)} does not exist (data directory "
                f"{settings.data_dir.resolve()}); create one with `aicall init`, or point to yours "
                f"with {_HOW_TO_POINT}"
            )
    if create:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        db = Database(raw, synchronous=settings.sqlite_synchronous)
        outbox.set_notify(db, settings.pg_notify)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUnreachable(f"cannot use {_redacted(raw)}: {exc}") from None
    try:
        if not create and not inspect(db.engine).has_table("alembic_version"):
            raise NoDatabase(
                f"no aicall database in {describe(url)}; create one with `aicall init`, "
                f"or point to yours with {_HOW_TO_POINT}"
            )
        if run_migrations:
            migrate.upgrade(db.engine)
    except DBAPIError as exc:
        db.dispose()
        raise DatabaseUnreachable(f"cannot use {describe(url)}: {why(exc)}") from None
    except StorageError:
        db.dispose()
        raise
    try:
        box = _checked_box(settings, db)
    except Exception:
        db.dispose()
        raise
    return Platform(settings=settings, db=db, box=box)


def _checked_box(settings: Settings, db: Database) -> SecretBox:
    """The secret box of this process's key, after one sealed secret of the database opened with
    it. Raises WrongSecretKey naming where the key came from (AICALL_SECRET_KEY or the data
    directory's secret.key); a database with no application yet holds nothing to check."""
    source = "AICALL_SECRET_KEY" if settings.secret_key else f"{settings.data_dir.resolve() / 'secret.key'}"
    key = settings.ensure_secret_key()
    if _PLACEHOLDER in key:
        raise WrongSecretKey(
            f"{source} is still the example's placeholder ({key!r}): set it to a random value, e.g. "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`, the same for every process"
        )
    box = SecretBox(key)
    try:
        if not inspect(db.engine).has_table("applications"):
            return box  # not migrated (run_migrations=False on a new database): nothing sealed yet
        with db.reading() as session:
            sealed = session.scalars(select(_SEALED.c.api_secret_encrypted).limit(1)).first()
    except DBAPIError as exc:
        raise DatabaseUnreachable(f"cannot use the database: {why(exc)}") from None
    if sealed:
        try:
            box.open(sealed)
        except RuntimeError:
            raise WrongSecretKey(
                f"the secret key ({source}) is not the one this database's secrets were sealed with: "
                "every process of one database needs the same key (AICALL_SECRET_KEY, or the first "
                "data directory's secret.key); see docs/deploy.md"
            ) from None
    return box


def why(exc: DBAPIError) -> str:
    """A driver's error as the one reason a person can act on."""
    text = str(exc.orig or exc).strip()
    lowered = text.lower()
    for needle, reason in (
        ("password authentication failed", "wrong user name or password"),
        ("no password supplied", "the server wants a password and the URL has none"),
        ("connection refused", "the server refused the connection (is PostgreSQL running there?)"),
        ("could not translate host name", "unknown host name"),
        ("name or service not known", "unknown host name"),
        ("timeout expired", "the server did not answer in time"),
        ("does not exist", text.splitlines()[-1].split("FATAL:")[-1].strip()),
        ("unable to open database file", "the SQLite file cannot be opened (directory or permissions)"),
    ):
        if needle in lowered:
            return reason
    return text.splitlines()[-1] if text else type(exc.orig).__name__


def _redacted(raw: str) -> str:
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable)"
