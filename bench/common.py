"""Helpers the benchmarks share: throw-away databases, a real `aicall serve`, tenants, numbers, tables.

Benchmarks never assert on timings: they print medians of several runs beside a baseline measured
in the same run, because the machines are noisy and only the ratios carry over between them.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
from sqlalchemy import Engine, create_engine, text

import aicall
from aicall.accounts import service as account_service
from aicall.accounts.secrets_box import SecretBox
from aicall.campaigns import service as campaign_service
from aicall.db import migrate
from aicall.db.engine import Database

__all__ = [
    "ADD_CONTACTS_PATH",
    "BACKENDS",
    "PhoneNumbers",
    "Server",
    "Tenant",
    "cpu_seconds",
    "machine_note",
    "median",
    "new_campaign",
    "new_tenant",
    "percentile",
    "print_table",
    "running_server",
    "temp_database",
]

ADD_CONTACTS_PATH = "/api/v1/public-api/campaign"
BACKENDS = ("sqlite", "postgresql")
POSTGRES_ADMIN_URL = os.environ.get(
    "AICALL_BENCH_POSTGRES_URL",
    os.environ.get("AICALL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
# The server and the bench process must agree on it: the bench seals the API secret it creates.
SECRET_KEY = "bench-secret-key-not-for-production"


# --- databases ---------------------------------------------------------------------------------


def _admin_engine() -> Engine:
    return create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )


@contextlib.contextmanager
def temp_database(backend: str) -> Iterator[Database]:
    """A migrated, empty database that is gone afterwards: an SQLite file in a temp dir (WAL, as
    `Database` configures it) or a PostgreSQL database created for the run and dropped at the end."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="aicall-bench-") as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'aicall.db'}")
            try:
                migrate.upgrade(db.engine)
                yield db
            finally:
                db.dispose()
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    name = f"aicall_bench_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        migrate.upgrade(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextlib.contextmanager
def running_server(db: Database) -> Iterator[Server]:
    """`aicall serve` on a free loopback port, in its own process (so the client does not share
    its GIL), exactly as an operator runs it: access log on, engine off."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir:
        env = {
            **os.environ,
            "AICALL_DATABASE_URL": db.url,
            "AICALL_SECRET_KEY": SECRET_KEY,
            "AICALL_DATA_DIR": data_dir,
            "AICALL_RUN_ENGINE": "false",  # no dialer competing for the CPU
        }
        log_path = Path(data_dir) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "aicall", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                _wait_until_up(url, process, log_path)
                yield Server(url=url, pid=process.pid)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc; NaN elsewhere). Less disturbed by a
    busy machine than wall time, so it shows the server's own cost beside the rates."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{log_path.read_text()[-4000:]}")


# --- tenants and contacts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    application_id: str
    api_key: str
    api_secret: str

    def headers(self) -> dict[str, str]:
        """What a customer sends: an HS256 JWT of `{apiKey}` signed with the API secret."""
        token = jwt.encode({"apiKey": self.api_key}, self.api_secret, algorithm="HS256")
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def new_tenant(db: Database, name: str = "Bench") -> Tenant:
    with db.transaction() as session:
        account = account_service.create_account(session=session, name=name)
        new = account_service.create_application(
            session=session, box=SecretBox(SECRET_KEY), account_id=account.id, name=name
        )
    return Tenant(new.application.id, new.application.api_key, new.api_secret)


def new_campaign(db: Database, tenant: Tenant, name: str) -> str:
    with db.transaction() as session:
        campaign = campaign_service.create_campaign(
            session=session, application_id=tenant.application_id, name=name
        )
        return campaign.id


class PhoneNumbers:
    """Distinct valid Viettel mobiles (098xxxxxxx): none is a duplicate, and none is in the
    normaliser's cache, as in a first import of a customer's list."""

    def __init__(self, start: int = 0) -> None:
        self._next = start

    def take(self, count: int) -> list[int]:
        first = self._next
        self._next += count
        if self._next > 10**7:
            raise RuntimeError("ran out of 098xxxxxxx numbers")
        return list(range(first, first + count))

    @staticmethod
    def national(n: int) -> str:
        return f"098{n:07d}"

    @staticmethod
    def e164(n: int) -> str:
        return f"+8498{n:07d}"


# --- statistics and output ---------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, so the output pastes into docs/benchmarks.md as it is."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in cells[1:]:
        print(line(row))
    sys.stdout.flush()


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _source() -> str:
    """Which aicall is measured: the commit of its checkout (`+dirty` with local changes)."""
    package = Path(aicall.__file__).parent
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=package
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True,
            text=True,
            check=True,
            cwd=package,
        ).stdout.strip()
        return f"commit {head}{'+dirty' if dirty else ''}"
    return f"aicall from {package}"


def _postgres_version() -> str:
    with contextlib.suppress(Exception):
        admin = _admin_engine()
        try:
            with admin.connect() as conn:
                return str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
        finally:
            admin.dispose()
    return "unreachable"


def machine_note() -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_source()}, {os.cpu_count()} cores ({_cpu_model()}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {_postgres_version()}, load average {os.getloadavg()[0]:.1f} at start; "
        f"server = `aicall serve` (uvicorn, 1 process) on 127.0.0.1, client in another process"
    )
