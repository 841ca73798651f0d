"""Several dispatchers on one PostgreSQL outbox while contacts' events keep arriving, as a
scale-out run has them: the harness of test_stress.py, also runnable by hand (`main`).

Each dispatcher is a `DeliveryLoop` on a `SqlOutboxStore` of its own (its own connection pool)
in a thread of its own with its own event loop, as a worker process has. The emitter commits
each contact's events as the dialer does: `call.attempt.finished` of attempt 1 in one
transaction, `lag` transactions later attempt 2's with `contact.finished` in another, several
contacts per transaction. The sender notes every send; every `fail_every`-th answers 500 (a
failed attempt: back-off, the contact's later events handed back). Optionally a terminator
kills the dispatchers' busy backends (`pg_terminate_backend`), so store transactions fail in
every phase (record, claim, commit) as a server restart or failover would make them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from aicall.db.engine import Database
from aicall.webhooks import outbox
from aicall.webhooks.delivery import LEASE_EXPIRED, Job, Outcome
from aicall.webhooks.fakes import FakeSender
from aicall.webhooks.loop import DeliveryLoop
from aicall.webhooks.models import EventStatus, WebhookDelivery, WebhookEvent
from aicall.webhooks.schedule import RetrySchedule
from aicall.webhooks.store import SqlOutboxStore
from tests.integration.webhooks.helpers import BOX, example

FAILED_WORK = "database work failed"  # what `loop._Run._attempt` logs when a transaction fails
APP_NAME = "aicall-stress-dispatcher"  # the dispatchers' connections in pg_stat_activity
# Short back-offs and attempts enough that no event is given up on (failures are scripted).
SCHEDULE = RetrySchedule(delays=(0.2,) * 9, jitter=0)


@dataclass(frozen=True)
class Send:
    event_id: str
    dispatcher: str
    ok: bool


class _Noting(FakeSender):
    """A `FakeSender` that notes each send in a list shared by every dispatcher's thread and
    answers 500 to every `fail_every`-th send of the run (0: never), else 200."""

    def __init__(self, name: str, sends: list[Send], lock: threading.Lock, fail_every: int) -> None:
        super().__init__(self._verdict)
        self.name, self.sends, self.lock, self.fail_every = name, sends, lock, fail_every
        self._answers: dict[tuple[str, str, int], int] = {}

    def _verdict(self, job: Job) -> int:
        return self._answers.pop((job.event_id, job.claim_token, job.attempt))

    async def send(self, job: Job) -> Outcome:
        with self.lock:
            ok = not self.fail_every or (len(self.sends) + 1) % self.fail_every != 0
            self.sends.append(Send(job.event_id, self.name, ok))
        self._answers[job.event_id, job.claim_token, job.attempt] = 200 if ok else 500
        return await super().send(job)


class _Failures(logging.Handler):
    """Keeps the records of the store transactions the delivery loops survived."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if FAILED_WORK in record.getMessage():
            self.records.append(record)


@contextmanager
def _noting_failures() -> Iterator[_Failures]:
    handler = _Failures()
    logger = logging.getLogger("aicall.webhooks")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@dataclass
