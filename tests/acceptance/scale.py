"""Several `aicall worker` and `aicall serve` processes on one PostgreSQL server, driven as a
customer drives them: contacts pushed through the public API (JWT, requests of 1,000, some
re-sent with the same Idempotency-Key to another API process), simulated phones whose last
digit decides what they do, a real HTTP receiver on the loopback that records every webhook;
then every count checked exactly. Shared by tests/acceptance/test_scale_out.py and the
benches bench/bench_scale.py and bench/bench_soak.py (issue 13)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from aicall.accounts import ledger
from aicall.accounts.models import Account, LedgerEntry
from aicall.calls.models import CallAttempt
from aicall.calls.outcomes import CallOutcome
from aicall.campaigns import queries
from aicall.campaigns.models import FINAL_CONTACT_STATUSES, Campaign, Contact
from aicall.db.engine import Database
from aicall.dialer.models import DialerWorker
from aicall.webhooks.models import WebhookDelivery, WebhookEvent
from aicall.webhooks.testing import Received, Reply, WebhookReceiver
from tests.acceptance.platform import Demo
from tests.acceptance.postgres import Server, dedicated_postgres
from tests.acceptance.support import bearer, clean_env, free_port, running, wait_for_http

ADD_CONTACTS = "/api/v1/public-api/campaign"
CAMPAIGNS = "/api/v1/public-api/campaigns"
BATCH = 1_000  # contacts per add-contacts request, as a customer's job sends them
# Re-calls of the not-reached outcomes, one second apart (seconds: CampaignSettings.retry). Busy
# phones (last digit 3) are dialled 3 times, phones that ring out (4) and reject (6) twice.
RETRY = {
    "busy": {"max_attempts": 2, "interval": 1},
    "no_answer": {"max_attempts": 1, "interval": 1},
    "rejected": {"max_attempts": 1, "interval": 1},
    "failed": {"max_attempts": 1, "interval": 1},
}
# The most a campaign may ask (CampaignSettings.calls_per_second), no recording (espeak-ng per
# call would measure speech synthesis), every call at once the pool allows.
SETTINGS: dict[str, Any] = {
    "calls_per_second": 200,
    "max_concurrent": 2000,
    "record": False,
    "retry": RETRY,
}
FINAL = {s.value for s in FINAL_CONTACT_STATUSES}
CALL_EVENTS = ("call.attempt.finished", "contact.finished")  # a contact's events, in its order


def phone_of(n: int) -> str:
    """The n-th contact's number (national form): its last digit is n's, so the simulator's
    phones are spread evenly over all ten behaviours (telephony/sim/behaviour.py)."""
    return f"09{n:08d}"


@contextmanager
def tuned_postgres(max_connections: int = 300) -> Iterator[Server]:
    """A PostgreSQL server of the run's own (tests/acceptance/postgres.py) with the settings
    docs/deploy.md asks for: autovacuum on (initdb's default; the shared test server has it off)
    and room for every process's pool (30 connections each at peaks)."""
    with dedicated_postgres() as server:
        server._run(
            "psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-c",
            f"ALTER SYSTEM SET max_connections = {max_connections}",
        )  # fmt: skip
        # A lock waited on for more than deadlock_timeout (1 s) is logged (deadlocks always
        # are): the server's log (`Server.data`/log) says what a slow or failed run waited for.
        server._run(
            "psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-c",
            "ALTER SYSTEM SET log_lock_waits = on",
        )  # fmt: skip
        server.stop()
        server.start()
        yield server


@dataclass
class Cluster:
    """The platform's processes on one database: `apis` API processes (`aicall serve`, engine
    off) and `workers` engine processes (`aicall worker`), each its own OS process."""

    root: Path
    env: dict[str, str]
    demo: Demo
    api_urls: list[str] = field(default_factory=list)
    api_pids: list[int] = field(default_factory=list)
    worker_pids: list[int] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    _workers: list[Any] = field(default_factory=list)

    @classmethod
    def init(cls, root: Path, database_url: str, receiver_url: str, **extra_env: str) -> Cluster:
        env = clean_env(
            AICALL_DATABASE_URL=database_url,
            AICALL_DATA_DIR=str(root / "var"),
            AICALL_SIM_TIME_SCALE="0",
            AICALL_TTS_ENGINE="none",
            AICALL_WEBHOOK_ALLOW_PRIVATE="1",
            AICALL_DIALER_TICK="0.2",
            AICALL_LOG_LEVEL="warning",
            **extra_env,
        )
        demo = Demo.init(root, env)
        demo.cli("app", "update", "--app", demo.keys["api_key"], "--webhook-url", receiver_url)
        # Enough that no call waits for credit (the balance is not what is measured): the most
        # one top-up may add, far above 100,000 contacts' worst-case reservations.
        demo.cli("balance", "topup", "--app", demo.keys["api_key"], "--amount", str(ledger.MAX_TOPUP))
        return cls(root, env, demo)

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.demo.keys["api_key"], self.demo.keys["api_secret"])

    def start_apis(self, count: int) -> None:
        for n in range(count):
            port = free_port()
            env = {**self.env, "AICALL_PORT": str(port), "AICALL_RUN_ENGINE": "false"}
            process = self._stack.enter_context(running(["serve"], self.root, env, f"api{n + 1}.log"))
            self.api_pids.append(process.pid)
            self.api_urls.append(f"http://127.0.0.1:{port}")
        for url in self.api_urls:
            wait_for_http(url + "/healthz", timeout=60)

    def start_workers(self, count: int) -> None:
        for _ in range(count):
            n = len(self._workers) + 1
            process = self._stack.enter_context(running(["worker"], self.root, self.env, f"worker{n}.log"))
            self._workers.append(process)
            self.worker_pids.append(process.pid)

    def wait_workers_registered(self, timeout: float = 120.0) -> None:
        """Block until every started worker has registered (a `dialer_workers` row with its
        pid: its imports and its engine's start are behind it). TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            with self.demo.db.reading() as session:
                registered = set(session.scalars(select(DialerWorker.pid)))
            if set(self.worker_pids) <= registered:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers {sorted(set(self.worker_pids) - registered)} did not register")
            time.sleep(0.2)

    def stop_workers(self) -> None:
        """SIGTERM to every worker (their graceful stop), then wait for each to exit."""
        for process in self._workers:
            if process.poll() is None:
                process.terminate()
        for process in self._workers:
            process.wait(timeout=60)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- through the public API ------------------------------------------------------------

    def configure_demo_campaign(self, settings: dict[str, Any] | None = None) -> str:
        answer = requests.put(
            f"{self.api_urls[0]}{CAMPAIGNS}/{self.demo.keys['campaign_id']}",
            json={"settings": settings or SETTINGS},
            headers=self.headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return str(self.demo.keys["campaign_id"])

    def transition(self, campaign_id: str, action: str) -> None:
        """`start`, `pause`, `resume` or `stop` a campaign through the public API."""
        answer = requests.post(
            f"{self.api_urls[0]}{CAMPAIGNS}/{campaign_id}/{action}", headers=self.headers, timeout=30
        )
        assert answer.status_code == 200, answer.text

    def new_campaign(self, name: str, settings: dict[str, Any] | None = None) -> str:
        answer = requests.post(
            f"{self.api_urls[0]}{CAMPAIGNS}",
            json={
                "name": name,
                "scenarioId": self.demo.keys["scenario_id"],
                "settings": settings or SETTINGS,
                "start": True,
            },
            headers=self.headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["result"]["id"])


@dataclass
class Pushed:
    contacts: int = 0
    requests: int = 0
    retried: int = 0  # requests re-sent with the same Idempotency-Key, to the other API process
    resets: int = 0  # connections the server closed under a request, which was then sent again
    latencies: list[float] = field(default_factory=list)  # seconds per request


def push_contacts(
    cluster: Cluster,
    campaigns: Sequence[str],
    numbers: range,
    *,
    retry_every: int = 4,
    key_prefix: str = "scale",
) -> Pushed:
    """Contacts `phone_of(n)` for n in `numbers`, in requests of `BATCH`, through every API
    process at once (batch i goes to API i mod len, to campaign i mod len(campaigns)); every
    `retry_every`-th request is sent again with its Idempotency-Key to the next API process and
    must get the same answer. Raises AssertionError on any refused or partial request."""
    starts = list(range(numbers.start, numbers.stop, BATCH))
    pushed = Pushed()
    lock = threading.Lock()
    failures: list[str] = []

    def post(session: requests.Session, url: str, body: Any, headers: dict[str, str]) -> requests.Response:
        # A kept-alive connection the server closes as the request leaves (uvicorn closes idle
        # ones after 5 s) is reset: the client sends the request again with the same key, as
        # docs/reliability.md tells clients to; the key makes it count once.
        for _ in range(3):
            try:
                return session.post(url, json=body, headers=headers, timeout=120)
            except requests.ConnectionError:
                with lock:
                    pushed.resets += 1
        return session.post(url, json=body, headers=headers, timeout=120)

    def send(lane: int) -> None:
        session = requests.Session()
        headers = cluster.headers
        for i in range(lane, len(starts), len(cluster.api_urls)):
            first = starts[i]
            chunk = range(first, min(first + BATCH, numbers.stop))
            body = {
                "campaign_id": campaigns[i % len(campaigns)],
                "contacts": [
                    {"phone_number": phone_of(n), "ho_ten": f"Khách {n}", "so_tien": str(1000 + n)}
                    for n in chunk
                ],
            }
            key = {"Idempotency-Key": f"{key_prefix}-{first}"}
            began = time.perf_counter()
            answer = post(session, cluster.api_urls[lane] + ADD_CONTACTS, body, {**headers, **key})
            took = time.perf_counter() - began
            problem = None
            if answer.status_code != 200 or len(answer.json().get("result", [])) != len(chunk):
                problem = f"batch {first}: {answer.status_code} {answer.text[:300]}"
            elif retry_every and i % retry_every == 0:
                other = cluster.api_urls[(lane + 1) % len(cluster.api_urls)]
                again = post(session, other + ADD_CONTACTS, body, {**headers, **key})
                if again.status_code != 200 or again.json() != answer.json():
                    problem = f"batch {first} re-sent: {again.status_code} {again.text[:300]}"
                with lock:
                    pushed.retried += 1
            with lock:
                pushed.requests += 1
                pushed.contacts += len(chunk)
                pushed.latencies.append(took)
                if problem:
                    failures.append(problem)

    threads = [threading.Thread(target=send, args=(lane,)) for lane in range(len(cluster.api_urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:5]
    return pushed


# -- the receiver -------------------------------------------------------------------------------


def receiver() -> WebhookReceiver:
    """A receiver answering 204 at once to everything."""
    return WebhookReceiver(behaviour=Reply(status=204, body=b""))


# -- reading the outcome ------------------------------------------------------------------------


def undelivered(db: Database) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status != "delivered")
            )
            or 0
        )


def outbox_size(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def wait_settled(
    db: Database,
    campaigns: Sequence[str],
    hook: WebhookReceiver,
    *,
    contacts: int,
    timeout: float,
    poll: float = 1.0,
) -> float:
    """Block until `contacts` contacts exist, all final, every event delivered and received;
    return the seconds it took (to within `poll` seconds). AssertionError after `timeout`
    seconds, saying what is left.

    While contacts are open, one query per poll (both counts in one scan): the polling shares
    the PostgreSQL server with what a bench measures. The four counts it made before took
    about 100 ms of the server a second in the middle of the 100,000-contact run (15-34 ms
    each at load 8), half a millisecond per attempt at 170 calls/s, against about 1.6 ms of
    server CPU per attempt in all; the one count takes about 40 ms."""
    began = time.monotonic()
    while True:
        with db.reading() as session:
            total, left = session.execute(
                select(func.count(), func.count().filter(Contact.status.not_in(FINAL)))
                .select_from(Contact)
                .where(Contact.campaign_id.in_(campaigns))
            ).one()
        pending = events = got = -1
        if total == contacts and left == 0:
            pending = undelivered(db)
            events = outbox_size(db)
            got = len(hook.received)
            if pending == 0 and got >= events:
                return time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise AssertionError(
                f"not settled in {timeout:.0f} s: {total} contacts, {left} not final, "
                f"{pending} events undelivered, {got} of {events} received (-1: not counted yet)"
            )
        time.sleep(poll)


def expected_attempts(outcome: str, retry: dict[str, Any]) -> int:
    """How many times a phone that always ends with `outcome` is dialled: once when answered or
    not a number, else once plus its rule's re-calls (dialer/retry.after_attempt)."""
    if outcome in (CallOutcome.ANSWERED.value, CallOutcome.INVALID_NUMBER.value):
        return 1
    rule = retry.get(outcome)
    return 1 + (rule.max_attempts if rule is not None else 0)


