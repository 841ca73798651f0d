"""The outbox store on the database: claims due events, records attempts, hands back claims.

Claiming is `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (several workers share the
outbox, never the same event) and runs under SQLite's write lock (taken by BEGIN IMMEDIATE).
The SQL runs in a worker thread, one transaction per call, so the event loop never blocks.
Leases and what they make of a crash: `delivery.OutboxStore`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from standardwebhooks import Webhook

from aicall.accounts.models import Application
from aicall.accounts.secrets_box import SecretBox
from aicall.clock import Clock, utc_now
from aicall.db.base import UTCDateTime
from aicall.db.engine import Database
from aicall.ids import object_id
from aicall.observability.logging import get_logger
from aicall.webhooks import outbox
from aicall.webhooks.delivery import LEASE_EXPIRED, Job, Outcome, after_attempt
from aicall.webhooks.models import EventStatus, WebhookDelivery, WebhookEvent
from aicall.webhooks.schedule import DEFAULT_SCHEDULE, RetrySchedule

__all__ = ["MAX_FOLLOW_UPS", "SqlOutboxStore", "prune"]

log = logging.getLogger("aicall.webhooks")
slog = get_logger("aicall.webhooks")
SIGNER_CACHE = 10_000  # signing secrets kept opened
UNREADABLE_SECRET_RETRY = 60.0  # seconds until an event whose signing secret would not open is due again
MAX_FOLLOW_UPS = 3  # a contact's later events claimed with its first (Job.follow_ups)
_CLAIMED_COLUMNS = (
    WebhookEvent.id,
    WebhookEvent.application_id,
    WebhookEvent.type,
    WebhookEvent.payload,
    WebhookEvent.created_at,
    WebhookEvent.attempts,
    WebhookEvent.claimed_until,
    WebhookEvent.ordering_key,
    Application.webhook_url,
    Application.webhook_secret_encrypted,
)
UNCLAIMED: dict[str, Any] = {"claimed_until": None, "claim_token": None}  # no lease holds the event


def prune(session: Session, *, before: datetime, limit: int) -> int:
    """Delete the delivery log older than `before`, then the events created before it that are
    no longer pending (delivered or failed) with their log; about `limit` rows of each per
    call. Return how many rows went. A pending event is never pruned: it is still owed."""
    deleted = 0
    log_bound = _bound(session, WebhookDelivery.created_at, [WebhookDelivery.created_at < before], limit)
    if log_bound is not None:
        deleted += _rowcount(
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.created_at <= log_bound))
        )
    done = [WebhookEvent.status != EventStatus.PENDING.value, WebhookEvent.created_at < before]
    event_bound = _bound(session, WebhookEvent.created_at, done, limit)
    if event_bound is not None:
        doomed = [*done, WebhookEvent.created_at <= event_bound]
        # Their log first, counted (not left to ON DELETE CASCADE); the status is checked again
        # by each DELETE: an event replayed meanwhile is pending again.
        deleted += _rowcount(
            session.execute(
                delete(WebhookDelivery).where(
                    WebhookDelivery.event_id.in_(select(WebhookEvent.id).where(*doomed))
                )
            )
        )
        deleted += _rowcount(session.execute(delete(WebhookEvent).where(*doomed)))
    return deleted


def _earlier_pending(event: type[WebhookEvent]) -> Any:
    """An older pending event of the same contact exists: this one waits for it. Only the
    oldest pending event of a contact is ever claimed, so a contact's events are sent one at a
    time and in order (ties in `created_at` broken by id), whatever their retries' jitter."""
    earlier = aliased(WebhookEvent)
    return exists().where(
        earlier.ordering_key == event.ordering_key,
        earlier.status == EventStatus.PENDING.value,
        or_(
            earlier.created_at < event.created_at,
            and_(earlier.created_at == event.created_at, earlier.id < event.id),
        ),
    )


