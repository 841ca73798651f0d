"""Do-Not-Call lists (issue 14): loading the national register, and what the calling rules cost
the engine.

Two parts, against throw-away databases (SQLite temp file, PostgreSQL temp database):

* import: a file of `--numbers` (default 1,000,000) Vietnamese numbers in national form loaded
  as `aicall dnc import` loads it (read and normalise every line, refuse the file if any line
  is bad, batched multi-row INSERT ... ON CONFLICT DO NOTHING, audit, stop the account's
  waiting contacts) beside a bare bulk insert of the same rows (already in E.164, no checks:
  SQLAlchemy's executemany of `insert(DncEntry)`). Time and the process's peak memory (each
  run in a fresh process, so its peak is its own).
* engine: calls per second one dialer commits (pacing lifted, as bench_engine's throughput)
  with the rules as production runs them (`compliance.gate.screen_claim`) on an account whose
  list holds `--numbers` entries and a campaign under the advertising policy (its hours opened
  to the whole day, so the bench runs at any hour; every number new, so each call takes its
  24-hour slot), beside the same dialer with no rules at all (`compliance.gate.no_gate`, a
  service campaign, empty list). Rounds alternate.

    .venv/bin/python bench/bench_dnc.py [--part import|engine|all] [--db sqlite|postgresql|both]
        [--numbers N] [--contacts N] [--runs N] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common_engine import (  # the path entry above makes bench/ importable as a script
    BenchCampaign,
    insert_contacts,
    machine_note,
    make_dialer,
    median,
    new_campaign,
    print_table,
    temp_database,
    vacuum,
)

from aicall.clock import utc_now
from aicall.compliance import dnc
from aicall.compliance.gate import no_gate, screen_claim
from aicall.compliance.models import DncEntry
from aicall.compliance.rules import DncSource
from aicall.db.engine import Database
from aicall.dialer import do_not_call
from aicall.hotlines.models import HotlinePool
from aicall.observability import logging as logs

WARMUP = 2.0


def national(n: int) -> str:
    """Distinct valid Vietnamese mobile numbers in national form (09x, 03x prefixes)."""
    prefix = ("091", "094", "088", "083", "084", "085", "081", "082", "032", "033")[n % 10]
    return f"{prefix}{n // 10:07d}"


def e164(n: int) -> str:
    return "+84" + national(n)[1:]


# --- import ----------------------------------------------------------------------------------------


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_child(backend: str, kind: str, numbers: int) -> dict[str, Any]:
    """One load in this (fresh) process: `aicall dnc import`'s path, or the bare insert."""
    with temp_database(backend) as db, tempfile.TemporaryDirectory(prefix="aicall-bench-dnc-") as tmp:
        campaign = new_campaign(db, running=False)
        path = Path(tmp) / "register.txt"
        with path.open("w") as out:
            for n in range(numbers):
                out.write(national(n) + "\n")
        base = _peak_mib()
        began = time.perf_counter()
        if kind == "dnc import":
            with path.open("rb") as stream:
                phones = dnc.read_numbers(dnc.lines_of(stream), region="VN")
            read = time.perf_counter() - began
            with db.transaction() as session:
                listing = do_not_call.add(
                    session,
                    account_id=campaign.account_id,
                    phones=phones,
                    source=DncSource.NATIONAL_REGISTER,
                    now=utc_now(),
                )
            assert listing.added == numbers, listing
        else:
            now = utc_now()
            rows = [
                {"account_id": campaign.account_id, "phone": e164(n), "source": "import", "created_at": now}
                for n in range(numbers)
            ]
            read = time.perf_counter() - began
            with db.transaction() as session:
                for start in range(0, len(rows), 5000):
                    session.execute(insert(DncEntry), rows[start : start + 5000])
        total = time.perf_counter() - began
        with db.reading() as session:
            stored = session.scalar(text("SELECT count(*) FROM dnc_entries"))
        assert stored == numbers, stored
    return {"seconds": total, "read": read, "peak_mib": _peak_mib(), "base_mib": base}


