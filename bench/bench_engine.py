"""The engine: calls completed per second, 1,000 live calls in one process, and two dialers.

Three parts, each against throw-away databases and the simulator (no network):

* throughput: one `Dialer` on a campaign of `--contacts` contacts (default 100,000, inserted in
  bulk) whose phones all answer at once (time scale 0) and press 1 at a one-menu script. The
  rate counts results committed in a timed window, pacing lifted (the engine's capacity) and
  paced at the most a campaign may ask, 200 calls/s. Beside it, in the same run and database:
  the bare writes the engine must do per call (claim the contact, insert the attempt, finish
  the attempt, set the contact's status, write the charge to the ledger) as plain SQLAlchemy
  statements in batches of the dialer's size. "bare ÷ engine" is the median of the per-run
  ratios. SQLite (temp file) and PostgreSQL (temp database).
* concurrent: 1,000 answered calls held at once in one process (phones that listen to the menu
  twice without pressing, at a time scale that makes each call last 20-23 s); CPU and resident
  memory (VmRSS) per call while the 1,000 are live. Each run in a fresh process, so memory
  freed by an earlier run cannot hide what a call costs.
* workers: one and then two dialer processes on the same campaign (each database); combined
  calls/s, and a check that no contact was dialled twice (attempts per contact).
* recorded: SQLite, one dialer with the engine's own prompts (espeak-ng, the audio cache) on a
  campaign that records its simulated calls, beside one that does not: what a recording costs
  (speech synthesised like a real call's, a WAV written per call).

    .venv/bin/python bench/bench_engine.py [--part throughput|concurrent|workers|recorded|all]
        [--db sqlite|postgresql|both] [--contacts N] [--runs N] [--seconds S] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common_engine import (  # the path entry above makes bench/ importable as a script
    BenchCampaign,
    bare_batch,
    insert_contacts,
    machine_note,
    make_dialer,
    median,
    new_campaign,
    print_table,
    rss_kib,
    temp_database,
    vacuum,
)

from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.campaigns.models import DUE_STATUSES, Campaign, Contact, ContactStatus
from aicall.db.engine import Database
from aicall.dialer.scheduler import MAX_CLAIM_PER_PASS, RESULT_BATCH
from aicall.telephony.sim import SimBackend

BACKENDS = ("sqlite", "postgresql")
BATCH = min(MAX_CLAIM_PER_PASS, RESULT_BATCH)  # the bare writes use the dialer's batch size
PACED_RATE = 200  # calls/s: the most `CampaignSettings.calls_per_second` allows
WARMUP = 2.0  # seconds a dialer runs before its window opens
LIVE_CALLS = 1_000
# The live calls go to phones that answer after 2-4 call seconds and press nothing: they hear
# the menu (3.7 s) and its 3 s timeout twice, then we hang up, 15.5-17.5 call seconds in all.
# At 1.3 real seconds per call second each lasts 20-23 s: longer than the ramp to 1,000 at
# 200 calls/s (5 s) plus the last one's ringing (5 s) plus the 5 s window.
LIVE_TIME_SCALE = 1.3
LIVE_WINDOW = 5.0


# --- samples ---------------------------------------------------------------------------------------


class StatementCounter:
    """Statements sent to the database (an executemany batch counts once: one round trip)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1


@dataclass(frozen=True)
class Sample:
    calls: int
    seconds: float
    cpu: float  # CPU seconds of this process (all threads) in the window
    statements: int

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    @property
    def cores(self) -> float:
        return self.cpu / self.seconds

    @property
    def statements_per_call(self) -> float:
        return self.statements / self.calls if self.calls else float("nan")


def bare_sample(
    db: Database, campaign: BenchCampaign, counter: StatementCounter, *, seconds: float, budget: int
) -> Sample:
    """Bare batches for `seconds`, or until `budget` contacts are used (the bare writes can be
    fast enough to use up a campaign)."""
    calls, statements, cpu = 0, counter.count, time.process_time()
    began = time.perf_counter()
    while time.perf_counter() - began < seconds and calls < budget:
        done = bare_batch(db, campaign, "bench-bare", batch=BATCH)
        if not done:
            raise RuntimeError("the bare campaign ran out of contacts: raise --contacts")
        calls += done
    elapsed = time.perf_counter() - began
    return Sample(calls, elapsed, time.process_time() - cpu, counter.count - statements)


# --- the engine ------------------------------------------------------------------------------------