@dataclass(frozen=True)
class Checked:
    """What the exactness checks counted."""

    contacts: int
    attempts: int
    by_attempts: dict[int, int]  # attempts per contact -> contacts
    by_status: dict[str, int]
    charged: int  # đồng, the sum of the attempts' costs = the ledger's charges = balance moved
    charges: int  # ledger charge entries
    events: int  # outbox rows = distinct webhook ids received = successful deliveries
    redelivered: int  # events received again after a send logged as failed (a late answer)
    first_claim: float  # epoch seconds: the first attempt claimed
    # Epoch seconds: the last result stored (its `call.attempt.finished` event's `created_at`,
    # written in the result's transaction). Not the attempts' `ended_at`: a simulated call's
    # timestamps are read off its own timeline (telephony/sim/timeline.py), so at time scale 0
    # an answered call "ends" up to 41 s after it was stored, which stretched the window.
    last_stored: float
    # The calls' events (`call.attempt.finished`, `contact.finished`): how many, and epoch
    # seconds of the first and last delivered. Campaign events (started, paused, resumed) are
    # left out of the rate: they are delivered when the workers come up, before any call.
    call_events: int
    first_delivery: float
    last_delivery: float

    @property
    def calls_per_second(self) -> float:
        """Attempts ÷ seconds from the first claim to the last result stored (wall clock)."""
        return self.attempts / max(self.last_stored - self.first_claim, 1e-9)

    @property
    def deliveries_per_second(self) -> float:
        """The calls' events ÷ seconds from the first of them delivered to the last."""
        return self.call_events / max(self.last_delivery - self.first_delivery, 1e-9)


