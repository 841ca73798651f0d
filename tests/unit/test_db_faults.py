"""Storage faults are told apart from other database errors, and named for a person."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from aicall.db.faults import Outage, sqlite_path, storage_fault


def wrapped(orig: Exception) -> OperationalError:
    return OperationalError("INSERT ...", {}, orig)


@dataclass
class PgError(Exception):
    """What psycopg's errors carry: the SQLSTATE."""

    sqlstate: str


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("database or disk is full", "the database's disk is full"),
        (
            "attempt to write a readonly database",
            "the database is read-only (file permissions or a read-only filesystem)",
        ),
        ("disk I/O error", "the database's disk failed (I/O error)"),
        ("database is locked", "the database stayed locked by another writer past the busy timeout"),
    ],
)
def test_sqlite_faults_are_named(message, reason):
    assert storage_fault(wrapped(sqlite3.OperationalError(message))) == reason


@pytest.mark.parametrize(
    ("sqlstate", "reason"),
    [
        ("53100", "the database server's disk is full"),
        ("25006", "the database is read-only (a standby, or default_transaction_read_only)"),
        ("57P01", "the database server is shutting down or restarting"),
        ("08006", "the database server cannot be reached (down or restarting)"),
    ],
)
def test_postgresql_faults_are_named_by_sqlstate(sqlstate, reason):
    assert storage_fault(wrapped(PgError(sqlstate))) == reason


def test_other_database_errors_are_not_storage_faults():
    assert (
        storage_fault(IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed")))
        is None
    )
    assert storage_fault(wrapped(PgError("42P01"))) is None  # undefined table: a bug, not the disk
    assert storage_fault(ValueError("database or disk is full")) is None


def test_an_io_error_on_a_directory_that_refuses_files_reads_as_read_only(tmp_path: Path):
    missing = tmp_path / "gone" / "aicall.db"  # its directory cannot take a file either
    assert storage_fault(wrapped(sqlite3.OperationalError("disk I/O error")), path=missing) is not None


def test_sqlite_path_of_urls():
    assert sqlite_path("sqlite:////var/lib/aicall/aicall.db") == Path("/var/lib/aicall/aicall.db")
    assert sqlite_path("postgresql://u@h/db") is None
    assert sqlite_path("sqlite://") is None


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(capsys):
    outage = Outage("call results")
    full = wrapped(sqlite3.OperationalError("database or disk is full"))
    assert outage.failed(full) and outage.failed(full) and outage.failed(full)
    assert not outage.failed(ValueError("a bug"))
    outage.recovered()
    outage.recovered()
    out = capsys.readouterr()
    text = out.out + out.err
    assert text.count("database unavailable") == 1
    assert text.count("database available again") == 1
