"""Scale-out on PostgreSQL: 1, 2 and 4 `aicall worker` processes on one campaign list, beside
the bare writes measured on the same server in the same run (issue 13).

Each run gets a PostgreSQL server of its own (initdb, autovacuum on, as docs/deploy.md asks;
tests/acceptance/scale.py), `aicall init --demo`, one API process (`aicall serve`, engine off)
and a real HTTP webhook receiver on the loopback. The contacts (`--contacts`, default 100,000)
are pushed through the public API in requests of 1,000 before any worker starts; then the
workers start and dial them on the simulator (time scale 0: calls take no time, so what is
measured is the engine: claims, results, ledger, outbox, webhook delivery). Phones are mixed by
their last digit (answered, busy, unanswered, rejected, not a number), not-reached ones are
re-called one second later, so a list of N contacts makes 1.4 N attempts and 2.4 N webhooks.

A campaign may ask for at most 200 calls/s (CampaignSettings.calls_per_second), so the list
is spread over `--campaigns` campaigns (default 5: 1,000 calls/s in all, above what this
machine reaches) so the pacing is not what is measured.

Figures per run: calls/s = attempts ÷ (last attempt ended - first claimed); webhooks/s =
events ÷ (last delivered - first delivered); "bare" = calls/s of `common_engine.bare_batch` (the
engine's writes per call as plain statements, one process, batches of the dialer's size) for
`--bare-seconds` on a database of the same server, right after the run. At the end of each
run the exactness checks of tests/acceptance/test_scale_out.py (scale.check_exact) are
asserted: the bench fails rather than print a figure for a run that lost or doubled anything.

    .venv/bin/python bench/bench_scale.py [--contacts N] [--workers 1,2,4] [--campaigns 5]
        [--bare-seconds 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]  # bench/ and the repo (tests/)

from common_engine import bare_batch, insert_contacts, machine_note, new_campaign, print_table, vacuum  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from aicall.db import migrate  # noqa: E402
from aicall.db.engine import Database  # noqa: E402
from aicall.dialer.scheduler import MAX_CLAIM_PER_PASS, RESULT_BATCH  # noqa: E402
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


def one_run(
    workers: int, contacts: int, campaigns: int, bare_seconds: float
) -> tuple[Checked, float, float, float]:
    """(checked, seconds from the workers' start to all settled, import contacts/s, bare calls/s)."""
    with (
        tuned_postgres() as server,
        receiver() as hook,
        tempfile.TemporaryDirectory(prefix="aicall-scale-") as tmp,
    ):
        with Cluster.init(Path(tmp), server.url, hook.url) as cluster:
            cluster.start_apis(1)
            ids = [cluster.configure_demo_campaign()]
            ids += [cluster.new_campaign(f"Scale {n}", SETTINGS) for n in range(1, campaigns)]
            account_id = cluster.demo.keys["account_id"]
            balance_before = balance_of(cluster.demo.db, account_id)
            began = time.perf_counter()
            pushed = push_contacts(cluster, ids, range(contacts), retry_every=0, key_prefix="bench")
            imported = pushed.contacts / (time.perf_counter() - began)
            began = time.perf_counter()
            cluster.start_workers(workers)
            wait_settled(cluster.demo.db, ids, hook, contacts=contacts, timeout=600 + contacts / 10)
            took = time.perf_counter() - began
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
    return checked, took, imported, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--campaigns", type=int, default=5)
    parser.add_argument("--bare-seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(machine_note(), flush=True)
    print(
        f"{args.contacts:,} contacts over {args.campaigns} campaigns; PostgreSQL, one server per run",
        flush=True,
    )
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        checked, took, imported, bare = one_run(workers, args.contacts, args.campaigns, args.bare_seconds)
        print(
            f"  {workers} worker(s): {checked.attempts:,} attempts in {took:.0f} s, exact "
            f"({checked.by_attempts} attempts per contact, {checked.charges:,} charges = "
            f"{checked.charged:,} đồng, {checked.events:,} webhooks once each, in order)",
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
            "import contacts/s",
            "s",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
