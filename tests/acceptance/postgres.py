"""A PostgreSQL server of its own for a test that restarts it: initdb and pg_ctl from the
installed packages, a free port, a temporary directory. The shared server other tests use is
never touched. Needs the server binaries (Debian `postgresql`); run as root, the server runs as
the `postgres` user (initdb refuses root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.acceptance.support import free_port


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@dataclass
class Server:
    bin: Path
    data: Path
    port: int
    user: str | None  # run the server as this user (None: as ourselves)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._run(
            "pg_ctl", "-D", str(self.data / "db"), "-o", options, "-l", str(self.data / "log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast`: sessions are terminated (57P01), as a restart by systemd does."""
        self._run("pg_ctl", "-D", str(self.data / "db"), "-m", mode, "-w", "stop")


@contextmanager
def dedicated_postgres() -> Iterator[Server]:
    binaries = _binaries()
    if binaries is None:
        message = "the PostgreSQL server binaries are not installed"
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (AICALL_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    user = "postgres" if os.geteuid() == 0 else None
    if user is not None and (shutil.which("runuser") is None or not _has_user(user)):
        pytest.skip("running as root without a postgres user to run the server as")
    data = Path(tempfile.mkdtemp(prefix="aicall-pg-"))
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(data, entry.pw_uid, entry.pw_gid)
        server = Server(binaries, data, free_port(), user)
        server._run(
            "initdb", "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8", timeout=120
        )
        server.start()
        try:
            yield server
        finally:
            subprocess.run(
                [
                    *(["runuser", "-u", user, "--"] if user else []),
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data / "db"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                check=False,
                capture_output=True,
                timeout=60,
            )
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
