"""What choosing each call's recogniser by its account costs the dialer (`AsrResolver`).

Before per-account settings a call took the dialer's one engine (an attribute read: the
baseline, measured here the same way). Now a call asks `AsrResolver.for_account`: from the
cache (the common case: settings are kept 15 s per account), or, once the 15 s are over, with
one read of `account_speech_settings` in a worker thread; a pass that starts 200 calls of an
account whose entry expired reads once. Medians of `--rounds` rounds, microseconds per call, on
a migrated SQLite file (and PostgreSQL when `AICALL_TEST_POSTGRES_URL` answers).

    .venv/bin/python bench/bench_asr_resolver.py [--rounds 7] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from aicall.accounts import service as account_service
from aicall.accounts import speech_settings
from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database

SECRET = "bench-secret-key"
BOX = SecretBox(SECRET)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _prepare(url: str) -> tuple[Database, list[str]]:
    db = Database(url)
    migrate.upgrade(db.engine)
    ids = []
    with db.transaction() as session:
        for n in range(3):
            account = account_service.create_account(session=session, name=f"bench {n}")
            ids.append(account.id)
        speech_settings.set_asr(
            session=session,
            box=BOX,
            account_id=ids[0],
            engine="openai",
            base_url="http://127.0.0.1:9/v1",
            api_key="k" * 20,
            timeout=8,
        )
        speech_settings.set_asr(session=session, box=BOX, account_id=ids[1], engine="none")
    return db, ids  # ids[2]: no row, the platform's


async def _measure(db: Database, ids: list[str], calls: int) -> dict[str, float]:
    clock = Clock()
    resolver = speech_settings.AsrResolver(
        db=db, box=BOX, settings=Settings(secret_key=SECRET, asr_engine="echo"), monotonic=clock
    )
    platform = resolver.platform
    try:
        started = time.perf_counter()
        for _n in range(calls):
            _ = platform.engine, platform.timeout  # the old path: the dialer's one engine
        baseline = (time.perf_counter() - started) / calls

        for account_id in ids:
            await resolver.for_account(account_id)
        started = time.perf_counter()
        for n in range(calls):
            await resolver.for_account(ids[n % 3])
        hit = (time.perf_counter() - started) / calls

        misses = max(30, calls // 50)
        started = time.perf_counter()
        for n in range(misses):
            clock.now += 16.0  # past the time-to-live: every ask reads
            await resolver.for_account(ids[n % 3])
        miss = (time.perf_counter() - started) / misses

        clock.now += 16.0
        started = time.perf_counter()
        await asyncio.gather(*(resolver.for_account(ids[0]) for _ in range(200)))
        burst = time.perf_counter() - started
    finally:
        await resolver.aclose()
    return {"baseline": baseline, "hit": hit, "miss": miss, "burst200": burst}


def _admin(sql: str) -> None:
    admin = os.environ["AICALL_TEST_POSTGRES_URL"]
    engine = create_engine(
        admin.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _postgres_url(name: str) -> str | None:
    """A fresh database on the server of `AICALL_TEST_POSTGRES_URL`, or None (SQLite only)."""
    if not os.environ.get("AICALL_TEST_POSTGRES_URL"):
        return None
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no server: SQLite only
        print(f"PostgreSQL skipped: {exc}")
        return None
    return os.environ["AICALL_TEST_POSTGRES_URL"].rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"sqlite": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        pg_name = f"bench_asr_{uuid.uuid4().hex[:8]}"
        pg = _postgres_url(pg_name)
        if pg:
            urls["postgresql"] = pg
        print(
            f"{'database':<11} {'baseline µs':>12} {'cache hit µs':>13} {'miss µs':>9} {'200 at once ms':>15}"
        )
        for name, url in urls.items():
            db, ids = _prepare(url)
            rounds = [asyncio.run(_measure(db, ids, args.calls)) for _ in range(args.rounds)]
            db.dispose()
            med = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
            print(
                f"{name:<11} {med['baseline'] * 1e6:>12.2f} {med['hit'] * 1e6:>13.2f} "
                f"{med['miss'] * 1e6:>9.0f} {med['burst200'] * 1e3:>15.2f}"
            )
        if pg:
            _admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
