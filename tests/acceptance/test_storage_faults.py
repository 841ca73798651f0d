"""The SQLite file's disk full, and its filesystem turned read-only, under a running `aicall
serve` (issue 13): the API answers 503 with the reason in its envelope and says it once in the
log, reads still work, results of calls that ended meanwhile wait in memory and are stored once
the disk has room again, nothing is corrupted (`PRAGMA integrity_check`), and the counts of
contacts, attempts and the ledger are exact afterwards.

Real faults, not mocks: a tmpfs of a few MB that a file fills (ENOSPC), and an ext4 image on a
loop device mounted `errors=remount-ro` whose error is triggered through sysfs, as the kernel
does after an I/O error. Both need root (CI runs as root); without it they are skipped, or fail
when AICALL_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from aicall.dialer.recovery import LOST_CALL_ERROR
from tests.acceptance.platform import Demo, wait_until, write_rules
from tests.acceptance.support import bearer, clean_env, free_port, running, wait_for_http

CALLS = [f"+849123450{n}0" for n in range(3)]  # answer at once, hang up after 4 s
RULES = [{"number": p, "ring": 0.1, "keys": [], "hangup_after": 4} for p in CALLS]


def need_root(what: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        message = f"{what} needs root and mount(8)"
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (AICALL_REQUIRE_TOOLS=1)")
        pytest.skip(message)


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)


@contextmanager
def mounted_tmpfs(path: Path, size: str) -> Iterator[Path]:
    need_root("a tmpfs of a chosen size")
    path.mkdir()
    run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=60)


def make_ext4(image: Path) -> Path:
    need_root("an ext4 image on a loop device")
    if not (shutil.which("mkfs.ext4") and Path("/dev/loop-control").exists()):
        message = "no mkfs.ext4 or no loop devices here"
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (AICALL_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    with image.open("wb") as file:
        file.truncate(64 * 1024 * 1024)
    run("mkfs.ext4", "-q", "-F", str(image))
    return image


@contextmanager
def mounted_ext4(image: Path, path: Path) -> Iterator[Path]:
    """`image` mounted at `path` as a server's disk is: an error turns it read-only."""
    path.mkdir(exist_ok=True)
    run("mount", "-o", "loop,errors=remount-ro", str(image), str(path))
    try:
        yield path
    finally:
        # Lazily if a process still holds it (a failed test): never leave the mount behind.
        if subprocess.run(["umount", str(path)], check=False, capture_output=True, timeout=60).returncode:
            subprocess.run(["umount", "-l", str(path)], check=False, timeout=60)