async def engine_sample(
    db: Database,
    data_dir: Path,
    *,
    paced: bool,
    seconds: float,
    counter: StatementCounter | None = None,
    spoken: bool = False,
) -> Sample:
    """Results one dialer commits in `seconds`, after `WARMUP` seconds of dialling."""
    dialer = make_dialer(db, data_dir, paced=paced, spoken=spoken)
    await dialer.start()
    try:
        await asyncio.sleep(WARMUP)
        stored, cpu, statements = dialer.stored, cpu_with_children(), counter.count if counter else 0
        began = time.perf_counter()
        await asyncio.sleep(seconds)
        calls, elapsed = dialer.stored - stored, time.perf_counter() - began
        cpu = cpu_with_children() - cpu
        statements = (counter.count if counter else 0) - statements
    finally:
        await dialer.stop()
    return Sample(calls, elapsed, cpu, statements)


def cpu_with_children() -> float:
    """CPU seconds of this process and of its finished children (espeak-ng, sox runs)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def due_left(db: Database, campaign: BenchCampaign) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Contact)
                .where(Contact.campaign_id == campaign.campaign_id, Contact.status.in_(DUE_STATUSES))
            )
            or 0
        )


def throughput(backend: str, *, contacts: int, runs: int, seconds: float) -> list[list[object]]:
    with temp_database(backend) as db, tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir:
        engine_campaign = new_campaign(db, max_concurrent=2000, calls_per_second=PACED_RATE)
        bare_campaign = new_campaign(db, running=False)
        took = insert_contacts(db, engine_campaign, contacts)
        insert_contacts(db, bare_campaign, contacts, first=contacts)
        print(f"  {backend}: {2 * contacts:,} contacts inserted in {2 * took:.1f} s", flush=True)
        counter = StatementCounter(db)
        bare: list[Sample] = []
        free: list[Sample] = []
        paced: list[Sample] = []

        def engine(paced: bool, window: float = seconds) -> Sample:
            vacuum(db)
            return asyncio.run(
                engine_sample(db, Path(data_dir), paced=paced, seconds=window, counter=counter)
            )

        def bare_writes(window: float = seconds) -> Sample:
            vacuum(db)
            return bare_sample(db, bare_campaign, counter, seconds=window, budget=contacts // (runs + 2))

        # A round that is not counted: the attempts and ledger tables start empty, and plans
        # made for an empty table (a sequential scan) would slow the first measured round.
        bare_writes(window=2.0)
        engine(paced=False, window=2.0)
        for run in range(runs):
            # Alternate who goes first, so a drift of the machine does not favour one side.
            if run % 2:
                free.append(engine(paced=False))
                bare.append(bare_writes())
            else:
                bare.append(bare_writes())
                free.append(engine(paced=False))
            paced.append(engine(paced=True))
            print(
                f"  {backend} run {run + 1}: bare {bare[-1].rate:,.0f}/s, engine {free[-1].rate:,.0f}/s, "
                f"paced {paced[-1].rate:,.0f}/s",
                flush=True,
            )
            if not due_left(db, engine_campaign):
                raise RuntimeError("the engine campaign ran out of contacts: raise --contacts")
    ratios = [b.rate / f.rate for b, f in zip(bare, free, strict=True)]
    paced_ratios = [b.rate / p.rate for b, p in zip(bare, paced, strict=True)]

    def row(side: str, samples: list[Sample], bare_over: list[float] | None) -> list[object]:
        return [
            backend,
            side,
            f"{median([s.rate for s in samples]):,.0f}",
            f"{median([s.cores for s in samples]):.2f}",
            f"{median([s.statements_per_call for s in samples]):.2f}",
            f"{median(bare_over):.1f}x" if bare_over else "1x",
            f"{min(bare_over):.1f}-{max(bare_over):.1f}" if bare_over else "",
        ]

    return [
        row(f"bare writes, batches of {BATCH}", bare, None),
        row("engine, pacing lifted", free, ratios),
        row(f"engine, paced at {PACED_RATE} calls/s", paced, paced_ratios),
    ]


# --- 1,000 live calls --------------------------------------------------------------------------------


async def _hold_live_calls(
    db: Database, data_dir: Path, warm: BenchCampaign, main: BenchCampaign
) -> dict[str, Any]:
    # Warm up first (imports, SQL compile caches, the first calls' allocations) on another
    # campaign, so the memory baseline holds everything but the calls themselves.
    warmer = make_dialer(db, data_dir, time_scale=0.0)
    await warmer.start()
    deadline = time.monotonic() + 30
    while warmer.stored < 50 and time.monotonic() < deadline:  # noqa: ASYNC110 - the dialer has no event to await
        await asyncio.sleep(0.05)
    await warmer.stop()
    with db.transaction() as session:
        session.get(Campaign, warm.campaign_id).status = "paused"  # type: ignore[union-attr]
        session.get(Campaign, main.campaign_id).status = "running"  # type: ignore[union-attr]
    gc.collect()
    rss_before, cpu_before, began = rss_kib(), time.process_time(), time.perf_counter()

    dialer = make_dialer(db, data_dir, time_scale=LIVE_TIME_SCALE)
    sim = dialer.router.sim
    assert isinstance(sim, SimBackend)
    await dialer.start()
    while len(sim.live) < LIVE_CALLS:  # every call answered: the script is running on each
        if time.perf_counter() - began > 30:
            raise RuntimeError(f"only {len(sim.live)} calls answered after 30 s")
        await asyncio.sleep(0.02)
    ramp = time.perf_counter() - began
    cpu_window, window_began = time.process_time(), time.perf_counter()
    fewest, rss_peak = len(sim.live), rss_kib()
    while time.perf_counter() - window_began < LIVE_WINDOW:
        await asyncio.sleep(0.1)
        fewest = min(fewest, len(sim.live))
        rss_peak = max(rss_peak, rss_kib())
    window = time.perf_counter() - window_began
    cpu_window = time.process_time() - cpu_window
    if fewest < LIVE_CALLS:
        raise RuntimeError(f"calls ended during the window ({fewest} left): raise LIVE_TIME_SCALE")
    while dialer.stored < LIVE_CALLS:
        if time.perf_counter() - began > 120:
            raise RuntimeError(f"only {dialer.stored} results stored after 120 s")
        await asyncio.sleep(0.1)
    total = time.perf_counter() - began
    cpu_total = time.process_time() - cpu_before
    await dialer.stop()
    with db.reading() as session:
        lengths = sorted(
            (a.ended_at - a.started_at).total_seconds() * LIVE_TIME_SCALE
            for a in session.scalars(select(CallAttempt).where(CallAttempt.campaign_id == main.campaign_id))
            if a.ended_at and a.started_at
        )
    return {
        "ramp": ramp,
        "rss_before": rss_before,
        "rss_peak": rss_peak,
        "cpu_window": cpu_window,
        "window": window,
        "cpu_total": cpu_total,
        "total": total,
        "call_seconds": [lengths[0], median(lengths), lengths[-1]],
    }


def live_calls_worker(backend: str) -> dict[str, Any]:
    with temp_database(backend) as db, tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir:
        warm = new_campaign(db, max_concurrent=LIVE_CALLS, calls_per_second=PACED_RATE)
        main = new_campaign(db, running=False, max_concurrent=LIVE_CALLS, calls_per_second=PACED_RATE)
        insert_contacts(db, warm, 50, first=900_000, last_digit="7")
        insert_contacts(db, main, LIVE_CALLS, last_digit="7")
        return asyncio.run(_hold_live_calls(db, Path(data_dir), warm, main))


def concurrent(backend: str, *, runs: int) -> list[list[object]]:
    found = []
    for run in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--worker", "live", "--db", backend],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if out.returncode != 0:
            raise RuntimeError(f"live-calls worker failed:\n{out.stderr[-4000:]}")
        found.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = found[-1]
        print(
            f"  {backend} run {run + 1}: 1,000 answered after {r['ramp']:.1f} s, "
            f"+{(r['rss_peak'] - r['rss_before']) / 1024:.1f} MiB, "
            f"{r['cpu_window'] / r['window']:.1%} CPU while held",
            flush=True,
        )
    return [
        [
            backend,
            f"{median([r['ramp'] for r in found]):.1f}",
            f"{median([r['call_seconds'][1] for r in found]):.1f}",
            f"{median([(r['rss_peak'] - r['rss_before']) / LIVE_CALLS for r in found]):.1f}",
            f"{median([r['cpu_window'] / r['window'] for r in found]):.1%}",
            f"{median([r['cpu_window'] / r['window'] / LIVE_CALLS * 1e6 for r in found]):.0f}",
            f"{median([r['cpu_total'] / LIVE_CALLS * 1e3 for r in found]):.2f}",
        ]
    ]


# --- two dialer processes ------------------------------------------------------------------------


def dialer_worker(db_url: str, seconds: float) -> dict[str, Any]:
    """One dialer process: say ready, wait for "go" on stdin, run, report what it stored."""
    db = Database(db_url)
    with tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir:
        print("ready", flush=True)
        sys.stdin.readline()
        sample = asyncio.run(engine_sample(db, Path(data_dir), paced=False, seconds=seconds))
    db.dispose()
    return {"calls": sample.calls, "seconds": sample.seconds, "cpu": sample.cpu}


def run_dialers(db: Database, count: int, seconds: float) -> list[dict[str, Any]]:
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", "dialer", "--db-url", db.url, "--seconds", str(seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for process in processes:  # every process imported and connected before any starts
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("a dialer worker did not start")
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        found = []
        for process in processes:
            out, _ = process.communicate(timeout=seconds + 120)
            if process.returncode != 0:
                raise RuntimeError(f"a dialer worker exited with {process.returncode}")
            found.append(json.loads(out.strip().splitlines()[-1]))
        return found
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


def workers(
    backend: str, *, contacts: int, runs: int, seconds: float
) -> tuple[list[list[object]], list[list[object]]]:
    """One and two dialer processes on one campaign, alternating; (rates table, exactness checks).
    On SQLite the processes share the file: their writes queue for its one write lock."""
    with temp_database(backend) as db:
        campaign = new_campaign(db, max_concurrent=2000, calls_per_second=PACED_RATE)
        insert_contacts(db, campaign, contacts)
        run_dialers(db, 1, 2.0)  # not counted: the attempts and ledger tables start empty
        rates: dict[int, list[float]] = {1: [], 2: []}
        cores: dict[int, list[float]] = {1: [], 2: []}
        for run in range(runs):
            for count in (1, 2) if run % 2 == 0 else (2, 1):
                vacuum(db)
                found = run_dialers(db, count, seconds)
                rates[count].append(sum(f["calls"] for f in found) / seconds)
                cores[count].append(sum(f["cpu"] for f in found) / seconds)
                print(
                    f"  {backend} run {run + 1}, {count} dialer(s): {rates[count][-1]:,.0f} calls/s",
                    flush=True,
                )
            if not due_left(db, campaign):
                raise RuntimeError("the campaign ran out of contacts: raise --contacts")
        with db.reading() as session:
            per_contact = (
                select(CallAttempt.contact_id, func.count().label("n"))
                .group_by(CallAttempt.contact_id)
                .subquery()
            )
            attempts = int(session.scalar(select(func.count()).select_from(CallAttempt)) or 0)
            twice = int(
                session.scalar(select(func.count()).select_from(per_contact).where(per_contact.c.n > 1)) or 0
            )
            live = int(
                session.scalar(
                    select(func.count())
                    .select_from(CallAttempt)
                    .where(CallAttempt.status != AttemptStatus.FINISHED.value)
                )
                or 0
            )
            calling = int(
                session.scalar(
                    select(func.count())
                    .select_from(Contact)
                    .where(Contact.status == ContactStatus.CALLING.value)
                )
                or 0
            )
            done = int(
                session.scalar(
                    select(func.count())
                    .select_from(Contact)
                    .where(Contact.status == ContactStatus.DONE.value)
                )
                or 0
            )
    one = median(rates[1])
    table = [
        [
            count,
            f"{median(rates[count]):,.0f}",
            f"{median(cores[count]):.2f}",
            f"{median(rates[count]) / one:.2f}x",
        ]
        for count in (1, 2)
    ]
    checks = [[f"{attempts:,}", f"{done:,}", twice, live, calling]]
    if twice or live or calling or attempts != done:
        print("  CHECK FAILED: a contact was dialled twice or left half-done", flush=True)
    return table, checks


# --- recorded simulated calls --------------------------------------------------------------------

# (what, the campaign records, every contact's name or None for one name per contact)
RECORDED_VARIANTS = (
    ("engine prompts, not recorded", False, None),
    ("recorded, one name for all", True, "Nguyễn Văn An"),
    ("recorded, a name per contact", True, None),
)


def recorded(*, contacts: int, runs: int, seconds: float) -> list[list[object]]:
    """SQLite: one dialer with the engine's own prompts (`PrompterFactory`: espeak-ng, audio
    cache) on a campaign that records and one that does not, pacing lifted. A recorded simulated
    call synthesises its prompts (the fixed parts once, from the cache after) and writes a WAV; a
    name per contact is one espeak-ng run per call, one name for all is cached after the first."""
    samples: dict[str, list[Sample]] = {what: [] for what, _, _ in RECORDED_VARIANTS}
    for run in range(runs):
        for what, record, name in RECORDED_VARIANTS:
            with (
                temp_database("sqlite") as db,
                tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir,
            ):
                campaign = new_campaign(db, max_concurrent=2000, calls_per_second=PACED_RATE, record=record)
                insert_contacts(db, campaign, contacts, name=name)
                sample = asyncio.run(
                    engine_sample(db, Path(data_dir), paced=False, seconds=seconds, spoken=True)
                )
                if not due_left(db, campaign):
                    raise RuntimeError("the recorded campaign ran out of contacts: raise --contacts")
                written = len(list((Path(data_dir) / "recordings").glob("*.wav")))
                if record and not written:
                    raise RuntimeError("a recording campaign left no recordings")
                shutil.rmtree(Path(data_dir) / "recordings", ignore_errors=True)
            samples[what].append(sample)
            print(f"  run {run + 1}: {what}: {sample.rate:,.0f}/s, {sample.cores:.2f} cores", flush=True)
    base = samples[RECORDED_VARIANTS[0][0]]
    rows = []
    for what, _, _ in RECORDED_VARIANTS:
        ratios = [b.rate / s.rate for b, s in zip(base, samples[what], strict=True)]
        rows.append(
            [
                what,
                f"{median([s.rate for s in samples[what]]):,.0f}",
                f"{median([s.cores for s in samples[what]]):.2f}",
                f"{median([1000 * s.cpu / s.calls for s in samples[what]]):.2f}",
                f"{median(ratios):.1f}x",
            ]
        )
    return rows


# --- the command ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--part", choices=("throughput", "concurrent", "workers", "recorded", "all"), default="all"
    )
    parser.add_argument("--db", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument(
        "--contacts", type=int, default=100_000, help="contacts in the campaign (default 100,000)"
    )
    parser.add_argument("--runs", type=int, help="runs per measurement (default 3, quick 1)")
    parser.add_argument("--seconds", type=float, help="length of a timed window (default 15, quick 4)")
    parser.add_argument("--quick", action="store_true", help="one short run of each (a smoke test)")
    parser.add_argument("--worker", choices=("live", "dialer"), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "live":
        print(json.dumps(live_calls_worker(args.db)))
        return
    if args.worker == "dialer":
        print(json.dumps(dialer_worker(args.db_url, args.seconds)))
        return

    runs = args.runs or (1 if args.quick else 3)
    seconds = args.seconds or (4.0 if args.quick else 15.0)
    contacts = min(args.contacts, 20_000) if args.quick else args.contacts
    backends = BACKENDS if args.db == "both" else (args.db,)
    parts = ("throughput", "concurrent", "workers", "recorded") if args.part == "all" else (args.part,)
    print(machine_note())
    print(
        f"{contacts:,} contacts, {runs} run(s), {seconds:g} s windows after {WARMUP:g} s of warm-up\n",
        flush=True,
    )

    if "throughput" in parts:
        rows = [
            row
            for backend in backends
            for row in throughput(backend, contacts=contacts, runs=runs, seconds=seconds)
        ]
        print("\nThroughput: calls completed per second by one dialer (median)\n")
        print_table(
            ["db", "what", "calls/s", "CPU cores", "SQL statements per call", "bare÷this", "range"], rows
        )
        print()
    if "concurrent" in parts:
        rows = [row for backend in backends for row in concurrent(backend, runs=runs)]
        print(f"\n{LIVE_CALLS:,} live calls in one process (median; time scale {LIVE_TIME_SCALE:g})\n")
        print_table(
            [
                "db",
                "s until 1,000 answered",
                "real s per call",
                "KiB RSS per call",
                "CPU while held (1 core = 100%)",
                "µs CPU per call per s",
                "ms CPU per call, dial to result",
            ],
            rows,
        )
        print()
    for backend in backends if "workers" in parts else ():
        table, checks = workers(backend, contacts=contacts, runs=runs, seconds=seconds)
        name = "PostgreSQL" if backend == "postgresql" else "SQLite"
        print(f"\n{name}, dialer processes on one campaign (pacing lifted; median)\n")
        print_table(["dialers", "calls/s together", "CPU cores (dialers)", "vs one dialer"], table)
        print()
        print_table(
            [
                "attempts",
                "contacts done",
                "contacts dialled twice",
                "attempts unfinished",
                "contacts left calling",
            ],
            checks,
        )
        print()
    if "recorded" in parts:
        rows = recorded(contacts=contacts, runs=runs, seconds=seconds)
        print("\nSQLite, one dialer with the engine's own prompts: recorded simulated calls (median)\n")
        print_table(
            ["calls", "calls/s", "CPU cores (with espeak-ng)", "ms CPU per call", "not recorded÷this"], rows
        )
        print()


if __name__ == "__main__":
    main()