def check_exact(
    db: Database,
    *,
    account_id: str,
    campaigns: Sequence[str],
    contacts: int,
    balance_before: int,
    received: list[Received],
) -> Checked:
    """Every exactness rule of issue 13, asserted; returns what was counted.

    * each contact dialled exactly as often as its phone's outcome and the retry rules say (so
      never more than 1 + its rule's re-calls), attempt numbers 1..k, every attempt finished;
    * every contact final (`done` when answered, `failed` otherwise);
    * one ledger charge per charged attempt, their sum = the attempts' costs = what the balance
      moved; nothing left reserved;
    * every outbox event delivered exactly once: ids received = outbox ids, one successful
      delivery logged each, none received more often than it was sent (a second receipt only
      after a send logged as failed: the receiver answered too late); each contact's events
      in order: attempt 1, 2, ..., then contact.finished.
    """
    with db.reading() as session:
        rules = {c.id: queries.settings_of(session, c).retry for c in session.scalars(select(Campaign))}
        contact_rows = session.execute(
            select(Contact.id, Contact.campaign_id, Contact.phone, Contact.status, Contact.attempts).where(
                Contact.campaign_id.in_(campaigns)
            )
        ).all()
        attempt_rows = session.execute(
            select(
                CallAttempt.id,
                CallAttempt.contact_id,
                CallAttempt.number,
                CallAttempt.status,
                CallAttempt.outcome,
                CallAttempt.cost,
                CallAttempt.claimed_at,
                CallAttempt.ended_at,
            ).where(CallAttempt.campaign_id.in_(campaigns))
        ).all()
        charges = session.execute(
            select(LedgerEntry.attempt_id, LedgerEntry.amount).where(
                LedgerEntry.account_id == account_id, LedgerEntry.kind == "charge"
            )
        ).all()
        account = session.get(Account, account_id)
        assert account is not None
        balance, reserved = account.balance, account.reserved
        events = dict(session.execute(select(WebhookEvent.id, WebhookEvent.status)).all())
        call_events = session.execute(
            select(
                func.count(), func.min(WebhookEvent.delivered_at), func.max(WebhookEvent.delivered_at)
            ).where(WebhookEvent.type.in_(CALL_EVENTS))
        ).one()
        last_stored = session.scalar(
            select(func.max(WebhookEvent.created_at)).where(WebhookEvent.type == "call.attempt.finished")
        )
        successes = Counter(
            session.scalars(select(WebhookDelivery.event_id).where(WebhookDelivery.succeeded.is_(True)))
        )
        sends = Counter(session.scalars(select(WebhookDelivery.event_id)))  # every attempt, logged

    # Contacts: all there, once each, all final.
    assert len(contact_rows) == contacts, (len(contact_rows), contacts)
    assert len({c.phone for c in contact_rows}) == contacts  # no contact added twice
    by_contact: dict[str, list[Any]] = defaultdict(list)
    for row in attempt_rows:
        by_contact[row.contact_id].append(row)
    by_status = Counter(c.status for c in contact_rows)
    assert set(by_status) <= FINAL, by_status
    wrong = []
    for contact in contact_rows:
        tried = sorted(by_contact.get(contact.id, []), key=lambda a: a.number)
        numbers = [a.number for a in tried]
        outcome = tried[-1].outcome if tried else None
        expected = expected_attempts(outcome or "", rules[contact.campaign_id]) if tried else 0
        status = "done" if outcome == CallOutcome.ANSWERED.value else "failed"
        if (
            numbers != list(range(1, len(tried) + 1))
            or len(tried) != expected
            or contact.attempts != len(tried)
            or contact.status != status
            or any(a.status != "finished" or a.outcome != outcome for a in tried)
        ):
            wrong.append(
                (contact.phone, contact.status, contact.attempts, [(a.number, a.outcome) for a in tried])
            )
    assert not wrong, f"{len(wrong)} contacts dialled other than their retry rule says: {wrong[:5]}"

    # Money: the ledger is the attempts' costs, the balance moved by exactly that.
    charged = sum(a.cost for a in attempt_rows)
    costly = sorted(a.id for a in attempt_rows if a.cost > 0)
    assert sorted(str(c.attempt_id) for c in charges) == costly, "one charge per charged attempt"
    assert -sum(c.amount for c in charges) == charged > 0
    assert balance_before - balance == charged, (balance_before, balance, charged)
    assert reserved == 0

    # Webhooks: every outbox event delivered once (one send answered 2xx in time, logged);
    # per contact in order. A receiver gets an event a second time only after a send the
    # platform logged as failed: it answered after the sender's 10 s timeout (a starved
    # receiver on a loaded machine does), so the event was sent again, as docs/webhooks.md
    # says (at least once; the `webhook-id` is the receiver's dedupe key). Never more often
    # than it was sent.
    ids = [r.webhook_id for r in received]
    times = Counter(ids)
    assert set(ids) == set(events), (len(set(ids) - set(events)), len(set(events) - set(ids)))
    assert set(events.values()) == {"delivered"}
    logged = Counter(successes[i] for i in events)  # successful sends logged -> events
    assert set(logged) == {1}, (
        f"one successful delivery logged per event: {dict(logged)} (sends logged -> events); "
        f"received twice: {sum(1 for n in Counter(r.webhook_id for r in received).values() if n > 1)}; "
        f"{delivery_log(db, [i for i in events if successes[i] != 1][:3], received)}"
    )
    unlogged = [i for i, n in times.items() if n > sends[i]]
    assert not unlogged, f"{len(unlogged)} events received more often than sent, e.g. {unlogged[:3]}"
    redelivered = [i for i, n in times.items() if n > 1]
    first: dict[str, Received] = {}
    for request in received:
        first.setdefault(request.webhook_id, request)
    sequences: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for request in first.values():
        body = json.loads(request.body)
        data = body["data"]
        if body["type"] == "call.attempt.finished":
            sequences[data["contact_id"]].append((body["type"], data["attempt"]["number"]))
        elif body["type"] == "contact.finished":
            sequences[data["contact_id"]].append((body["type"], 1 << 30))
    out_of_order = [
        (cid, seq)
        for cid, seq in sequences.items()
        if [n for _, n in seq] != sorted(n for _, n in seq)
        or seq[-1][0] != "contact.finished"
        or len(seq) != len(by_contact[cid]) + 1
    ]
    assert len(sequences) == contacts
    assert not out_of_order, f"{len(out_of_order)} contacts' events out of order: {out_of_order[:3]}"

    return Checked(
        contacts=contacts,
        attempts=len(attempt_rows),
        by_attempts=dict(sorted(Counter(len(v) for v in by_contact.values()).items())),
        by_status=dict(by_status),
        charged=charged,
        charges=len(charges),
        events=len(events),
        redelivered=len(redelivered),
        first_claim=min(a.claimed_at for a in attempt_rows).timestamp(),
        last_stored=last_stored.timestamp(),
        call_events=call_events[0],
        first_delivery=call_events[1].timestamp(),
        last_delivery=call_events[2].timestamp(),
    )


