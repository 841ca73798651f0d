"""Stand-ins for the delivery loop's two seams, shipped for tests and trials (as procrastinate
ships its InMemoryConnector): an outbox store in a dict and a sender that answers from a script.

`InMemoryOutbox` keeps the SQL store's rules (leases, give-ups, the lost-lease log entry, the
back-off of `delivery.after_attempt`); what it cannot show is SQL itself, which
`store.SqlOutboxStore`'s tests prove on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from standardwebhooks import Webhook

from aicall.clock import Clock, utc_now
from aicall.ids import object_id
from aicall.webhooks.delivery import LEASE_EXPIRED, Job, Outcome, after_attempt
from aicall.webhooks.models import EventStatus
from aicall.webhooks.schedule import DEFAULT_SCHEDULE, RetrySchedule

__all__ = ["FakeSender", "InMemoryOutbox", "StoreDown", "StoredEvent"]


class StoreDown(ConnectionError):
    """Raised by `InMemoryOutbox` while `failures` is above zero: a database gone away."""


@dataclass
class StoredEvent:
    """One outbox row. `url` None: the application has no webhook URL."""

    id: str
    url: str | None
    event_type: str
    body: str
    signer: Webhook
    application_id: str
    status: EventStatus = EventStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_until: datetime | None = None
    claim_token: str | None = None
    last_error: str | None = None

    def job(self, attempt: int) -> Job:
        assert self.url is not None and self.claim_token is not None
        return Job(
            self.id,
            self.application_id,
            self.event_type,
            attempt,
            self.url,
            self.body,
            self.signer,
            self.claim_token,
        )


class InMemoryOutbox:
    """`OutboxStore` in memory. `lease`: seconds a claim lasts. `attempts`: the delivery log;
    `calls`: one (method, results recorded, jobs claimed or handed back) per call, to see how
    the loop groups its work; `failures`: how many next calls raise `StoreDown`."""

    def __init__(
        self, *, clock: Clock = utc_now, schedule: RetrySchedule = DEFAULT_SCHEDULE, lease: float = 60.0
    ) -> None:
        self.clock = clock
        self.schedule = schedule
        self.lease = lease
        self.events: dict[str, StoredEvent] = {}
        self.attempts: list[Outcome] = []
        self.calls: list[tuple[str, int, int]] = []
        self.failures = 0
        self._wakers: set[Callable[[], None]] = set()

    def add(
        self,
        *,
        url: str | None = "http://receiver.test/hook",
        event_type: str = "scenario.approved",
        body: str = "{}",
    ) -> str:
        """Queue an event, due now, as a committed `outbox.emit` would; wake listeners; return its id."""
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        event = StoredEvent(
            object_id(), url, event_type, body, Webhook(secret), "app", next_attempt_at=self.clock()
        )
        self.events[event.id] = event
        for waker in list(self._wakers):
            waker()
        return event.id

    async def claim(self, limit: int) -> list[Job]:
        return await self.record((), claim=limit)

    async def record(self, outcomes: Sequence[Outcome], *, claim: int = 0) -> list[Job]:
        await self._transaction()
        self._record(outcomes)
        jobs = self._claim(claim) if claim else []
        self.calls.append(("record", len(outcomes), len(jobs)))
        return jobs

    async def release(self, outcomes: Sequence[Outcome], unstarted: Sequence[Job]) -> None:
        await self._transaction()
        self._record(outcomes)
        for job in unstarted:
            event = self.events[job.event_id]
            if event.claim_token == job.claim_token:
                event.attempts -= 1
                event.next_attempt_at, event.claimed_until, event.claim_token = self.clock(), None, None
        self.calls.append(("release", len(outcomes), len(unstarted)))

    def listen(self, waker: Callable[[], None]) -> Callable[[], None]:
        self._wakers.add(waker)
        return lambda: self._wakers.discard(waker)

    async def _transaction(self) -> None:
        await asyncio.sleep(0)  # a real store gives the event loop back while it works
        if self.failures > 0:
            self.failures -= 1
            raise StoreDown("the outbox store is unreachable")

    def _claim(self, limit: int) -> list[Job]:
        now = self.clock()
        due = [
            e
            for e in self.events.values()
            if e.status == EventStatus.PENDING and e.next_attempt_at and e.next_attempt_at <= now
        ]
        token = secrets.token_hex(16)
        jobs: list[Job] = []
        for event in sorted(due, key=lambda e: e.next_attempt_at or now)[:limit]:
            if event.claimed_until is not None:  # its sender died mid-delivery: log the lost attempt
                lost = Job(
                    event.id,
                    "app",
                    event.event_type,
                    event.attempts,
                    event.url or "",
                    event.body,
                    event.signer,
                    "",
                )
                self.attempts.append(Outcome(lost, event.claimed_until, False, None, 0, LEASE_EXPIRED, None))
            if event.url is None or event.attempts >= self.schedule.max_attempts:
                reason = (
                    "the application has no webhook URL"
                    if event.url is None
                    else f"gave up after {event.attempts} attempts"
                )
                event.status, event.next_attempt_at, event.last_error = EventStatus.FAILED, None, reason
                event.claimed_until = event.claim_token = None
                continue
            event.attempts += 1
            event.claim_token = token
            event.claimed_until = event.next_attempt_at = now + timedelta(seconds=self.lease)
            jobs.append(event.job(event.attempts))
        return jobs

    def _record(self, outcomes: Sequence[Outcome]) -> None:
        now = self.clock()
        logged = {attempt.log_id for attempt in self.attempts}
        for outcome in outcomes:
            if outcome.log_id in logged:
                continue  # recorded already (`OutboxStore`: recording is idempotent)
            self.attempts.append(outcome)
            event = self.events[outcome.job.event_id]
            if event.claim_token != outcome.job.claim_token:
                continue  # the claim lapsed: the event is someone else's now
            state = after_attempt(outcome, self.schedule, now)
            event.status, event.next_attempt_at, event.last_error = (
                state.status,
                state.next_attempt_at,
                outcome.error,
            )
            event.claimed_until = event.claim_token = None


Answer = int | str  # an HTTP status (2xx: delivered) or the error of a failed send


class FakeSender:
    """`Sender` answering from a script: `answer` (an Answer, or a function of the job giving
    one). Sends for which `hold(job)` is true wait until `release()`. `sent` lists every job
    as its send began; `most_in_flight` is the highest number of sends at once."""

    def __init__(self, answer: Answer | Callable[[Job], Answer] = 200, *, clock: Clock = utc_now) -> None:
        self.answer = answer
        self.clock = clock
        self.hold: Callable[[Job], bool] = lambda _job: False
        self.sent: list[Job] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.closed = False
        self._released = asyncio.Event()
        self._changed = asyncio.Condition()

    def release(self) -> None:
        """Let every held send (and any later one) finish."""
        self._released.set()

    async def wait_for(self, count: int) -> list[Job]:
        """Until `count` sends have begun; wrap in `asyncio.timeout` to bound the wait."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= count)
            return list(self.sent)

    async def send(self, job: Job) -> Outcome:
        started_at = self.clock()
        async with self._changed:
            self.sent.append(job)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._changed.notify_all()
        try:
            if self.hold(job):
                await self._released.wait()
        finally:
            self.in_flight -= 1
        answer = self.answer(job) if callable(self.answer) else self.answer
        if isinstance(answer, str):
            return Outcome(job, started_at, False, None, 0, answer, None)
        ok = 200 <= answer < 300
        return Outcome(job, started_at, ok, answer, 0, None if ok else f"HTTP {answer}", "ok" if ok else "")

    async def aclose(self) -> None:
        self.closed = True
