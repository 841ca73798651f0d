"""Webhook latency across processes, with PostgreSQL NOTIFY and with polling only, same run.

Three processes besides this one, as a scaled-out install runs them: a dialer (`aicall worker`'s
`Dialer`, no dispatcher) calling a campaign on the simulator, a webhook dispatcher
(`Dispatcher.run`, its poll every `--idle-delay` seconds) in a process of its own, and a real
HTTP/1.1 receiver (aicall.webhooks.testing) in a third. Every call commits its result with two
events (`call.attempt.finished`, then the contact's `contact.finished`, delivered in that order).

Measured per event, to the receiver having the whole request: from the outbox row's creation
(`webhook_events.created_at`, stamped in the transaction that stores the call's result, so it
includes the rest of that transaction and its commit), and from that transaction's commit
(taken in the dialer process by an `after_commit` hook): the part a wake-up can shorten. The
attempt's `ended_at` is not used: at the simulator's time scale 0 it is simulated time.

Mode `notify`: commits NOTIFY and the dispatcher LISTENs (the default); mode `polling`:
`AICALL_PG_NOTIFY=0` on both sides. The modes alternate round by round on one database; each
round is a fresh campaign, with the same number of contacts and pace. Clocks: one machine's
wall clock.

    .venv/bin/python bench/bench_webhook_latency.py [--contacts N] [--rate R] [--rounds N]
        [--idle-delay S] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_webhooks import RemoteReceiver  # the path entry above makes bench/ importable
from common import median, percentile, temp_database
from common_engine import BenchCampaign, insert_contacts, machine_note, make_dialer, new_campaign, print_table

from aicall import notify
from aicall.accounts.models import Application
from aicall.accounts.secrets_box import SecretBox
from aicall.campaigns.models import FINAL_CONTACT_STATUSES, Contact
from aicall.db.engine import Database
from aicall.webhooks import outbox
from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.models import WebhookEvent

SECRET_KEY = "bench-secret-key-not-for-production"  # common_engine's: it sealed the signing secrets
MODES = ("notify", "polling")


# --- the two engine processes ------------------------------------------------------------------


async def _dispatch(db: Database, notify_on: bool, idle_delay: float) -> None:
    """Run a dispatcher until stdin closes; say "ready" once it listens (or polls)."""
    stop = asyncio.Event()
    async with Dispatcher(db, SecretBox(SECRET_KEY), allow_private=True, listen=notify_on) as dispatcher:
        task = asyncio.create_task(dispatcher.run(stop, idle_delay=idle_delay))
        if dispatcher.listener is not None:
            await asyncio.wait_for(dispatcher.listener.listening.wait(), timeout=30)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the parent closes it
        stop.set()
        await task
        if dispatcher.listener is not None:
            print(f"notifications received: {dispatcher.listener.notifications}", file=sys.stderr)


def _stamp_commits() -> dict[str, float]:
    """Event id -> wall time its transaction committed, for every event this process appends."""
    committed: dict[str, float] = {}

    @sa_event.listens_for(Session, "after_flush")
    def _added(session: Session, _context: object) -> None:
        ids = session.info.setdefault("bench_event_ids", [])
        ids.extend(obj.id for obj in session.new if isinstance(obj, WebhookEvent))

    @sa_event.listens_for(Session, "after_commit")
    def _committed(session: Session) -> None:
        now = time.time()
        for event_id in session.info.pop("bench_event_ids", []):
            committed[event_id] = now

    @sa_event.listens_for(Session, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop("bench_event_ids", None)

    return committed


async def _dial(db: Database, campaign_id: str, contacts: int, commits_file: Path) -> None:
    """Dial the campaign on the simulator, webhooks on, until every contact is final; write
    each event's commit time to `commits_file`."""
    committed = _stamp_commits()
    with tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir:
        dialer = make_dialer(db, Path(data_dir), time_scale=0.0, paced=False)
        dialer.emit = notify.emit  # as the engine does: results commit with their events
        await dialer.start()
        try:
            for _ in range(6000):  # bounded: 10 minutes
                if _final(db, campaign_id) >= contacts:
                    break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the campaign did not finish")
        finally:
            await dialer.stop()
    await asyncio.to_thread(commits_file.write_text, json.dumps(committed))


def _final(db: Database, campaign_id: str) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Contact)
                .where(Contact.campaign_id == campaign_id, Contact.status.in_(FINAL_CONTACT_STATUSES))
            )
            or 0
        )


def role_main(args: argparse.Namespace) -> None:
    db = Database(args.db_url)
    outbox.set_notify(db, args.notify == 1)  # AICALL_PG_NOTIFY, as bootstrap applies it
    try:
        if args.role == "dispatcher":
            asyncio.run(_dispatch(db, args.notify == 1, args.idle_delay))
        else:
            asyncio.run(_dial(db, args.campaign, args.contacts, Path(args.commits_file)))
    finally:
        db.dispose()