def delivery_log(db: Database, event_ids: Sequence[str], received: list[Received]) -> str:
    """What a failed webhook check needs to be explained: for each of `event_ids`, its type,
    its attempts logged (attempt, succeeded, error, started at, status code) and when the
    receiver got it."""
    with db.reading() as session:
        rows = session.execute(
            select(
                WebhookDelivery.event_id,
                WebhookDelivery.event_type,
                WebhookDelivery.attempt,
                WebhookDelivery.succeeded,
                WebhookDelivery.error,
                WebhookDelivery.created_at,
                WebhookDelivery.status_code,
            )
            .where(WebhookDelivery.event_id.in_(event_ids))
            .order_by(WebhookDelivery.created_at)
        ).all()
    lines = []
    for event_id in event_ids:
        attempts = [
            (
                r.event_type,
                r.attempt,
                r.succeeded,
                (r.error or "")[:60],
                r.created_at.isoformat(),
                r.status_code,
            )
            for r in rows
            if r.event_id == event_id
        ]
        got = [time.strftime("%H:%M:%S", time.gmtime(r.at)) for r in received if r.webhook_id == event_id]
        lines.append(f"{event_id}: logged {attempts}, received at {got}")
    return "; ".join(lines)


def balance_of(db: Database, account_id: str) -> int:
    with db.reading() as session:
        return int(session.scalar(select(Account.balance).where(Account.id == account_id)) or 0)
