"""docs/deploy.md's backups, done as written while calls run, then restored somewhere else: the
copy is consistent, `aicall init` takes it, and it holds exactly what the database held when the
copy was taken (contacts, attempts, ledger), with secrets still readable."""

from __future__ import annotations

import glob
import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.acceptance.platform import Demo, wait_until, write_rules
from tests.acceptance.support import clean_env, running
from tests.integration.support import POSTGRES_ADMIN_URL

PHONES = [f"+849123457{n:02d}" for n in range(12)]
RULES = [{"number": p, "ring": 0.1, "keys": [], "hangup_after": 2} for p in PHONES]
# docs/deploy.md, "without the sqlite3 tool"
BACKUP = (
    "import sqlite3, sys; s = sqlite3.connect(sys.argv[1]); d = sqlite3.connect(sys.argv[2]); "
    "s.backup(d); d.close()"
)
# Contacts, finished attempts (the API counts those), ledger entries and their sum.
COUNTS = (
    "SELECT (SELECT count(*) FROM contacts), "
    "(SELECT count(*) FROM call_attempts WHERE status = 'finished'), "
    "(SELECT count(*) FROM ledger_entries), (SELECT coalesce(sum(amount), 0) FROM ledger_entries)"
)


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        AICALL_SIM_TIME_SCALE="1",
        AICALL_SIM_RULES=str(write_rules(tmp_path / "phones.json", RULES)),
        AICALL_TTS_ENGINE="none",
        AICALL_DIALER_TICK="0.2",
        **extra,
    )


def aicall(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aicall", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def restored_counts(cwd: Path, env: dict[str, str], demo: Demo) -> dict[str, object]:
    shown = json.loads(aicall(cwd, env, "campaign", "show", demo.keys["campaign_id"], "--json"))
    token = aicall(cwd, env, "token", "--app", demo.keys["api_key"])  # the sealed secret opens
    assert token.strip()
    return {"contacts": shown["counts"]["contacts"], "attempts": shown["counts"]["attempts"]}


@pytest.mark.parametrize("tool", ["python", "sqlite3"])
def test_an_sqlite_backup_taken_while_calls_run_restores_whole_elsewhere(tmp_path, tool):
    if tool == "sqlite3" and shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 tool is not installed (the python way is the documented fallback)")
    env = env_for(tmp_path)
    demo = Demo.init(tmp_path, env)
    live = tmp_path / "var" / "aicall.db"
    copy = tmp_path / "backup" / "aicall.db"
    copy.parent.mkdir()
    with running(["serve"], tmp_path, env, "serve.log"):
        demo.add_contacts(PHONES)
        wait_until(lambda: any(a.status == "finished" for a in demo.attempts()), timeout=30, what="results")
        # In the middle of it: some calls stored, some live, some contacts not called yet.
        if tool == "python":
            subprocess.run([sys.executable, "-c", BACKUP, str(live), str(copy)], check=True, timeout=60)
        else:
            subprocess.run(["sqlite3", str(live), f".backup '{copy}'"], check=True, timeout=60)
        shutil.copy(tmp_path / "var" / "secret.key", copy.parent / "secret.key")
        wait_until(lambda: all(a.status == "finished" for a in demo.attempts()), timeout=60, what="done")
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        contacts, attempts, entries, total = connection.execute(COUNTS).fetchone()
    assert contacts == 12 and entries >= 1  # the top-up at least

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "var").mkdir(parents=True)
    shutil.copy(copy, elsewhere / "var" / "aicall.db")
    shutil.copy(copy.parent / "secret.key", elsewhere / "var" / "secret.key")
    restored_env = {**env, "AICALL_DATA_DIR": str(elsewhere / "var")}
    aicall(elsewhere, restored_env, "init")
    assert restored_counts(elsewhere, restored_env, demo) == {"contacts": contacts, "attempts": attempts}
    with sqlite3.connect(elsewhere / "var" / "aicall.db") as connection:
        assert connection.execute(COUNTS).fetchone() == (contacts, attempts, entries, total)
    demo.db.dispose()


def test_a_pg_dump_taken_while_calls_run_restores_whole_into_a_new_database(tmp_path):
    tools = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    admin = create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        pytest.skip("PostgreSQL is not reachable")
    if not tools:
        pytest.skip("pg_dump is not installed")
    bin_dir = Path(tools[-1]).parent
    names = [f"aicall_backup_{uuid.uuid4().hex[:8]}", f"aicall_restore_{uuid.uuid4().hex[:8]}"]
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        env = env_for(tmp_path, AICALL_DATABASE_URL=f"{base}/{names[0]}")
        demo = Demo.init(tmp_path, env)
        dump = tmp_path / "aicall.dump"
        with running(["worker"], tmp_path, env, "worker.log"):
            demo.add_contacts(PHONES)
            wait_until(
                lambda: any(a.status == "finished" for a in demo.attempts()), timeout=30, what="results"
            )
            subprocess.run(
                [str(bin_dir / "pg_dump"), "-Fc", "-f", str(dump), f"{base}/{names[0]}"],
                check=True,
                timeout=120,
            )
            wait_until(lambda: all(a.status == "finished" for a in demo.attempts()), timeout=60, what="done")
        subprocess.run(
            [str(bin_dir / "pg_restore"), "--no-owner", "-d", f"{base}/{names[1]}", str(dump)],
            check=True,
            timeout=120,
        )
        restored = create_engine(f"postgresql+psycopg://{base.split('://', 1)[1]}/{names[1]}")
        with restored.connect() as connection:
            contacts, attempts, entries, _ = connection.execute(text(COUNTS)).one()
        restored.dispose()
        assert contacts == 12 and entries >= 1
        restored_env = {**env, "AICALL_DATABASE_URL": f"{base}/{names[1]}"}
        (tmp_path / "elsewhere").mkdir()
        shutil.copy(tmp_path / "var" / "secret.key", tmp_path / "elsewhere" / "secret.key")
        restored_env["AICALL_DATA_DIR"] = str(tmp_path / "elsewhere")
        aicall(tmp_path, restored_env, "init")
        assert restored_counts(tmp_path, restored_env, demo) == {"contacts": contacts, "attempts": attempts}
        demo.db.dispose()
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