class Report:
    """What a run came to. `sends` in the order they began; `contacts`: contact id -> its
    event ids in the order emitted; `logged`: event id -> (successes, lost-lease entries)
    in the delivery log; `failures`: the loops' 'database work failed' records."""

    events: dict[str, str]  # event id -> status
    logged: dict[str, tuple[int, int]]
    sends: list[Send]
    contacts: dict[str, list[str]]
    failures: list[logging.LogRecord]
    settled: bool
    killed: int

    @property
    def not_delivered(self) -> list[str]:
        return [i for i, status in self.events.items() if status != EventStatus.DELIVERED.value]

    @property
    def sent_ok_not_once(self) -> dict[str, int]:
        """Events not answered 2xx exactly once: 0 (never) or 2+ (sent again after a success)."""
        ok = Counter(send.event_id for send in self.sends if send.ok)
        return {i: ok[i] for i in self.events if ok[i] != 1}

    @property
    def logged_ok_not_once(self) -> dict[str, int]:
        """Events without exactly one successful send in the delivery log."""
        return {i: self.logged.get(i, (0, 0))[0] for i in self.events if self.logged.get(i, (0, 0))[0] != 1}

    @property
    def lost_leases(self) -> int:
        return sum(lost for _, lost in self.logged.values())

    @property
    def out_of_order(self) -> list[str]:
        """Contacts with an event sent before the one emitted before it was delivered."""
        first_sent: dict[str, int] = {}
        delivered: dict[str, int] = {}
        for n, send in enumerate(self.sends):
            first_sent.setdefault(send.event_id, n)
            if send.ok:
                delivered.setdefault(send.event_id, n)
        return [
            contact
            for contact, ids in self.contacts.items()
            if any(
                earlier not in delivered or later not in first_sent or delivered[earlier] > first_sent[later]
                for earlier, later in itertools.pairwise(ids)
            )
        ]

    def summary(self) -> str:
        return (
            f"{len(self.events)} events ({len(self.contacts)} contacts), "
            f"statuses {dict(Counter(self.events.values()))}, {len(self.sends)} sends "
            f"({sum(not s.ok for s in self.sends)} answered 500); events answered 2xx other than "
            f"once: {len(self.sent_ok_not_once)}; logged successes -> events "
            f"{dict(Counter(self.logged.get(i, (0, 0))[0] for i in self.events))}; "
            f"lost leases logged: {self.lost_leases}; contacts out of order: {len(self.out_of_order)}; "
            f"failed store transactions: {len(self.failures)}; backends terminated: {self.killed}"
            + ("" if self.settled else "; NOT SETTLED")
        )


ATTEMPTS = (1, 1, 1, 1, 1, 1, 1, 2, 2, 3)  # attempts per contact, in turn: bench_scale's mix


def _payloads(contact_id: str, attempt: int, last: bool) -> list[tuple[str, dict[str, Any]]]:
    """The events of a contact's attempt `attempt`: the attempt's; with the `last`, the
    contact's `contact.finished` after it (the dialer commits them together)."""
    attempted = example("call.attempt.finished")["data"]
    events = [
        (
            "call.attempt.finished",
            {**attempted, "contact_id": contact_id, "attempt": {**attempted["attempt"], "number": attempt}},
        )
    ]
    if last:
        events.append(("contact.finished", {**example("contact.finished")["data"], "contact_id": contact_id}))
    return events


def _emit(
    db: Database, application_id: str, contacts: int, per_commit: int, lag: int
) -> dict[str, list[str]]:
    """Commit `contacts` contacts' events as the dialer stores results: contact n is dialled
    `ATTEMPTS[n % 10]` times; its first attempt's events are committed with `per_commit`
    other contacts' in transaction n // per_commit, each re-call's `lag` transactions after
    the one before, the last attempt's with `contact.finished`. Contact id -> its event ids,
    in order."""
    ids = [str(uuid.uuid4()) for _ in range(contacts)]
    emitted: dict[str, list[str]] = {contact: [] for contact in ids}
    steps: dict[int, list[tuple[str, int, bool]]] = {}
    for n, contact in enumerate(ids):
        tries = ATTEMPTS[n % len(ATTEMPTS)]
        for attempt in range(1, tries + 1):
            steps.setdefault(n // per_commit + (attempt - 1) * lag, []).append(
                (contact, attempt, attempt == tries)
            )
    for step in sorted(steps):
        batch: list[tuple[str, str, dict[str, Any]]] = []
        owners: list[str] = []
        for contact, attempt, last in steps[step]:
            for event_type, payload in _payloads(contact, attempt, last):
                batch.append((application_id, event_type, payload))
                owners.append(contact)
        with db.transaction() as session:
            stored = outbox.emit_many(session, batch)
        for contact, event_id in zip(owners, stored, strict=True):
            assert event_id is not None
            emitted[contact].append(event_id)
    return emitted


def _dispatch(url: str, name: str, stop: threading.Event, sender: _Noting, options: dict[str, Any]) -> None:
    """One dispatcher, as a worker process runs it, until `stop`; then it winds down."""

    async def run() -> None:
        db = Database(f"{url}?application_name={APP_NAME}")
        try:
            store = SqlOutboxStore(db, BOX, lease=options["lease"], schedule=SCHEDULE)
            halt = asyncio.Event()
            loop = DeliveryLoop(store, sender, batch=options["batch"], concurrency=options["concurrency"])
            async with loop:
                task = asyncio.create_task(loop.run(halt, idle_delay=0.05))
                while not stop.is_set():
                    await asyncio.sleep(0.02)
                halt.set()
                await task
        finally:
            db.dispose()

    asyncio.run(run())


