"""Scale-out on PostgreSQL: 1, 2 and 4 `aicall worker` processes on one campaign list, beside
the bare writes measured on the same server in the same run (issue 13).

Each run gets a PostgreSQL server of its own (initdb, autovacuum on, as docs/deploy.md asks;
tests/acceptance/scale.py), `aicall init --demo`, one API process (`aicall serve`, engine off)
and a real HTTP webhook receiver on the loopback. The campaigns are paused and the contacts
(`--contacts`, default 100,000) pushed through the public API in requests of 1,000; then the
workers start, and once every one has registered (its imports and start behind it) the
campaigns are resumed and the workers dial them on the simulator (time scale 0: calls take no
time, so what is measured is the engine: claims, results, ledger, outbox, webhook delivery).
Phones are mixed by their last digit (answered, busy, unanswered, rejected, not a number),
not-reached ones are re-called one second later, so a list of N contacts makes 1.4 N attempts
and 2.4 N webhooks.

A campaign may ask for at most 200 calls/s (CampaignSettings.calls_per_second), so the list
is spread over `--campaigns` campaigns (default 5: 1,000 calls/s in all, above what this
machine reaches) so the pacing is not what is measured.

Figures per run:
* calls/s = attempts ÷ (last result stored - first claimed), wall clock (scale.Checked);
* webhooks/s = the calls' events (`call.attempt.finished`, `contact.finished`) ÷ (the last of
  them delivered - the first);
* CPU ms per attempt, from /proc/<pid>/stat (utime + stime, reaped children's included) from
  the resume to the last webhook received: the workers; the PostgreSQL server (postmaster,
  its live children, the backends that exited); this process (the receiver and the polling).
  On a shared machine it moves far less than calls/s, which is what the other processes
  leave of the two cores;
* "bare" = calls/s of `common_engine.bare_batch` (the engine's writes per call as plain
  statements, one process, batches of the dialer's size) for `--bare-seconds` on a database
  of the same server, right after the run.
At the end of each run the exactness checks of tests/acceptance/test_scale_out.py
(scale.check_exact) are asserted: the bench fails rather than print a figure for a run that
lost or doubled anything.

    .venv/bin/python bench/bench_scale.py [--contacts N] [--workers 1,2,4] [--campaigns 5]
        [--bare-seconds 10] [--keep-logs DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]  # bench/ and the repo (tests/)

from common_engine import bare_batch, insert_contacts, machine_note, new_campaign, print_table, vacuum  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from aicall.db import migrate  # noqa: E402
from aicall.db.engine import Database  # noqa: E402
from aicall.dialer.scheduler import MAX_CLAIM_PER_PASS, RESULT_BATCH  # noqa: E402
from tests.acceptance.postgres import Server  # noqa: E402
from tests.acceptance.scale import (  # noqa: E402
    SETTINGS,
    Checked,
    Cluster,
    balance_of,
    check_exact,
    push_contacts,
    receiver,
    tuned_postgres,
    wait_settled,
)

BATCH = min(MAX_CLAIM_PER_PASS, RESULT_BATCH)
TICKS = os.sysconf("SC_CLK_TCK")  # /proc/<pid>/stat counts CPU time in these per second


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children) from /proc, or None
    when it is gone. Fields 14-17 of proc(5): utime, stime, cutime, cstime."""
    try:
        line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = line[line.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS


@dataclass(frozen=True)
class Cpu:
    """CPU seconds so far: the workers, the PostgreSQL server, the API process, this process."""

    workers: float
    postgres: float
    api: float
    bench: float

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.workers - other.workers,
            self.postgres - other.postgres,
            self.api - other.api,
            self.bench - other.bench,
        )


def cpu_now(cluster: Cluster, server: Server) -> Cpu:
    """Reads /proc. PostgreSQL: the postmaster (pid from its postmaster.pid) with the backends
    that exited (its cutime) and every live child (backends, autovacuum, checkpointer...)."""
    postmaster = int((server.data / "db" / "postmaster.pid").read_text().split()[0])
    stats = {int(p): _stat(int(p)) for p in os.listdir("/proc") if p.isdigit()}
    postgres = sum(s[1] for pid, s in stats.items() if s and (pid == postmaster or s[0] == postmaster))

    def of(pids: list[int]) -> float:
        return sum(s[1] for pid in pids if (s := stats.get(pid)))

    return Cpu(of(cluster.worker_pids), postgres, of(cluster.api_pids), time.process_time())


def bare_rate(server_url: str, contacts: int, seconds: float) -> float:
    """Calls/s of the bare writes on a fresh database of the same server."""
    name = f"bare_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db = Database(server_url.rsplit("/", 1)[0] + "/" + name)
    try:
        migrate.upgrade(db.engine)
        campaign = new_campaign(db, running=False)
        insert_contacts(db, campaign, contacts)
        bare_batch(db, campaign, "bench-bare", batch=BATCH)  # plans made, tables warm
        vacuum(db)
        calls, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            done = bare_batch(db, campaign, "bench-bare", batch=BATCH)
            if not done:
                break
            calls += done
        return calls / (time.perf_counter() - began)
    finally:
        db.dispose()


