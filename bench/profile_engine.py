"""Where one dialer's time goes: statements per call by kind and the dialer's own samples by
part of the work (issue 13).

One `Dialer` (pacing lifted, as in `bench_engine.py --part throughput`) runs on a fresh campaign
of `--contacts` contacts for a window after 2 s of warm-up. Printed: calls/s and CPU per call;
every statement sent in the window by kind (verb and table), per call, and the wall time spent
in it (statement time: with two threads on one connection pool, waits on a lock show here); and,
with `--spy PATH` (py-spy's executable, not a dependency: `pip install --target DIR py-spy`),
the samples py-spy takes of this process (`record --threads --format raw`, idle threads left
out) grouped by part of the work.

    .venv/bin/python bench/profile_engine.py [--db sqlite|postgresql] [--contacts N]
        [--seconds S] [--spy /path/to/py-spy]

Figures are shares of this process's busy samples, not timings to compare across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common_engine import (  # the path entry above makes bench/ importable as a script
    insert_contacts,
    machine_note,
    make_dialer,
    new_campaign,
    temp_database,
)

from aicall.db.engine import Database


def statement_kind(statement: str) -> str:
    """`update accounts`, `select contacts`, ...: the verb and the first table named."""
    flat = " ".join(statement.split()).lower()
    verb = flat.split(" ", 1)[0]
    table = re.search(r"(?:from|into|update)\s+(\w+)", flat)
    return f"{verb} {table.group(1) if table else ''}".strip()


class Statements:
    """Statements by kind, and the seconds they took, while `on` is set."""

    def __init__(self, db: Database) -> None:
        self.on = False
        self.count: collections.Counter[str] = collections.Counter()
        self.seconds: collections.Counter[str] = collections.Counter()
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info["h7_began"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.on:
            kind = statement_kind(statement)
            self.count[kind] += 1
            self.seconds[kind] += time.perf_counter() - conn.info.pop("h7_began", time.perf_counter())


# Parts of the work, by the frames a sample's stack holds (first match wins).
PARTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("store", "settle against the block (ledger.settle_many)", ("settle_many",)),
    ("store", "read the batch (3 IN queries)", ("_load (aicall/dialer/results.py",)),
    ("store", "events", ("emit_all",)),
    ("store", "write attempts, contacts (2 Core executemany UPDATEs)", ("_write_stored",)),
    (
        "store",
        "flush (ORM: rare paths; before, UPDATE attempts, contacts)",
        ("flush (sqlalchemy/orm/session.py",),
    ),
    ("store", "Python per result (attempt, retry rule, events)", ("_record_one",)),
    ("store", "commit and the rest", ("",)),
    ("claim", "credit (ledger.hold)", ("ledger.py",)),
    ("claim", "campaigns, live counts, pacing", ("running_campaigns", "live_counts", "_bucket")),
    ("claim", "calling rules (Do-Not-Call gate)", ("_allowed",)),
    ("claim", "write contacts, attempts (Core executemany UPDATE, INSERT)", ("_write_claims",)),
    (
        "claim",
        "flush + commit (before: UPDATE contacts, INSERT attempts)",
        ("_prepare_impl", "commit (sqlalchemy"),
    ),
    ("claim", "due contacts read, attempts built", ("claim_for_campaign",)),
    ("claim", "the rest", ("",)),
]
IDLE = ("concurrent/futures/thread.py:81", "select (selectors.py")


def part_of(stack: str) -> str | None:
    leaf = stack.rsplit(";", 1)[-1]
    if any(mark in leaf for mark in IDLE):
        return None
    if "_store_sync" in stack or "_claim (aicall/dialer/scheduler.py" in stack:
        side = "store" if "_store_sync" in stack else "claim"
        for where, name, marks in PARTS:
            if where == side and any(mark in stack for mark in marks):
                return f"{side}: {name}"
    if "_heartbeat_and_recover" in stack:
        return "heartbeat, recovery"
    if "_call (aicall/dialer/scheduler.py" in stack:
        if "structlog" in stack or "logging/__init__" in stack:
            return "calls: the 'call finished' log line"
        return "calls: simulator, script interpreter, metrics"
    return "event loop, threads, other"


def spy_parts(path: Path) -> tuple[collections.Counter[str], int]:
    parts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        part = part_of(stack) if stack else None
        if part is not None:
            parts[part] += int(count)
            total += int(count)
    return parts, total


async def window(
    db: Database,
    data_dir: Path,
    seconds: float,
    statements: Statements,
    spy: str | None,
    keep: str | None,
    paced: bool = False,
) -> None:
    dialer = make_dialer(db, data_dir, paced=paced)
    await dialer.start()
    try:
        await asyncio.sleep(2.0)
        stored, cpu, began = dialer.stored, time.process_time(), time.perf_counter()
        statements.on = True
        recorder = None
        out = data_dir / "spy.txt"
        if spy:
            command = [spy, "record", "--pid", str(os.getpid()), "--duration", str(int(seconds))]
            command += ["--rate", "200", "--threads", "--format", "raw", "-o", str(out)]
            # py-spy samples this process from outside; started once, before the window.
            recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
        await asyncio.sleep(seconds)
        statements.on = False
        calls, elapsed, cpu = dialer.stored - stored, time.perf_counter() - began, time.process_time() - cpu
    finally:
        await dialer.stop()
    if recorder is not None:
        recorder.wait(timeout=60)
    print(
        f"{calls:,} calls in {elapsed:.1f} s: {calls / elapsed:,.0f}/s, "
        f"{1000 * cpu / max(1, calls):.2f} ms CPU per call"
    )
    print("\n| statement | per call | ms in the window | share of the window |\n|---|---:|---:|---:|")
    for kind, count in statements.count.most_common():
        ms = 1000 * statements.seconds[kind]
        print(f"| {kind} | {count / max(1, calls):.4f} | {ms:,.0f} | {ms / 10 / elapsed:.1f}% |")
    if recorder is not None and out.exists():
        parts, total = spy_parts(out)
        print(f"\n| part of the work | share of busy samples ({total:,}) |\n|---|---:|")
        for part, count in sorted(parts.items()):
            print(f"| {part} | {100 * count / total:.1f}% |")
        if keep:
            Path(keep).write_text(out.read_text())  # noqa: ASYNC240 - after the window, nothing else runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--contacts", type=int, default=60_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--spy", help="py-spy's executable: sample this process while it dials")
    parser.add_argument("--keep", help="with --spy: copy py-spy's raw samples to this file")
    parser.add_argument(
        "--paced", action="store_true", help="keep the campaign's 200 calls/s (as a carrier's limit)"
    )
    args = parser.parse_args()
    print(machine_note())
    with temp_database(args.db) as db, tempfile.TemporaryDirectory(prefix="aicall-profile-") as data_dir:
        campaign = new_campaign(db, max_concurrent=2000, calls_per_second=200)
        insert_contacts(db, campaign, args.contacts)
        statements = Statements(db)
        asyncio.run(window(db, Path(data_dir), args.seconds, statements, args.spy, args.keep, args.paced))


if __name__ == "__main__":
    main()