@functools.cache
def _due_heads() -> Any:
    """The claim's query, built once (building it was a tenth of a claim's CPU): up to
    `:limit` due pending events, oldest due first, each the oldest pending of its contact,
    locked, skipping those another claim holds. Parameters `now` and `limit`."""
    event = WebhookEvent
    return (
        select(*_CLAIMED_COLUMNS)
        .join(Application, Application.id == event.application_id)
        .where(
            event.status == EventStatus.PENDING.value,
            event.next_attempt_at <= bindparam("now"),
            or_(event.ordering_key.is_(None), ~_earlier_pending(event)),
        )
        .order_by(event.next_attempt_at)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(of=event, skip_locked=True)
    )


def _bound(session: Session, column: Any, where: list[Any], limit: int) -> datetime | None:
    """The `limit`-th oldest `column` value among rows matching `where` (the newest of them
    when fewer match); None when none do. Deleting `column <= bound` takes about a batch."""
    oldest = select(column).where(*where).order_by(column).limit(limit).subquery()
    return cast(datetime | None, session.scalar(select(func.max(oldest.c[0]))))


def _insert_once(session: Session) -> Any:
    """An INSERT into the delivery log that skips a row whose id is logged already."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(WebhookDelivery).on_conflict_do_nothing(index_elements=["id"])
    return sqlite.insert(WebhookDelivery).on_conflict_do_nothing(index_elements=["id"])


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class SqlOutboxStore:
    """`OutboxStore` on the `webhook_events` and `webhook_deliveries` tables.

    `lease`: seconds a claim lasts. `box` opens the applications' sealed signing secrets."""

    db: Database
    box: SecretBox
    _: KW_ONLY
    lease: float
    clock: Clock = utc_now
    schedule: RetrySchedule = DEFAULT_SCHEDULE

    def __post_init__(self) -> None:
        if self.lease <= 0:
            raise ValueError("the lease must be positive")
        # Opening a sealed secret costs a decryption: once per secret, not per event. A failure
        # is not cached, and a rotated secret is another key.
        self._signer = functools.lru_cache(maxsize=SIGNER_CACHE)(
            lambda sealed: Webhook(self.box.open(sealed))
        )

    async def claim(self, limit: int) -> list[Job]:
        """Lease up to `limit` due events, oldest due first, in one transaction."""
        return await self.record((), claim=limit)

    async def record(self, outcomes: Sequence[Outcome], *, claim: int = 0) -> list[Job]:
        """Record `outcomes`, then lease up to `claim` due events: one write lock, one commit."""
        return await asyncio.to_thread(self._record_and_claim, outcomes, claim)

    async def release(self, outcomes: Sequence[Outcome], unstarted: Sequence[Job]) -> None:
        """Record `outcomes` and hand back `unstarted` jobs: due now, their attempt not spent."""
        await asyncio.to_thread(self._release, outcomes, unstarted)

    def listen(self, waker: Callable[[], None]) -> Callable[[], None]:
        """Call `waker` after every commit of new events in this process (see `outbox.emit`)."""
        outbox.add_waker(waker)
        return lambda: outbox.remove_waker(waker)

    def _record_and_claim(self, outcomes: Sequence[Outcome], limit: int) -> list[Job]:
        with self.db.transaction() as session:
            self._record_in(session, outcomes)
            return self._claim_in(session, limit) if limit else []

    def _release(self, outcomes: Sequence[Outcome], unstarted: Sequence[Job]) -> None:
        with self.db.transaction() as session:
            self._record_in(session, outcomes)
            self._hand_back(session, [each for job in unstarted for each in (job, *job.follow_ups)])

    def _hand_back(self, session: Session, jobs: Sequence[Job]) -> None:
        """Un-claim `jobs` never sent: due now, the attempt their claim counted not spent."""
        now = self.clock()
        for job in sorted(jobs, key=lambda each: each.event_id):  # rows in one order (ids) everywhere
            session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.id == job.event_id, WebhookEvent.claim_token == job.claim_token)
                .values(next_attempt_at=now, attempts=WebhookEvent.attempts - 1, **UNCLAIMED)
                .execution_options(synchronize_session=False)
            )

    def _claim_in(self, session: Session, limit: int) -> list[Job]:
        now = self.clock()
        lease_end = now + timedelta(seconds=self.lease)
        event = WebhookEvent
        rows = session.execute(_due_heads(), {"now": now, "limit": limit}).all()
        token = secrets.token_hex(16)  # one per claim: it names this claim's lease
        jobs: list[Job] = []
        lost: list[dict[str, Any]] = []
        for row in rows:
            self._note_lost(row, lost)
            if not row.webhook_url or not row.webhook_secret_encrypted:
                self._give_up(session, row.id, "the application has no webhook URL")
            elif row.attempts >= self.schedule.max_attempts:
                self._give_up(session, row.id, f"gave up after {row.attempts} attempts")
            elif (signer := self._open_signer(session, row.id, row.webhook_secret_encrypted)) is not None:
                jobs.append(self._job(row, signer, token))
        jobs = self._with_follow_ups(session, jobs, rows, limit - len(rows), now, token, lost)
        if lost:
            session.execute(insert(WebhookDelivery), lost)
        claimed = [each.event_id for job in jobs for each in (job, *job.follow_ups)]
        if claimed:
            session.execute(
                update(event)
                .where(event.id.in_(claimed))
                .values(
                    attempts=event.attempts + 1,
                    claim_token=token,
                    claimed_until=lease_end,
                    next_attempt_at=lease_end,
                )
                .execution_options(synchronize_session=False)
            )
        return jobs

    def _with_follow_ups(
        self,
        session: Session,
        jobs: list[Job],
        rows: Sequence[Any],
        room: int,
        now: datetime,
        token: str,
        lost: list[dict[str, Any]],
    ) -> list[Job]:
        """`jobs` with each one's follow-ups (`Job.follow_ups`): the next pending events of its
        contact, in order, up to `room` in all and `MAX_FOLLOW_UPS` each. A contact's second
        event (`contact.finished` after `call.attempt.finished`, committed together) then goes
        out right after the first is delivered, not a record and a claim later. A chain stops
        at the first event not plainly sendable now (not due yet, given up on, its secret
        unreadable) or locked by another transaction: that one waits for a claim of its own.

        A claim never waits for another transaction's lock (SKIP LOCKED, here as for the
        heads): the contact's later events are listed in order first, then locked, and a
        chain is the part of that list before the first one not locked. Waiting (FOR UPDATE
        without SKIP LOCKED, as before) let a claim queue behind a late or stuck transaction
        holding one of those rows, its lease running meanwhile, and join lock cycles."""
        keys = {row.id: row.ordering_key for row in rows if row.ordering_key is not None}
        if room <= 0 or not keys:
            return jobs
        wanted = {keys[job.event_id] for job in jobs if job.event_id in keys}
        if not wanted:
            return jobs
        event = WebhookEvent
        pending = event.status == EventStatus.PENDING.value
        listed = session.execute(
            select(event.id, event.ordering_key)
            .where(event.ordering_key.in_(sorted(wanted)), pending, event.id.not_in(list(keys)))
            .order_by(event.ordering_key, event.created_at, event.id)
        ).all()
        if not listed:
            return jobs
        locked = {
            row.id: row
            for row in session.execute(
                select(*_CLAIMED_COLUMNS, event.next_attempt_at)
                .join(Application, Application.id == event.application_id)
                .where(event.id.in_([each.id for each in listed]), pending)
                .order_by(event.id)
                .with_for_update(of=event, skip_locked=True)
            )
        }
        by_key: dict[str, list[Any]] = {}  # in order; None where a row could not be locked
        for each in listed:
            by_key.setdefault(each.ordering_key, []).append(locked.get(each.id))
        chained: list[Job] = []
        for job in jobs:
            follow_ups: list[Job] = []
            for row in by_key.get(keys.get(job.event_id, ""), ()):
                if room <= 0 or len(follow_ups) >= MAX_FOLLOW_UPS or row is None:
                    break
                signer = self._sendable_signer(row, now)
                if signer is None:
                    break
                self._note_lost(row, lost)
                follow_ups.append(self._job(row, signer, token))
                room -= 1
            chained.append(replace(job, follow_ups=tuple(follow_ups)) if follow_ups else job)
        return chained

    def _sendable_signer(self, row: Any, now: datetime) -> Webhook | None:
        """The signer of a follow-up that can go out now; None if it must wait for a claim."""
        if (
            row.next_attempt_at is None
            or row.next_attempt_at > now
            or not row.webhook_url
            or not row.webhook_secret_encrypted
            or row.attempts >= self.schedule.max_attempts
        ):
            return None
        try:
            return self._signer(row.webhook_secret_encrypted)
        except Exception:  # its own claim gives up on it, with the reason logged
            return None

    @staticmethod
    def _note_lost(row: Any, lost: list[dict[str, Any]]) -> None:
        """Log the attempt of a claim whose lease ran out with no result recorded: its
        dispatcher died mid-delivery. The receiver may have the event already; it gets it
        again, under the same webhook-id."""
        if row.claimed_until is not None:
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

    @staticmethod
    def _job(row: Any, signer: Webhook, token: str) -> Job:
        return Job(
            event_id=row.id,
            application_id=row.application_id,
            event_type=row.type,
            attempt=row.attempts + 1,
            url=row.webhook_url,
            body=outbox.render_body(row.type, row.created_at, row.payload),
            signer=signer,
            claim_token=token,
        )

    def _record_in(self, session: Session, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        sent = {outcome.job.event_id for outcome in outcomes}
        # A chain's outcomes are recorded together: a follow-up without one was never sent
        # (one before it failed, or the dispatcher stopped), and is handed back.
        unsent = [job for outcome in outcomes for job in outcome.job.follow_ups if job.event_id not in sent]
        now = self.clock()
        log_rows: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        # Rows locked in one order (event ids), as the claim's UPDATE does: two transactions
        # that touch the same events wait for each other in turn, never in a cycle.
        for outcome in sorted(outcomes, key=lambda each: each.job.event_id):
            job = outcome.job
            log_rows.append(
                {
                    "id": outcome.log_id,
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
            state = after_attempt(outcome, self.schedule, now)
            if state.status is EventStatus.FAILED:
                slog.error(
                    "webhook delivery given up",
                    application_id=job.application_id,
                    event_id=job.event_id,
                    event_type=job.event_type,
                    attempts=job.attempt,
                    error=outcome.error,
                )
            changes.append(
                {
                    "b_id": job.event_id,
                    "b_token": job.claim_token,
                    "b_status": state.status.value,
                    "b_next": state.next_attempt_at,
                    "b_delivered": state.delivered_at,
                    "b_code": outcome.status_code,
                    "b_error": outcome.error,
                }
            )
        # Once each, however often the same outcomes are recorded (`delivery.OutboxStore`).
        session.execute(_insert_once(session), log_rows)
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
                **UNCLAIMED,
            ),
            changes,
        )
        if unsent:
            self._hand_back(session, unsent)

    def _open_signer(self, session: Session, event_id: str, sealed_secret: str) -> Webhook | None:
        """The signer of the event's application; None when it cannot be opened: the event stays
        pending, due again in UNREADABLE_SECRET_RETRY seconds. Its attempt is not spent and it is
        never failed for it: an unreadable secret is this process's fault (a key other than the
        one that sealed it, refused at start by bootstrap.open_platform when the database already
        held a secret), not the event's, and another process, or this one once fixed, owes it."""
        try:
            return self._signer(sealed_secret)
        except Exception as exc:  # one application's unreadable secret must not stall the others
            log.error("webhook %s: cannot use the signing secret: %s", event_id, exc)
            session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.id == event_id)
                .values(
                    next_attempt_at=self.clock() + timedelta(seconds=UNREADABLE_SECRET_RETRY),
                    last_error=f"cannot use the signing secret: {exc}",
                    **UNCLAIMED,
                )
                .execution_options(synchronize_session=False)
            )
            return None

    @staticmethod
    def _give_up(session: Session, event_id: str, reason: str) -> None:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(status=EventStatus.FAILED.value, next_attempt_at=None, last_error=reason, **UNCLAIMED)
            .execution_options(synchronize_session=False)
        )