def keep_logs(tmp: Path, server: Server, into: Path | None) -> None:
    """Copy the run's process logs (api*.log, worker*.log) and the PostgreSQL server's log
    into `into` (nothing when None): they go with the run's temporary directories."""
    if into is None:
        return
    into.mkdir(parents=True, exist_ok=True)
    for log in [*sorted(tmp.glob("*.log")), server.data / "log"]:
        if log.exists():
            shutil.copyfile(log, into / ("postgresql.log" if log.name == "log" else log.name))


def one_run(
    workers: int, contacts: int, campaigns: int, bare_seconds: float, logs: Path | None = None
) -> tuple[Checked, float, float, float, Cpu]:
    """(checked, seconds from the resume to all settled, import contacts/s, bare calls/s,
    CPU seconds spent from the resume to all settled). `logs`: a directory to keep the run's
    logs in (kept whether the run passes or fails its checks)."""
    with (
        tuned_postgres() as server,
        receiver() as hook,
        tempfile.TemporaryDirectory(prefix="aicall-scale-") as tmp,
    ):
        with contextlib.ExitStack() as keeping, Cluster.init(Path(tmp), server.url, hook.url) as cluster:
            keeping.callback(keep_logs, Path(tmp), server, logs)
            cluster.start_apis(1)
            ids = [cluster.configure_demo_campaign()]
            ids += [cluster.new_campaign(f"Scale {n}", SETTINGS) for n in range(1, campaigns)]
            for campaign in ids:  # nothing dials until every worker is up
                cluster.transition(campaign, "pause")
            account_id = cluster.demo.keys["account_id"]
            balance_before = balance_of(cluster.demo.db, account_id)
            began = time.perf_counter()
            pushed = push_contacts(cluster, ids, range(contacts), retry_every=0, key_prefix="bench")
            imported = pushed.contacts / (time.perf_counter() - began)
            cluster.start_workers(workers)
            # A worker's start (imports, engine) is about 2 s of CPU: with 4 workers, 5 % of
            # a 10,000-contact run's CPU, so it is kept out of the figures.
            cluster.wait_workers_registered()
            time.sleep(2)  # their first passes (housekeeping, empty claims) are done
            cpu_before = cpu_now(cluster, server)
            began = time.perf_counter()
            for campaign in ids:
                cluster.transition(campaign, "resume")
            wait_settled(cluster.demo.db, ids, hook, contacts=contacts, timeout=600 + contacts / 10, poll=2.0)
            took = time.perf_counter() - began
            cpu = cpu_now(cluster, server) - cpu_before
            cluster.stop_workers()
            checked = check_exact(
                cluster.demo.db,
                account_id=account_id,
                campaigns=ids,
                contacts=contacts,
                balance_before=balance_before,
                received=hook.received,
            )
            cluster.demo.db.dispose()
        bare = bare_rate(server.url, max(20_000, contacts // 2), bare_seconds)
    return checked, took, imported, bare, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--campaigns", type=int, default=5)
    parser.add_argument("--bare-seconds", type=float, default=10.0)
    parser.add_argument(
        "--keep-logs",
        type=Path,
        default=None,
        help="keep each run's worker, API and PostgreSQL logs in DIR/<workers>-workers",
    )
    args = parser.parse_args()
    print(machine_note(), flush=True)
    print(
        f"{args.contacts:,} contacts over {args.campaigns} campaigns; PostgreSQL, one server per run",
        flush=True,
    )
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        load = os.getloadavg()
        logs = args.keep_logs / f"{workers}-workers" if args.keep_logs else None
        checked, took, imported, bare, cpu = one_run(
            workers, args.contacts, args.campaigns, args.bare_seconds, logs
        )
        ms = 1000 / checked.attempts
        print(
            f"  {workers} worker(s): {checked.attempts:,} attempts in {took:.0f} s, "
            f"{checked.calls_per_second:.0f} calls/s, {checked.deliveries_per_second:.0f} webhooks/s, "
            f"bare {bare:.0f} calls/s, exact "
            f"({checked.by_attempts} attempts per contact, {checked.charges:,} charges = "
            f"{checked.charged:,} đồng, {checked.events:,} webhooks once each, in order, "
            f"{checked.redelivered} received again after a send logged as failed); "
            f"CPU s from the resume to settled: workers {cpu.workers:.1f}, PostgreSQL "
            f"{cpu.postgres:.1f}, API {cpu.api:.1f}, receiver and polling {cpu.bench:.1f}; "
            f"load average {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after",
            flush=True,
        )
        rows.append(
            [
                workers,
                f"{checked.attempts:,}",
                f"{checked.calls_per_second:.0f}",
                f"{checked.deliveries_per_second:.0f}",
                f"{bare:.0f}",
                f"{checked.calls_per_second / bare:.2f}",
                f"{cpu.workers * ms:.2f}",
                f"{cpu.postgres * ms:.2f}",
                f"{cpu.bench * ms:.2f}",
                f"{imported:,.0f}",
                f"{took:.0f}",
            ]
        )
    print_table(
        [
            "workers",
            "attempts",
            "calls/s",
            "webhooks/s",
            "bare calls/s",
            "engine ÷ bare",
            "worker CPU ms/attempt",
            "PostgreSQL CPU ms/attempt",
            "receiver CPU ms/attempt",
            "import contacts/s",
            "s",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
