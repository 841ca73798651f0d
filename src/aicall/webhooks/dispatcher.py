"""The dispatcher: claims due events from the outbox, POSTs them signed, records every attempt.

Delivery is at least once. A claim is a lease: the event's `next_attempt_at` moves to the end
of the lease before the POST, and the attempt's result is committed after it. A dispatcher
that dies in between (kill -9, power loss) records nothing, so when the lease runs out the
event is due again and goes out again with the same `webhook-id` — never lost, sometimes
repeated, which is what the id is for.

Claiming is `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (several workers share the
outbox, never the same event) and runs under SQLite's write lock (taken by BEGIN IMMEDIATE).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar, cast

import httpcore
import httpx
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from aicall.accounts.models import Application
from aicall.accounts.secrets_box import SecretBox
from aicall.clock import Clock, utc_now
from aicall.db.base import UTCDateTime
from aicall.db.engine import Database
from aicall.ids import object_id
from aicall.webhooks import guard, outbox, signing
from aicall.webhooks.models import EventStatus, WebhookDelivery, WebhookEvent
from aicall.webhooks.schedule import DEFAULT_SCHEDULE, RetrySchedule

__all__ = ["Dispatcher", "GuardedTransport"]

log = logging.getLogger("aicall.webhooks")

KEEP_RESPONSE_BYTES = 1024  # of each answer's body, in the delivery log
READ_RESPONSE_BYTES = 64 * 1024  # read at most this much; a longer answer closes the connection
DEFAULT_LIMITS = httpx.Limits()
T = TypeVar("T")
RECORD_WITHIN = 0.1  # seconds a delivery's result may wait to be written with others
LEASE_EXPIRED = (
    "no result was recorded before the lease expired (the dispatcher stopped mid-delivery); sending again"
)


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed event, ready to send."""

    event_id: str
    application_id: str
    event_type: str
    attempt: int
    url: str
    body: str
    signer: Webhook
    claim_token: str


