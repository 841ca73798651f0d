"""Opening the platform's storage: settings -> migrated database + secret box.

Only `aicall init` and `aicall serve` create a database (`create=True`). Every other command
opens the one that exists, and says where it looked when there is none: run from the wrong
directory, it must not quietly start a new, empty platform beside the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database
from aicall.webhooks import outbox

__all__ = ["DatabaseUnreachable", "NoDatabase", "Platform", "StorageError", "describe", "open_platform"]

_HOW_TO_POINT = "--data-dir DIR (or AICALL_DATA_DIR), or AICALL_DATABASE_URL"


class StorageError(Exception):
    """The database cannot be used; the message is one line for people (the CLI exits 2)."""


class NoDatabase(StorageError):
    """Nothing to open where the settings point, and this command does not create."""


class DatabaseUnreachable(StorageError):
    """A database URL that is malformed, names an unknown driver, or whose server refuses us."""


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
    return Platform(settings=settings, db=db, box=SecretBox(settings.ensure_secret_key()))


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