# --- one round ---------------------------------------------------------------------------------


def _spawn(role: str, db: Database, notify_on: bool, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--role",
            role,
            "--db-url",
            db.url,
            "--notify",
            str(int(notify_on)),
            *extra,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def one_round(
    db: Database, receiver: RemoteReceiver, mode: str, first: int, args: argparse.Namespace
) -> dict[str, list[float]]:
    """Dial `args.contacts` contacts with the dispatcher in `mode`; milliseconds from each
    event's outbox row's creation (`created`) and its commit (`committed`) to its receipt;
    `first`: from the commit, `call.attempt.finished` events only."""
    notify_on = mode == "notify"
    # The pace is set by the contacts' due times (below), not by the campaign's limit.
    campaign = new_campaign(db, calls_per_second=200, max_concurrent=200)
    with db.transaction() as session:
        session.execute(
            update(Application)
            .where(Application.id == campaign.application_id)
            .values(webhook_url=receiver.url)
        )
    insert_contacts(db, campaign, args.contacts, first=first)
    receiver.reset()
    dispatcher = _spawn("dispatcher", db, notify_on, "--idle-delay", str(args.idle_delay))
    dialer: subprocess.Popen[str] | None = None
    try:
        assert dispatcher.stdout is not None
        if dispatcher.stdout.readline().strip() != "ready":
            raise RuntimeError("the dispatcher process did not start")
        # Its log goes to stdout: keep the pipe drained, or a full pipe would stall it.
        threading.Thread(target=dispatcher.stdout.read, daemon=True).start()
        _stagger(db, campaign, args.rate)
        commits_file = Path(tempfile.mkdtemp(prefix="aicall-bench-")) / "commits.json"
        dialer = _spawn(
            "dialer",
            db,
            notify_on,
            "--campaign",
            campaign.campaign_id,
            "--contacts",
            str(args.contacts),
            "--commits-file",
            str(commits_file),
        )
        if dialer.wait(timeout=900) != 0:
            raise RuntimeError(f"the dialer process exited with {dialer.returncode}")
        expected = 2 * args.contacts
        deadline = time.monotonic() + 120
        while receiver.count() < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the receiver got {receiver.count()} of {expected} events")
            time.sleep(0.1)
    finally:
        if dialer is not None and dialer.poll() is None:
            dialer.kill()  # this round failed: nothing may outlive it on the database
        if dispatcher.stdin:
            dispatcher.stdin.close()
        dispatcher.wait(timeout=60)
    committed = json.loads(commits_file.read_text())
    commits_file.unlink()
    commits_file.parent.rmdir()
    return _latencies(db, campaign, receiver.collect(), committed)


def _stagger(db: Database, campaign: BenchCampaign, rate: float) -> None:
    """Make the contacts due one after another, `rate` a second from now: a steady flow of
    calls, whatever the dialer's own pacing does with a burst."""
    with db.transaction() as session:
        session.execute(
            text(
                "UPDATE contacts SET next_attempt_at = now() + (ordered.n / :rate) * interval '1 second' "
                "FROM (SELECT id, row_number() OVER (ORDER BY phone) - 1 AS n FROM contacts "
                "WHERE campaign_id = :campaign) AS ordered WHERE contacts.id = ordered.id"
            ),
            {"rate": rate, "campaign": campaign.campaign_id},
        )


def _latencies(
    db: Database, campaign: BenchCampaign, received: dict[str, float], committed: dict[str, float]
) -> dict[str, list[float]]:
    with db.reading() as session:
        events = session.execute(
            select(WebhookEvent.id, WebhookEvent.type, WebhookEvent.created_at).where(
                WebhookEvent.application_id == campaign.application_id
            )
        ).all()
    return {
        "created": [(received[event.id] - event.created_at.timestamp()) * 1000 for event in events],
        "committed": [(received[event.id] - committed[event.id]) * 1000 for event in events],
        # A contact's first event: it waits for no other (contact.finished waits for it).
        "first": [
            (received[event.id] - committed[event.id]) * 1000
            for event in events
            if event.type == "call.attempt.finished"
        ],
    }


# --- what NOTIFY costs a commit -----------------------------------------------------------------


def commit_rate(db: Database, application_id: str, notify_on: bool, threads: int, seconds: float) -> float:
    """Transactions per second of `threads` threads each committing one event per transaction,
    for `seconds`: the worst case for NOTIFY (PostgreSQL serialises the commits of notifying
    transactions; the dialer commits a batch of results per transaction)."""
    outbox.set_notify(db, notify_on)
    data = {
        **json.loads(
            (
                Path(__file__).resolve().parents[1] / "docs/webhooks/examples/scenario.approved.json"
            ).read_text()
        )["data"]
    }
    counts = [0] * threads
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        while time.monotonic() < deadline:
            with db.transaction() as session:
                outbox.emit(
                    session, application_id=application_id, event_type="scenario.approved", payload=data
                )
            counts[index] += 1

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    began = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    outbox.set_notify(db, True)
    return sum(counts) / (time.monotonic() - began)


def commit_costs(db: Database, args: argparse.Namespace) -> list[list[Any]]:
    """Median commits/s with NOTIFY and without, alternating `args.rounds` times each."""
    campaign = new_campaign(db, running=False)
    with db.transaction() as session:
        # No receiver: the events only need to be stored (nobody delivers them here).
        session.execute(
            update(Application)
            .where(Application.id == campaign.application_id)
            .values(webhook_url="http://127.0.0.1:9/unused")
        )
    rates: dict[bool, list[float]] = {True: [], False: []}
    for round_number in range(args.rounds):
        for notify_on in (True, False) if round_number % 2 == 0 else (False, True):
            rates[notify_on].append(
                commit_rate(db, campaign.application_id, notify_on, args.threads, args.commit_seconds)
            )
    with db.transaction() as session:  # nobody is to deliver them: gone before the dispatchers start
        session.execute(delete(WebhookEvent).where(WebhookEvent.application_id == campaign.application_id))
    with_notify, without = median(rates[True]), median(rates[False])
    return [
        ["without NOTIFY", f"{without:,.0f}", ""],
        ["with NOTIFY", f"{with_notify:,.0f}", f"{with_notify / without:.2f}x"],
    ]


# --- the report --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=300, help="contacts per round (two events each)")
    parser.add_argument(
        "--rate", type=float, default=10.0, help="calls per second (the contacts fall due at this pace)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each mode, alternating")
    parser.add_argument("--idle-delay", type=float, default=0.5, help="the dispatcher's poll interval, s")
    parser.add_argument("--quick", action="store_true", help="100 contacts, one round of each mode")
    parser.add_argument("--threads", type=int, default=4, help="committing threads in the commit-cost part")
    parser.add_argument("--commit-seconds", type=float, default=3.0, help="seconds per commit-cost sample")
    parser.add_argument("--role", choices=("dispatcher", "dialer"), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--notify", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--campaign", help=argparse.SUPPRESS)
    parser.add_argument("--commits-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        role_main(args)
        return
    if args.quick:
        args.contacts, args.rounds, args.commit_seconds = 100, 1, 1.0

    note = machine_note().split("; server =")[0]
    found: dict[str, dict[str, list[float]]] = {
        mode: {"created": [], "committed": [], "first": []} for mode in MODES
    }
    receiver = RemoteReceiver()
    try:
        with temp_database("postgresql") as db:
            costs = commit_costs(db, args)
            first = 0
            for round_number in range(args.rounds):
                for mode in MODES if round_number % 2 == 0 else tuple(reversed(MODES)):
                    began = time.monotonic()
                    got = one_round(db, receiver, mode, first, args)
                    print(
                        f"round {round_number + 1} {mode}: {time.monotonic() - began:.0f} s", file=sys.stderr
                    )
                    first += args.contacts
                    for key, values in got.items():
                        found[mode][key].extend(values)
    finally:
        receiver.close()

    rows: list[list[Any]] = []
    for mode in MODES:
        label = "NOTIFY + LISTEN" if mode == "notify" else f"polling only ({args.idle_delay:g} s)"
        for key, what in (
            ("created", "outbox row created → received"),
            ("committed", "committed → received"),
            ("first", "committed → received, attempt events"),
        ):
            values = found[mode][key]
            rows.append(
                [label, what, len(values)]
                + [f"{percentile(values, q):.1f} ms" for q in (0.5, 0.95, 0.99)]
                + [f"{max(values):.1f} ms"]
            )
    print(note)
    print(
        f"PostgreSQL; dialer, dispatcher and receiver in three processes; {args.contacts} contacts x "
        f"{args.rounds} rounds per mode (alternating), {args.rate:g} calls/s, 2 events per call\n"
    )
    print_table(["dispatcher wakes by", "latency", "events", "p50", "p95", "p99", "max"], rows)
    print(
        f"\nWhat NOTIFY costs a commit: {args.threads} threads, one event per transaction, "
        f"{args.commit_seconds:g} s x {args.rounds} samples each (median)\n"
    )
    print_table(["commits", "transactions/s", "vs"], costs)
    print(json.dumps({mode: {k: len(v) for k, v in found[mode].items()} for mode in MODES}), file=sys.stderr)


if __name__ == "__main__":
    main()