@dataclass(frozen=True, slots=True)
class Outcome:
    job: Job
    started_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, connecting only to public addresses it resolved itself."""

    def __init__(self, *, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx 0.28 (pinned) has no public hook for the network backend, so the pool it
        # built is replaced by the same pool over the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=guard.GuardedNetworkBackend(),
        )


class Dispatcher:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        allow_private: bool,
        clock: Clock = utc_now,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        batch: int = 50,
        concurrency: int = 16,
        schedule: RetrySchedule = DEFAULT_SCHEDULE,
        lease: float | None = None,
    ) -> None:
        """`timeout`: seconds a receiver has to answer, all in. `lease`: how long a claim lasts;
        by default long enough for a whole batch at `concurrency`, plus a margin."""
        if batch < 1 or concurrency < 1 or timeout <= 0:
            raise ValueError("batch and concurrency must be at least 1, timeout positive")
        self.db = db
        self.box = box
        self.allow_private = allow_private
        self.clock = clock
        self.timeout = timeout
        self.batch = batch
        self.concurrency = concurrency
        self.schedule = schedule
        self.lease = lease if lease is not None else timeout * (math.ceil(batch / concurrency) + 1) + 30
        self._client = client
        self._owns_client = client is None
        self._slots = asyncio.Semaphore(concurrency)
        self._signers: dict[str, Webhook] = {}

    # -- HTTP ------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(
                max_connections=self.concurrency * 2, max_keepalive_connections=self.concurrency
            )
            transport = (
                httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
                if self.allow_private
                else GuardedTransport(limits=limits)
            )
            self._client = httpx.AsyncClient(
                transport=transport, timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- the loop --------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch of due events, deliver them, record the results; return how many."""
        jobs = await asyncio.to_thread(self._claim, self.batch)
        if not jobs:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(job) for job in jobs))
        await asyncio.to_thread(self._record, outcomes)
        return len(jobs)

    async def run(self, stop: asyncio.Event, idle_delay: float = 0.5) -> None:
        """Deliver until `stop` is set, then finish the deliveries in flight and return.

        Keeps `concurrency` deliveries going from a local queue of claimed events, topped up a
        batch at a time; a slow receiver holds one slot, not a batch. Results are recorded as
        they come, in the same transaction as the next claim. When nothing is due it sleeps up
        to `idle_delay`; a commit of new events in this process wakes it at once.
        """
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def waker() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(wake.set)

        outbox.add_waker(waker)
        queue: deque[Job] = deque()
        in_flight: set[asyncio.Task[Outcome]] = set()
        unrecorded: list[Outcome] = []
        record_by = 0.0  # loop time by which unrecorded results must be written
        stop_task = asyncio.ensure_future(stop.wait())
        wake_task = asyncio.ensure_future(wake.wait())
        poll_at = 0.0  # loop time of the next claim; 0: at once (the last claim was a full batch)
        try:
            while True:
                finished = {task for task in in_flight if task.done()}
                if finished:
                    in_flight -= finished
                    if not unrecorded:
                        record_by = loop.time() + RECORD_WITHIN
                    unrecorded.extend(task.result() for task in finished)
                if stop.is_set():
                    # Claimed but not started: handed back now rather than at the lease's end.
                    await self._guarded(self._settle, unrecorded, list(queue))
                    unrecorded, queue = [], deque()
                    if not in_flight:
                        return
                    await asyncio.wait(in_flight)
                    continue
                now = loop.time()
                due = len(queue) < self.concurrency and (wake.is_set() or now >= poll_at)
                want = self.batch - len(queue) if due else 0
                # Results are written in groups (one transaction, with the next claim when
                # there is one): fewer commits, and only a moment more of at-least-once.
                record = len(unrecorded) >= self.concurrency or (unrecorded and now >= record_by)
                if want or record:
                    if want:
                        wake.clear()
                    jobs = await self._guarded(self._cycle, unrecorded, want)
                    unrecorded = []
                    queue.extend(jobs or [])
                    if want:
                        full = jobs is not None and len(jobs) == want
                        poll_at = 0.0 if full else loop.time() + idle_delay
                while queue and len(in_flight) < self.concurrency:
                    in_flight.add(asyncio.create_task(self._deliver(queue.popleft())))
                waiters: set[asyncio.Future[Any]] = {stop_task, *in_flight}
                deadlines = [record_by] if unrecorded else []
                if len(queue) < self.concurrency:
                    deadlines.append(poll_at)
                    if wake_task.done():
                        wake_task = asyncio.ensure_future(wake.wait())
                    waiters.add(wake_task)
                timeout = min(deadlines) - loop.time() if deadlines else None
                if timeout is not None and timeout <= 0:
                    continue  # something is due right now
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            outbox.remove_waker(waker)
            for task in (stop_task, wake_task, *in_flight):
                task.cancel()  # unrecorded deliveries come back when their lease ends

    async def _guarded(self, work: Callable[..., T], *args: Any) -> T | None:
        """Database work in a thread; a failure is logged and survived (leases cover it)."""
        try:
            return await asyncio.to_thread(work, *args)
        except Exception:
            log.exception("webhook dispatcher: database work failed; retrying on the next pass")
            return None

    # -- claim, deliver, record ------------------------------------------------------------

    def _signer(self, sealed_secret: str) -> Webhook:
        signer = self._signers.get(sealed_secret)
        if signer is None:
            if len(self._signers) > 10_000:
                self._signers.clear()
            signer = self._signers[sealed_secret] = Webhook(self.box.open(sealed_secret))
        return signer

    def _claim(self, limit: int) -> list[Job]:
        with self.db.transaction() as session:
            return self._claim_in(session, limit)

    def _record(self, outcomes: Sequence[Outcome]) -> None:
        with self.db.transaction() as session:
            self._record_in(session, outcomes)

    def _cycle(self, outcomes: Sequence[Outcome], limit: int) -> list[Job]:
        """Record results and claim more in one transaction: one write lock, one commit."""
        with self.db.transaction() as session:
            self._record_in(session, outcomes)
            return self._claim_in(session, limit) if limit else []

    def _settle(self, outcomes: Sequence[Outcome], unstarted: Sequence[Job]) -> None:
        """Record results and hand back claimed events that were never sent."""
        now = self.clock()
        with self.db.transaction() as session:
            self._record_in(session, outcomes)
            for job in unstarted:
                session.execute(
                    update(WebhookEvent)
                    .where(WebhookEvent.id == job.event_id, WebhookEvent.claim_token == job.claim_token)
                    .values(
                        next_attempt_at=now,
                        claimed_until=None,
                        claim_token=None,
                        attempts=WebhookEvent.attempts - 1,
                    )
                    .execution_options(synchronize_session=False)
                )

    def _claim_in(self, session: Session, limit: int) -> list[Job]:
        now = self.clock()
        lease_end = now + timedelta(seconds=self.lease)
        event = WebhookEvent
        rows = session.execute(
            select(
                event.id,
                event.application_id,
                event.type,
                event.payload,
                event.created_at,
                event.attempts,
                event.claimed_until,
                Application.webhook_url,
                Application.webhook_secret_encrypted,
            )
            .join(Application, Application.id == event.application_id)
            .where(event.status == EventStatus.PENDING.value, event.next_attempt_at <= now)
            .order_by(event.next_attempt_at)
            .limit(limit)
            .with_for_update(of=event, skip_locked=True)
        ).all()
        token = secrets.token_hex(16)  # one per claim: it names this claim's lease
        jobs: list[Job] = []
        lost: list[dict[str, Any]] = []
        for row in rows:
            if row.claimed_until is not None:
                # The previous claim's lease ran out with no result recorded: its dispatcher
                # died mid-delivery. The receiver may have the event already; it gets it
                # again, under the same webhook-id.
                lost.append(
                    {
                        "id": object_id(),
                        "event_id": row.id,
                        "application_id": row.application_id,
                        "event_type": row.type,
                        "attempt": row.attempts,
                        "url": row.webhook_url,
                        "succeeded": False,
                        "error": LEASE_EXPIRED,
                        "created_at": row.claimed_until,
                    }
                )
            if not row.webhook_url or not row.webhook_secret_encrypted:
                self._give_up(session, row.id, "the application has no webhook URL")
                continue
            if row.attempts >= self.schedule.max_attempts:
                self._give_up(session, row.id, f"gave up after {row.attempts} attempts")
                continue
            try:
                signer = self._signer(row.webhook_secret_encrypted)
            except Exception as exc:  # one application's unreadable secret must not stall the others
                log.error("webhook %s: cannot use the signing secret: %s", row.id, exc)
                self._give_up(session, row.id, f"cannot use the signing secret: {exc}")
                continue
            jobs.append(
                Job(
                    event_id=row.id,
                    application_id=row.application_id,
                    event_type=row.type,
                    attempt=row.attempts + 1,
                    url=row.webhook_url,
                    body=outbox.render_body(row.type, row.created_at, row.payload),
                    signer=signer,
                    claim_token=token,
                )
            )
        if lost:
            session.execute(insert(WebhookDelivery), lost)
        if jobs:
            session.execute(
                update(event)
                .where(event.id.in_([job.event_id for job in jobs]))
                .values(
                    attempts=event.attempts + 1,
                    claim_token=token,
                    claimed_until=lease_end,
                    next_attempt_at=lease_end,
                )
                .execution_options(synchronize_session=False)
            )
        return jobs

    @staticmethod
    def _give_up(session: Session, event_id: str, reason: str) -> None:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(
                status=EventStatus.FAILED.value,
                next_attempt_at=None,
                claimed_until=None,
                claim_token=None,
                last_error=reason,
            )
            .execution_options(synchronize_session=False)
        )

    async def _deliver(self, job: Job) -> Outcome:
        async with self._slots:
            started_at = self.clock()
            began = time.perf_counter()
            status_code: int | None = None
            response_body: str | None = None
            error: str | None = None
            location = ""
            try:
                async with asyncio.timeout(self.timeout):
                    if not self.allow_private:
                        await guard.resolve_public(job.url)  # DNS may have changed since it was set
                    headers = signing.signed_headers(
                        job.signer, event_id=job.event_id, timestamp=self.clock(), body=job.body
                    )
                    async with self.client.stream(
                        "POST", job.url, content=job.body.encode(), headers=headers
                    ) as response:
                        status_code = response.status_code
                        location = response.headers.get("location", "")
                        response_body = await _read_start(response)
            except (TimeoutError, httpx.TimeoutException):
                error = f"no answer within {self.timeout:g} s"
            except guard.InvalidWebhookUrl as exc:
                error = str(exc)
            except httpx.RemoteProtocolError as exc:
                error = f"the connection closed without a complete answer ({exc})"
            except httpx.ConnectError as exc:
                error = f"cannot connect: {exc}" if str(exc) else "cannot connect"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # a bug must not stop the dispatcher; it shows in the log
                log.exception("webhook %s: unexpected delivery error", job.event_id)
                error = f"internal error: {exc!r}"
            latency_ms = round((time.perf_counter() - began) * 1000)
            succeeded = error is None and status_code is not None and 200 <= status_code < 300
            if error is None and not succeeded:
                error = f"HTTP {status_code}"
                if status_code is not None and 300 <= status_code < 400:
                    target = location or "(no Location)"
                    error += f": redirect to {target} not followed; answer 2xx at the webhook URL"
            if not succeeded:
                log.info(
                    "webhook %s (%s) attempt %d to application %s failed: %s",
                    job.event_id,
                    job.event_type,
                    job.attempt,
                    job.application_id,
                    error,
                )
            return Outcome(job, started_at, succeeded, status_code, latency_ms, error, response_body)

    def _record_in(self, session: Session, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        now = self.clock()
        log_rows: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for outcome in outcomes:
            job = outcome.job
            log_rows.append(
                {
                    "id": object_id(),
                    "event_id": job.event_id,
                    "application_id": job.application_id,
                    "event_type": job.event_type,
                    "attempt": job.attempt,
                    "url": job.url,
                    "succeeded": outcome.succeeded,
                    "status_code": outcome.status_code,
                    "latency_ms": outcome.latency_ms,
                    "error": outcome.error,
                    "response_body": outcome.response_body,
                    "created_at": outcome.started_at,
                }
            )
            status, next_attempt_at, delivered_at = EventStatus.PENDING.value, None, None
            if outcome.succeeded:
                status, delivered_at = EventStatus.DELIVERED.value, now
            else:
                delay = self.schedule.delay_after(job.attempt)
                if delay is None:
                    status = EventStatus.FAILED.value
                else:
                    next_attempt_at = now + timedelta(seconds=delay)
            changes.append(
                {
                    "b_id": job.event_id,
                    "b_token": job.claim_token,
                    "b_status": status,
                    "b_next": next_attempt_at,
                    "b_delivered": delivered_at,
                    "b_code": outcome.status_code,
                    "b_error": outcome.error,
                }
            )
        session.execute(insert(WebhookDelivery), log_rows)
        table = cast(Table, WebhookEvent.__table__)
        # Only while our claim stands: after a lease expiry or a replay, the event's state
        # belongs to whoever holds it now; our attempt stays in the log.
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.claim_token == bindparam("b_token"))
            .values(
                status=bindparam("b_status"),
                next_attempt_at=bindparam("b_next", type_=UTCDateTime()),
                delivered_at=bindparam("b_delivered", type_=UTCDateTime()),
                last_status_code=bindparam("b_code"),
                last_error=bindparam("b_error"),
                claimed_until=None,
                claim_token=None,
            ),
            changes,
        )


async def _read_start(response: httpx.Response) -> str:
    """The beginning of the answer's body, for the delivery log; the rest is not read."""
    received = bytearray()
    async for chunk in response.aiter_bytes():
        received += chunk
        if len(received) >= READ_RESPONSE_BYTES:
            break
    text = bytes(received[:KEEP_RESPONSE_BYTES]).decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL; one must not stall a batch