def _terminate(db: Database, every: int, stop: threading.Event, killed: list[int]) -> None:
    """Until `stop`: every `every`-th check (10 ms apart), terminate one dispatcher backend
    that is not idle (in a transaction: a claim, a record, a commit)."""
    checks = 0
    while not stop.wait(0.01):
        checks += 1
        if checks % every:
            continue
        with db.reading() as session:
            pid = session.scalar(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :name"
                    " AND datname = current_database() AND state <> 'idle' LIMIT 1"
                ),
                {"name": APP_NAME},
            )
            if pid is not None:
                session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                killed.append(pid)


def run_stress(
    db: Database,
    application_id: str,
    *,
    dispatchers: int = 4,
    contacts: int = 300,
    per_commit: int = 5,
    lag: int = 1,
    lease: float = 30.0,
    batch: int = 7,
    concurrency: int = 3,
    fail_every: int = 0,
    kill_every: int = 0,
    settle_within: float = 120.0,
) -> Report:
    """Emit `contacts` contacts' events (`_emit`: 2.4 each) while `dispatchers` deliver them; wait until
    none is pending (at most `settle_within` s: past a lease, so a lost result shows as a
    second send), stop the dispatchers; what happened. Small batches and few slots make
    many short transactions, so the dispatchers' claims and records meet often."""
    sends: list[Send] = []
    lock, stop = threading.Lock(), threading.Event()
    options = {"lease": lease, "batch": batch, "concurrency": concurrency}
    killed: list[int] = []
    with _noting_failures() as failures:
        threads = [
            threading.Thread(
                target=_dispatch,
                args=(db.url, f"d{n}", stop, _Noting(f"d{n}", sends, lock, fail_every), options),
                name=f"dispatcher-{n}",
            )
            for n in range(dispatchers)
        ]
        if kill_every:
            threads.append(
                threading.Thread(target=_terminate, args=(db, kill_every, stop, killed), name="terminator")
            )
        for thread in threads:
            thread.start()
        settled = False
        try:
            emitted = _emit(db, application_id, contacts, per_commit, lag)
            deadline = time.monotonic() + settle_within
            while not settled and time.monotonic() < deadline:
                with db.reading() as session:
                    settled = (
                        session.scalar(
                            select(WebhookEvent.id)
                            .where(WebhookEvent.status == EventStatus.PENDING.value)
                            .limit(1)
                        )
                        is None
                    )
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    ours = {i for each in emitted.values() for i in each}
    with db.reading() as session:
        events = {i: s for i, s in session.execute(select(WebhookEvent.id, WebhookEvent.status)) if i in ours}
        logged: dict[str, tuple[int, int]] = {}
        for event_id, succeeded, error in session.execute(
            select(WebhookDelivery.event_id, WebhookDelivery.succeeded, WebhookDelivery.error)
        ):
            ok, lost = logged.get(event_id, (0, 0))
            logged[event_id] = (ok + bool(succeeded), lost + (error == LEASE_EXPIRED))
    with lock:
        sent = list(sends)
    return Report(events, logged, sent, emitted, failures.records, settled, len(killed))


def main() -> None:
    """`python -m tests.integration.webhooks.stress [runs] [option=value ...]` (the options of
    `run_stress`) on AICALL_TEST_POSTGRES_URL: a fresh database per run, a summary line each."""
    import sys
    import traceback

    from aicall.db import migrate
    from tests.integration.support import _drop_postgres_database, _make_postgres_database, make_tenant
    from tests.integration.webhooks.helpers import configure

    logging.getLogger("aicall.webhooks").propagate = False  # the summary, not every 500
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    options: dict[str, Any] = {
        key: float(value) if "." in value else int(value)
        for key, value in (arg.split("=", 1) for arg in sys.argv[2:])
    }
    for run in range(runs):
        url = _make_postgres_database()
        db = Database(url)
        try:
            migrate.upgrade(db.engine)
            tenant = make_tenant(db)
            configure(db, tenant.application_id, "http://receiver.test/hook")
            began = time.monotonic()
            report = run_stress(db, tenant.application_id, **options)
            print(f"run {run + 1}: {time.monotonic() - began:.1f} s: {report.summary()}", flush=True)
            for record in report.failures[:1]:  # the first failure's cause, in short
                if record.exc_info:
                    traceback.print_exception(*record.exc_info, limit=2)
        finally:
            db.dispose()
            _drop_postgres_database(url)


if __name__ == "__main__":
    main()
