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
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, func, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import Insert

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_webhooks import RemoteReceiver  # the path entry above makes bench/ importable
from common import median, percentile, temp_database
from common_engine import BenchCampaign, insert_contacts, machine_note, make_dialer, new_campaign, print_table

from aicall import notify
from aicall.accounts.models import Application
from aicall.accounts.secrets_box import SecretBox
from aicall.campaigns.models import FINAL_CONTACT_STATUSES, Contact
from aicall.db.engine import Database
from aicall.dialer.outbox import EventSink
from aicall.webhooks import outbox
from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.models import WebhookEvent
from aicall.webhooks.store import SqlOutboxStore

SECRET_KEY = "bench-secret-key-not-for-production"  # common_engine's: it sealed the signing secrets
MODES = ("notify", "polling")


# --- the two engine processes ------------------------------------------------------------------


async def _dispatch(db: Database, notify_on: bool, idle_delay: float, stats_file: Path) -> None:
    """Run a dispatcher until stdin closes; say "ready" once it listens (or polls). Then write
    to `stats_file` its CPU seconds from "ready" to the end, its sends, and when each event was
    claimed, sent and recorded (wall clock), for the breakdown of the latency."""
    stop = asyncio.Event()
    async with Dispatcher(db, SecretBox(SECRET_KEY), allow_private=True, listen=notify_on) as dispatcher:
        trace = _Trace(dispatcher)
        task = asyncio.create_task(dispatcher.run(stop, idle_delay=idle_delay))
        if dispatcher.listener is not None:
            await asyncio.wait_for(dispatcher.listener.listening.wait(), timeout=30)
        cpu = time.process_time()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the parent closes it
        stop.set()
        await task
        trace.cpu = time.process_time() - cpu
        if dispatcher.listener is not None:
            trace.notifications = dispatcher.listener.notifications
    await asyncio.to_thread(stats_file.write_text, json.dumps(trace.__dict__, default=list))