def run_child(backend: str, kind: str, numbers: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--db", backend, "--numbers", str(numbers)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def import_part(backend: str, *, numbers: int, runs: int) -> list[list[object]]:
    samples: dict[str, list[dict[str, Any]]] = {"dnc import": [], "bare insert": []}
    for run in range(runs):
        order = ["dnc import", "bare insert"] if run % 2 == 0 else ["bare insert", "dnc import"]
        for kind in order:
            samples[kind].append(run_child(backend, kind, numbers))
        print(
            f"  {backend} run {run + 1}: dnc import {samples['dnc import'][-1]['seconds']:.1f} s, "
            f"bare insert {samples['bare insert'][-1]['seconds']:.1f} s",
            flush=True,
        )
    bare = median([s["seconds"] for s in samples["bare insert"]])
    rows = []
    for kind, found in samples.items():
        seconds = median([s["seconds"] for s in found])
        rows.append(
            [
                backend,
                kind,
                f"{numbers:,}",
                f"{seconds:.1f}",
                f"{median([s['read'] for s in found]):.1f}",
                f"{numbers / seconds:,.0f}",
                f"{median([s['peak_mib'] for s in found]):.0f}",
                f"{seconds / bare:.1f}x",
            ]
        )
    return rows


# --- engine ----------------------------------------------------------------------------------------


def _list_numbers(db: Database, campaign: BenchCampaign, numbers: int) -> float:
    """Fill the account's list with numbers no contact has (+8491..., +8494..., ...)."""
    began = time.perf_counter()
    phones = [e164(n) for n in range(numbers)]
    with db.transaction() as session:
        dnc.add(session, account_id=campaign.account_id, phones=phones, source=DncSource.NATIONAL_REGISTER)
    return time.perf_counter() - began


async def _engine_sample(db: Database, data_dir: Path, *, rules: bool, seconds: float) -> float:
    dialer = make_dialer(db, data_dir, paced=False)
    dialer.gate = screen_claim if rules else no_gate
    await dialer.start()
    try:
        await asyncio.sleep(WARMUP)
        stored = dialer.stored
        began = time.perf_counter()
        await asyncio.sleep(seconds)
        rate = (dialer.stored - stored) / (time.perf_counter() - began)
    finally:
        await dialer.stop()
    return rate


def engine_part(
    backend: str, *, numbers: int, contacts: int, runs: int, seconds: float
) -> list[list[object]]:
    with temp_database(backend) as db, tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir:
        # Each side its own account and campaign, so the other's list and log are not its cost.
        plain = new_campaign(db, max_concurrent=2000, calls_per_second=200)
        ruled = new_campaign(
            db,
            max_concurrent=2000,
            calls_per_second=200,
            policy="advertising",
            advertising_start="00:00",
            advertising_end="23:59:59",
        )
        took = _list_numbers(db, ruled, numbers)
        print(f"  {backend}: {numbers:,} numbers listed in {took:.1f} s", flush=True)
        insert_contacts(db, plain, contacts)
        insert_contacts(db, ruled, contacts, first=contacts)
        with db.transaction() as session:  # the system pool, declared registered for the bench
            session.execute(update(HotlinePool).values(advertising_registered=True))
        rates: dict[bool, list[float]] = {False: [], True: []}

        def sample(rules: bool) -> None:
            vacuum(db)
            # Only the side measured runs: the other campaign is paused meanwhile.
            with db.transaction() as session:
                session.execute(
                    text("UPDATE campaigns SET status = CASE WHEN id = :on THEN 'running' ELSE 'paused' END"),
                    {"on": ruled.campaign_id if rules else plain.campaign_id},
                )
            rates[rules].append(asyncio.run(_engine_sample(db, Path(data_dir), rules=rules, seconds=seconds)))

        sample(False)  # warm-up round, not counted
        rates[False].clear()
        for run in range(runs):
            for rules in (False, True) if run % 2 == 0 else (True, False):
                sample(rules)
            print(
                f"  {backend} run {run + 1}: without rules {rates[False][-1]:,.0f}/s, "
                f"with rules {rates[True][-1]:,.0f}/s",
                flush=True,
            )
    # Each round's two samples ran back to back: their ratio, then the median of the rounds.
    ratios = [plain / ruled for plain, ruled in zip(rates[False], rates[True], strict=True)]
    return [
        [backend, "no rules (service, empty list, no gate)", f"{median(rates[False]):,.0f}", "1x", ""],
        [
            backend,
            f"DNC of {numbers:,} + 24-hour rule (advertising)",
            f"{median(rates[True]):,.0f}",
            f"{median(ratios):.2f}x",
            f"{min(ratios):.2f}-{max(ratios):.2f}",
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["import", "engine", "all"], default="all")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logs.configure(level="warning")  # a line per call would be the bench's own cost
    if args.child:
        print(json.dumps(import_child(args.db, args.child, args.numbers)))
        return
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(machine_note())
    if args.part in ("import", "all"):
        rows = []
        for backend in backends:
            rows += import_part(backend, numbers=args.numbers, runs=args.runs)
        print_table(
            ["db", "load", "numbers", "seconds", "read + check s", "numbers/s", "peak MiB", "÷ bare"], rows
        )
    if args.part in ("engine", "all"):
        rows = []
        for backend in backends:
            rows += engine_part(
                backend, numbers=args.numbers, contacts=args.contacts, runs=args.runs, seconds=args.seconds
            )
        print_table(["db", "engine", "calls/s (pacing lifted)", "without ÷ with", "range"], rows)


if __name__ == "__main__":
    main()