def make_read_only(path: Path) -> None:
    """What ext4 does after an I/O error with errors=remount-ro: the filesystem turns read-only
    under the processes that have it open."""
    device = subprocess.run(
        ["findmnt", "-n", "-o", "SOURCE", str(path)], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()
    Path(f"/sys/fs/ext4/{os.path.basename(device)}/trigger_fs_error").write_text("aicall test")
    wait_until(lambda: refuses_writes(path), timeout=30, what="the filesystem read-only")


def refuses_writes(path: Path) -> bool:
    try:
        (path / "probe").write_bytes(b"x")
    except OSError as exc:
        return exc.errno == errno.EROFS
    return False


def fill(path: Path) -> Path:
    """A file that takes every free byte of the filesystem at `path`."""
    filler = path / "filler"
    chunk = b"\0" * (1024 * 1024)
    with filler.open("wb") as file:
        for _ in range(4096):  # bounded: far more than the few MB mounted
            try:
                file.write(chunk)
                file.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return filler
    raise AssertionError(f"{path} never filled up")


def platform(tmp_path: Path, data_dir: Path, **extra: str) -> tuple[Demo, str, dict[str, str]]:
    port = free_port()
    env = clean_env(
        **extra,
        AICALL_DATA_DIR=str(data_dir / "var"),
        AICALL_PORT=str(port),
        AICALL_SIM_TIME_SCALE="1",
        AICALL_SIM_RULES=str(write_rules(tmp_path / "phones.json", RULES)),
        AICALL_TTS_ENGINE="none",
        AICALL_DIALER_TICK="0.2",
        AICALL_DIALER_HEARTBEAT="0.5",
        AICALL_SHUTDOWN_GRACE="1",
    )
    demo = Demo.init(tmp_path, env)
    headers = bearer(demo.keys["api_key"], demo.keys["api_secret"])
    return demo, f"http://127.0.0.1:{port}", headers


def add(base: str, headers: dict[str, str], demo: Demo, phones: list[str]) -> requests.Response:
    body = {
        "campaign_id": demo.keys["campaign_id"],
        "contacts": [{"phone_number": p, "ho_ten": "Lan", "so_tien": "1000"} for p in phones],
    }
    return requests.post(f"{base}/api/v1/public-api/campaign", json=body, headers=headers, timeout=120)


def integrity(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def test_disk_full_is_a_clear_503_and_the_engine_resumes_when_space_is_back(tmp_path):
    with mounted_tmpfs(tmp_path / "disk", "24m") as disk:
        demo, base, headers = platform(tmp_path, disk)
        balance = demo.account().balance
        with running(["serve"], tmp_path, demo.env, "serve.log") as server:
            wait_for_http(base + "/healthz")
            assert add(base, headers, demo, CALLS).status_code == 200
            wait_until(lambda: len(demo.attempts()) == 3, timeout=30, what="calls started")

            filler = fill(disk)  # the calls are live; they end in 4 s, with no room to store them
            big = [f"09{n:08d}" for n in range(10_000)]
            refused = add(base, headers, demo, big)
            assert refused.status_code == 503
            assert refused.json() == {
                "status": 0,
                "code": 503,
                "message": "Service unavailable: the database's disk is full; nothing was stored, "
                "try again later",
            }
            assert refused.headers["Retry-After"] == "5"
            # Reads still work; the results of the calls that ended wait for room.
            shown = requests.get(
                f"{base}/api/v1/public-api/campaigns/{demo.keys['campaign_id']}", headers=headers, timeout=30
            )
            assert shown.status_code == 200
            time.sleep(5.0)  # the calls have ended by now
            assert all(a.status == "in_progress" for a in demo.attempts())

            filler.unlink()  # room again
            wait_until(
                lambda: all(a.status == "finished" for a in demo.attempts()),
                timeout=30,
                what="results stored",
            )
            assert add(base, headers, demo, ["+84912345999"]).status_code == 200
            wait_until(lambda: len(demo.attempts()) == 4, timeout=30, what="dialling again")
            wait_until(
                lambda: all(a.status == "finished" for a in demo.attempts()), timeout=30, what="4th call"
            )
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        log = (tmp_path / "serve.log").read_text()
        assert "database unavailable" in log and "disk is full" in log
        assert "Traceback" not in log  # said, not dumped

        attempts = demo.attempts()
        contacts = demo.contacts()
        assert len(contacts) == 4  # the refused import added nothing
        assert len(attempts) == 4 and len({a.contact_id for a in attempts}) == 4
        assert all(a.outcome == "answered" and a.error is None for a in attempts)
        assert all(c.status == "done" and c.attempts == 1 for c in contacts)
        account = demo.account()
        assert account.reserved == 0
        assert balance - account.balance == sum(a.cost for a in attempts) > 0
        demo.db.dispose()
        assert integrity(disk / "var" / "aicall.db") == "ok"


def test_a_filesystem_turned_read_only_is_a_clear_503_and_nothing_is_corrupted(tmp_path):
    image = make_ext4(tmp_path / "disk.img")
    with mounted_ext4(image, tmp_path / "disk") as disk:
        # Every commit on disk before it is acknowledged: what was stored survives the failed
        # filesystem (with `normal` the last commits before the fault roll back, consistently).
        demo, base, headers = platform(tmp_path, disk, AICALL_SQLITE_SYNCHRONOUS="full")
        balance = demo.account().balance
        with running(["serve"], tmp_path, demo.env, "serve.log") as server:
            wait_for_http(base + "/healthz")
            assert add(base, headers, demo, CALLS).status_code == 200
            wait_until(lambda: len(demo.attempts()) == 3, timeout=30, what="calls started")
            make_read_only(disk)

            refused = add(base, headers, demo, ["+84912345998"])
            assert refused.status_code == 503
            message = refused.json()["message"]
            assert message.startswith("Service unavailable: the database is read-only"), message
            shown = requests.get(
                f"{base}/api/v1/public-api/campaigns/{demo.keys['campaign_id']}", headers=headers, timeout=30
            )
            assert shown.status_code == 200
            server.send_signal(signal.SIGTERM)  # results cannot be stored: given up after 10 s
            server.wait(timeout=60)
        log = (tmp_path / "serve.log").read_text()
        assert "database unavailable" in log and "read-only" in log
        demo.db.dispose()

    # The operator repairs the filesystem; the database is whole, and the engine settles by the
    # crash rule the calls whose results the read-only disk kept it from storing.
    subprocess.run(["e2fsck", "-f", "-y", str(image)], check=False, capture_output=True, timeout=120)
    with mounted_ext4(image, tmp_path / "disk") as disk:
        assert integrity(disk / "var" / "aicall.db") == "ok"
        with running(["worker"], tmp_path, demo.env, "worker.log"):
            wait_until(
                lambda: all(a.status == "finished" for a in demo.attempts()), timeout=60, what="reconciled"
            )
        attempts = demo.attempts()
        assert len(attempts) == 3 and len(demo.contacts()) == 3  # the refused contact was not added
        assert all((a.outcome, a.error, a.cost) == ("failed", LOST_CALL_ERROR, 0) for a in attempts)
        account = demo.account()
        assert account.reserved == 0 and account.balance == balance
        demo.db.dispose()
        assert integrity(disk / "var" / "aicall.db") == "ok"