class _Trace:
    """Wall times of the dispatcher's steps, by wrapping its store and sender (bench only).
    `events`: id -> [claim began, claimed, send began, send ended, recorded];
    `claims`: [began, ended, results recorded, events claimed] per store transaction."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.cpu = 0.0
        self.notifications = 0
        self.sends = 0
        self.events: dict[str, list[float]] = {}
        self.claims: list[tuple[float, float, int, int]] = []
        store, sender = dispatcher.store, dispatcher.sender
        record, send = store.record, sender.send

        async def traced_record(outcomes: Any, *, claim: int = 0) -> Any:
            began = time.time()
            jobs = await record(outcomes, claim=claim)
            ended = time.time()
            self.claims.append((began, ended, len(outcomes), len(jobs)))
            for outcome in outcomes:
                self.events.setdefault(outcome.job.event_id, [0.0] * 5)[4] = ended
            for job in jobs:
                for each in (job, *getattr(job, "follow_ups", ())):
                    self.events.setdefault(each.event_id, [0.0] * 5)[0:2] = [began, ended]
            return jobs

        async def traced_send(job: Any) -> Any:
            times = self.events.setdefault(job.event_id, [0.0] * 5)
            times[2] = time.time()
            outcome = await send(job)
            times[3] = time.time()
            self.sends += 1
            return outcome

        self.slow_statements: list[tuple[float, str]] = []  # (ms, statement) over 20 ms
        started: dict[int, float] = {}
        engine = cast(SqlOutboxStore, dispatcher.store).db.engine

        @sa_event.listens_for(engine, "before_cursor_execute")
        def _before(_conn: Any, cursor: Any, *_args: Any) -> None:
            started[id(cursor)] = time.perf_counter()

        @sa_event.listens_for(engine, "after_cursor_execute")
        def _after(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
            took = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
            if took > 20:
                self.slow_statements.append((round(took, 1), " ".join(statement.split())[:90]))

        store.record = traced_record  # type: ignore[method-assign]
        sender.send = traced_send  # type: ignore[method-assign]


def _stamp_commits() -> dict[str, float]:
    """Event id -> wall time its transaction committed, for every event this process appends
    (as ORM objects or as the outbox's Core INSERT, whichever the emitter uses)."""
    committed: dict[str, float] = {}
    table = WebhookEvent.__tablename__

    @sa_event.listens_for(Session, "do_orm_execute")
    def _inserted(state: ORMExecuteState) -> None:
        statement = state.statement
        if isinstance(statement, Insert) and getattr(statement.table, "name", None) == table:
            params: Any = state.parameters
            rows: list[Any] = params if isinstance(params, list) else [params] if params else []
            state.session.info.setdefault("bench_event_ids", []).extend(row["id"] for row in rows)

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


async def _dial(db: Database, campaign_id: str, contacts: int, rate: float, commits_file: Path) -> None:
    """Dial the campaign on the simulator, webhooks on, until every contact is final; write
    each event's commit time to `commits_file`."""
    committed = _stamp_commits()
    with tempfile.TemporaryDirectory(prefix="aicall-bench-data-") as data_dir:
        dialer = make_dialer(db, Path(data_dir), time_scale=0.0, paced=False)
        # As the engine does (engine.py): results commit with their events.
        dialer.emit = EventSink(notify.emit_checked, notify.listening)
        await dialer.start()
        # The flow of calls starts now that the dialer runs: due times set before its process
        # was up (a second or two of imports) made a burst of the first calls, which is not
        # the steady flow this measures.
        await asyncio.to_thread(_stagger, db, campaign_id, rate)
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
            asyncio.run(_dispatch(db, args.notify == 1, args.idle_delay, Path(args.stats_file)))
        else:
            asyncio.run(_dial(db, args.campaign, args.contacts, args.rate, Path(args.commits_file)))
    finally:
        db.dispose()


# --- one round ---------------------------------------------------------------------------------


def _spawn(role: str, db: Database, notify_on: bool, *extra: str, src: str = "") -> subprocess.Popen[str]:
    """Run this script in `role`; `src`: a directory whose aicall package it imports instead."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (src, os.environ.get("PYTHONPATH"))))}
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
        # The dispatcher says "ready" on stdout (then its log, drained); the dialer's log is
        # not read, and a pipe nobody reads would stall it once full.
        stdout=subprocess.PIPE if role == "dispatcher" else subprocess.DEVNULL,
        text=True,
        env=env,
    )


def one_round(
    db: Database, receiver: RemoteReceiver, mode: str, first: int, args: argparse.Namespace, src: str = ""
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
    work = Path(tempfile.mkdtemp(prefix="aicall-bench-"))
    commits_file, stats_file = work / "commits.json", work / "stats.json"
    dispatcher = _spawn(
        "dispatcher",
        db,
        notify_on,
        "--idle-delay",
        str(args.idle_delay),
        "--stats-file",
        str(stats_file),
        src=src,
    )
    dialer: subprocess.Popen[str] | None = None
    try:
        assert dispatcher.stdout is not None
        if dispatcher.stdout.readline().strip() != "ready":
            raise RuntimeError("the dispatcher process did not start")
        # Its log goes to stdout: keep the pipe drained, or a full pipe would stall it.
        threading.Thread(target=dispatcher.stdout.read, daemon=True).start()
        _stagger(db, campaign.campaign_id, args.rate, start_in=3600)  # the dialer sets them going
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
            "--rate",
            str(args.rate),
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
    stats = json.loads(stats_file.read_text())
    commits_file.unlink()
    stats_file.unlink()
    work.rmdir()
    return _latencies(db, campaign, receiver.collect(), committed, stats)


def _stagger(db: Database, campaign_id: str, rate: float, start_in: float = 0.0) -> None:
    """Make the contacts due one after another, `rate` a second from `start_in` seconds from
    now: a steady flow of calls, whatever the dialer's own pacing does with a burst."""
    with db.transaction() as session:
        session.execute(
            text(
                "UPDATE contacts SET next_attempt_at = "
                "now() + (:start + ordered.n / :rate) * interval '1 second' "
                "FROM (SELECT id, row_number() OVER (ORDER BY phone) - 1 AS n FROM contacts "
                "WHERE campaign_id = :campaign) AS ordered WHERE contacts.id = ordered.id"
            ),
            {"rate": rate, "campaign": campaign_id, "start": start_in},
        )


def _latencies(
    db: Database,
    campaign: BenchCampaign,
    received: dict[str, float],
    committed: dict[str, float],
    stats: dict[str, Any],
) -> dict[str, list[float]]:
    """The latencies (ms) of `one_round`, the dispatcher's CPU (`cpu`, `sends`: one value each),
    and where each event's time went (`stage:…`, ms; see STAGES)."""
    with db.reading() as session:
        events = session.execute(
            select(WebhookEvent.id, WebhookEvent.type, WebhookEvent.created_at, WebhookEvent.ordering_key)
            .where(WebhookEvent.application_id == campaign.application_id)
            .order_by(WebhookEvent.created_at)
        ).all()
    found: dict[str, list[float]] = {
        "created": [(received[event.id] - event.created_at.timestamp()) * 1000 for event in events],
        "committed": [(received[event.id] - committed[event.id]) * 1000 for event in events],
        # A contact's first event: it waits for no other (contact.finished waits for it).
        "first": [
            (received[event.id] - committed[event.id]) * 1000
            for event in events
            if event.type == "call.attempt.finished"
        ],
        "cpu": [stats["cpu"]],
        "sends": [stats["sends"]],
        "claims": [len(stats["claims"])],
    }
    slow_claims = [
        f"#{index} {1000 * (ended - began):.0f} ms ({recorded} recorded, {claimed} claimed)"
        for index, (began, ended, recorded, claimed) in enumerate(stats["claims"])
        if ended - began > 0.05
    ]
    for took, statement in stats.get("slow_statements", []):
        print(f"statement {took} ms: {statement}", file=sys.stderr)
    if slow_claims:
        print(f"store transactions over 50 ms: {', '.join(slow_claims)}", file=sys.stderr)
    traced: dict[str, list[float]] = stats["events"]
    before: dict[str, str] = {}  # event id -> the id of its contact's event before it
    last_of: dict[str, str] = {}
    for event in events:
        if event.ordering_key in last_of:
            before[event.id] = last_of[event.ordering_key]
        last_of[event.ordering_key] = event.id
    for event in events:
        claim_began, claimed, send_began, _sent, _recorded = traced[event.id]
        commit = committed[event.id]
        total = (received[event.id] - commit) * 1000
        stages = {
            "total": total,
            "commit → claim begins": (claim_began - commit) * 1000,
            "claim transaction": (claimed - claim_began) * 1000,
            "claimed → send begins": (send_began - claimed) * 1000,
            "send begins → received": (received[event.id] - send_began) * 1000,
        }
        if event.id in before:
            previous = traced[before[event.id]]
            stages["previous received → recorded"] = (previous[4] - received[before[event.id]]) * 1000
            stages["previous recorded → claim begins"] = (claim_began - previous[4]) * 1000
        for name, value in stages.items():
            found.setdefault(f"stage:{name}", []).append(value)
            found.setdefault(f"tail:{name}", [])
        if total >= TAIL_MS:
            for name, value in stages.items():
                found[f"tail:{name}"].append(value)
    return found


TAIL_MS = 100.0  # events slower than this, commit to receipt, are broken down on their own


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
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, default=list(MODES), help="the modes to run (default both)"
    )
    parser.add_argument("--role", choices=("dispatcher", "dialer"), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--notify", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--campaign", help=argparse.SUPPRESS)
    parser.add_argument("--commits-file", help=argparse.SUPPRESS)
    parser.add_argument("--stats-file", help=argparse.SUPPRESS)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="run the dispatcher from the aicall package in DIR (e.g. a before/after pair, "
        "alternating round by round); repeat for each",
    )
    args = parser.parse_args()
    if args.role:
        role_main(args)
        return
    if args.quick:
        args.contacts, args.rounds, args.commit_seconds = 100, 1, 1.0

    variants = dict(_variant(text) for text in args.variant) or {"this checkout": ""}
    note = machine_note().split("; server =")[0]
    found: dict[tuple[str, str], dict[str, list[float]]] = {}
    loads = [os.getloadavg()]
    rounds: list[str] = []
    receiver = RemoteReceiver()
    try:
        with temp_database("postgresql") as db:
            costs = commit_costs(db, args)
            first = 0
            for round_number in range(args.rounds):
                order = [(variant, mode) for mode in args.modes for variant in variants]
                for variant, mode in order if round_number % 2 == 0 else reversed(order):
                    began = time.monotonic()
                    got = one_round(db, receiver, mode, first, args, variants[variant])
                    loads.append(os.getloadavg())
                    summary = (
                        f"round {round_number + 1} {variant} {mode}: {time.monotonic() - began:.0f} s, "
                        f"committed → received p50 {percentile(got['committed'], 0.5):.0f} ms, "
                        f"p99 {percentile(got['committed'], 0.99):.0f} ms, load {loads[-1][0]:.1f}"
                    )
                    rounds.append(summary)
                    print(summary, file=sys.stderr)
                    first += args.contacts
                    for key, values in got.items():
                        found.setdefault((variant, mode), {}).setdefault(key, []).extend(values)
    finally:
        receiver.close()

    rows: list[list[Any]] = []
    for (variant, mode), got in found.items():
        label = "NOTIFY + LISTEN" if mode == "notify" else f"polling only ({args.idle_delay:g} s)"
        if len(variants) > 1:
            label = f"{variant}: {label}"
        for key, what in (
            ("created", "outbox row created → received"),
            ("committed", "committed → received"),
            ("first", "committed → received, attempt events"),
        ):
            values = got[key]
            rows.append(
                [label, what, len(values)]
                + [f"{percentile(values, q):.1f} ms" for q in (0.5, 0.95, 0.99)]
                + [f"{max(values):.1f} ms"]
            )
        cpu_ms = 1000 * sum(got["cpu"]) / sum(got["sends"])
        rows.append(
            [label, "dispatcher CPU per delivery", int(sum(got["sends"])), f"{cpu_ms:.2f} ms", "", "", ""]
        )
    print(note)
    one_minute = [load[0] for load in loads]
    print(
        f"load average (1 min) during the run: {min(one_minute):.1f}-{max(one_minute):.1f} "
        f"(median {median(one_minute):.1f}) on {os.cpu_count()} cores"
    )
    print(
        f"PostgreSQL; dialer, dispatcher and receiver in three processes; {args.contacts} contacts x "
        f"{args.rounds} rounds per mode (alternating), {args.rate:g} calls/s, 2 events per call\n"
    )
    print_table(["dispatcher wakes by", "latency", "events", "p50", "p95", "p99", "max"], rows)
    for (variant, mode), got in found.items():
        if mode != "notify":
            continue
        print(
            f"\nWhere the time goes, {variant}, NOTIFY (ms; 'slow' = events over {TAIL_MS:g} ms "
            f"commit → received: {len(got['tail:total'])} of {len(got['stage:total'])}; "
            f"claims: {int(sum(got['claims']))} transactions)\n"
        )
        stage_rows = []
        for key in got:
            if key.startswith("stage:"):
                name = key.removeprefix("stage:")
                values, slow = got[key], got[f"tail:{name}"]
                stage_rows.append(
                    [name, f"{percentile(values, 0.5):.1f}", f"{percentile(values, 0.99):.1f}"]
                    + ([f"{median(slow):.1f}", f"{max(slow):.1f}"] if slow else ["", ""])
                )
        print_table(["stage", "p50", "p99", "slow: median", "slow: max"], stage_rows)
    print("\nEach round (the load average is the 1-minute one at its end):\n")
    print("\n".join(rounds))
    print(
        f"\nWhat NOTIFY costs a commit: {args.threads} threads, one event per transaction, "
        f"{args.commit_seconds:g} s x {args.rounds} samples each (median)\n"
    )
    print_table(["commits", "transactions/s", "vs"], costs)


def _variant(text: str) -> tuple[str, str]:
    name, _, src = text.partition("=")
    if not src or not (Path(src) / "aicall").is_dir():
        raise SystemExit(f"--variant {text!r}: expected NAME=DIR, DIR holding the aicall package")
    return name, str(Path(src).resolve())


if __name__ == "__main__":
    main()
