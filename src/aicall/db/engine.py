"""Engine and sessions: SQLite (WAL, one file under data_dir) or PostgreSQL."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, immediate: bool = True, synchronous: str = "normal") -> Engine:
    """An engine for `url`; on SQLite `synchronous` is the pragma (`normal` or `full`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine, immediate=immediate, synchronous=synchronous)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # A server that drops our packets must fail in seconds, with a reason, not hang a command.
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, connect_args={"connect_timeout": 10}
    )


def _create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600, like the secret key): it holds
    customers' contacts and sealed secrets. SQLite gives the -wal and -shm files it adds the
    permissions of the database file. A file that exists keeps the mode its owner gave it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)  # an empty file is a new database to SQLite


def _configure_sqlite(engine: Engine, *, immediate: bool, synchronous: str) -> None:
    if synchronous not in ("normal", "full"):
        raise ValueError(f"synchronous must be normal or full, not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE works (see `write_session`).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a commit survives a crash or kill of aicall, not an OS crash, a power cut or a
        # filesystem that turns read-only (the last commits before it roll back; the database
        # stays consistent). FULL: every commit is on disk before it is acknowledged, at the
        # cost of an fsync per commit (AICALL_SQLITE_SYNCHRONOUS, docs/reliability.md).
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes the write lock up front: SQLite cannot upgrade a read
        # transaction to a write one under WAL without failing with SQLITE_BUSY, so a
        # read-then-write service would fail under concurrency. Writers queue instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, synchronous: str = "normal") -> None:
        self.url = url
        self.engine = make_engine(url, synchronous=synchronous)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite readers run beside the writer under WAL; they must not queue for its lock.
        self.read_engine = (
            make_engine(url, immediate=False, synchronous=synchronous)
            if self.dialect == "sqlite"
            else self.engine
        )
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        # SQLite has one writer at a time. A writer that finds the lock taken sleeps in SQLite's
        # busy handler, in steps of up to 100 ms whenever the lock is freed meanwhile: the dialer's
        # claims and result stores (two threads) lost half their rate to those sleeps
        # (docs/benchmarks.md, issue 13). Writers of this process queue on this lock instead and
        # start the moment it is free; other processes still meet the busy handler.
        self._write_lock = threading.RLock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on error."""
        if self._write_lock is None:
            with self.sessions() as session, session.begin():
                yield session
            return
        with self._write_lock, self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (on SQLite it does not take the write lock)."""
        with self.read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
