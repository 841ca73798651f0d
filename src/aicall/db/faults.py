"""Faults of the storage under the database, named so that a person can act on them.

A write that fails because the disk is full, the file or its filesystem is read-only, the disk
fails or the PostgreSQL server is gone is not a bug of the request: the API answers 503 with
the reason (`web/envelope.py`), the engine keeps its results in memory and retries until the
database can be written again (`dialer/scheduler.py`), and both say so in the log once per
outage, not once per retry (`Outage`). docs/reliability.md has the table of faults tried.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError

from aicall.observability.logging import get_logger

__all__ = ["Outage", "sqlite_path", "storage_fault"]

# SQLite's messages (sqlite3.OperationalError) and what they mean here.
_SQLITE = (
    ("database or disk is full", "the database's disk is full"),
    ("readonly database", "the database is read-only (file permissions or a read-only filesystem)"),
    ("disk i/o error", "the database's disk failed (I/O error)"),
    ("unable to open database file", "the database file cannot be opened"),
    ("database is locked", "the database stayed locked by another writer past the busy timeout"),
)
# PostgreSQL's SQLSTATE classes and codes (psycopg errors carry `sqlstate`).
_POSTGRES_CODES = {
    "53100": "the database server's disk is full",
    "53300": "the database server has no connection left (max_connections)",
    "25006": "the database is read-only (a standby, or default_transaction_read_only)",
    "57P01": "the database server is shutting down or restarting",
    "57P02": "the database server is shutting down or restarting",
    "57P03": "the database server is starting up",
}
_POSTGRES_GONE = "the database server cannot be reached (down or restarting)"


def storage_fault(exc: BaseException, *, path: Path | None = None) -> str | None:
    """Why the database could not do its work, when the cause is the storage (see the module
    docstring); None for any other error. `path`: the SQLite file, to tell a read-only
    filesystem behind an I/O error."""
    if isinstance(exc, DisconnectionError):
        return _POSTGRES_GONE
    if not isinstance(exc, DBAPIError):
        return None
    original = exc.orig
    code = getattr(original, "sqlstate", None)
    if isinstance(code, str):
        if code in _POSTGRES_CODES:
            return _POSTGRES_CODES[code]
        if code.startswith("08"):  # connection exceptions
            return _POSTGRES_GONE
    if exc.connection_invalidated:
        return _POSTGRES_GONE
    text = str(original or exc).lower()
    for needle, reason in _SQLITE:
        if needle in text:
            if needle == "disk i/o error" and path is not None and _read_only(path):
                return _SQLITE[1][1]
            return reason
    if (
        "server closed the connection" in text
        or "connection refused" in text
        or "terminating connection" in text
    ):
        return _POSTGRES_GONE
    return None


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _read_only(path: Path) -> bool:
    """Whether the file's directory refuses a new file as read-only. statvfs alone would miss
    ext4's emergency read-only state after an error (writes fail, the flag is not set)."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=".aicall-probe-")
    except OSError as exc:
        return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return False


class Outage:
    """Says once that `work` cannot reach the database, and once that it can again: a loop
    retrying every half second must not write a traceback every half second."""

    def __init__(self, work: str, *, path: Path | None = None, logger: str = "aicall.db") -> None:
        self.work = work
        self.path = path
        self.reason: str | None = None
        self._log = get_logger(logger)

    def failed(self, exc: BaseException) -> bool:
        """True (and logged when it starts) if `exc` is a storage fault; False for anything else."""
        reason = storage_fault(exc, path=self.path)
        if reason is None:
            return False
        if reason != self.reason:
            self._log.error("database unavailable", work=self.work, reason=reason, error=str(exc)[:300])
        self.reason = reason
        return True

    def recovered(self) -> None:
        if self.reason is not None:
            self._log.warning("database available again", work=self.work, was=self.reason)
            self.reason = None
