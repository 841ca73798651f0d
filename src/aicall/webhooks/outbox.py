"""The transactional outbox: events are rows written in the same transaction as the change
that caused them, so a call result and its webhook commit together or not at all."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.clock import utc_now
from aicall.db.engine import Database
from aicall.ids import object_id
from aicall.webhooks import payloads
from aicall.webhooks.listener import CHANNEL
from aicall.webhooks.models import EventStatus, WebhookEvent

__all__ = [
    "UnknownEventType",
    "add_waker",
    "emit",
    "emit_many",
    "listening",
    "remove_waker",
    "render_body",
    "set_notify",
    "wake_after_commit",
    "wake_local",
]

log = logging.getLogger("aicall.webhooks")


class UnknownEventType(ValueError):
    """An emitter named an event type that is not documented: a bug, raised loudly."""


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return payloads.iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable in a webhook payload")


def emit(
    session: Session,
    *,
    application_id: str,
    event_type: str,
    payload: dict[str, Any],
    occurred_at: datetime | None = None,
) -> str | None:
    """Queue a webhook event in the caller's transaction; return its id (the `webhook-id`).

    Returns None, storing nothing, when the application has no webhook URL or has filtered
    this type out: the outbox is a delivery queue, not an archive (results stay readable from
    the API), and turning a URL on later must not flood the receiver with history.

    Raises UnknownEventType for a type not in `payloads.EVENT_TYPES`.
    """
    ids = emit_many(session, [(application_id, event_type, payload)], occurred_at=occurred_at)
    return ids[0]


def emit_many(
    session: Session,
    events: Iterable[tuple[str, str, dict[str, Any]]],
    *,
    occurred_at: datetime | None = None,
    checked: bool = False,
) -> list[str | None]:
    """Queue `events` (application id, event type, payload) in the caller's transaction, in
    order; return each one's id, or None for one not stored (as `emit`).

    One INSERT (an executemany) for the batch, and each application's URL and filter read once
    per transaction: a stored batch of call results emits two events per call, and reading the
    application and flushing one row per event was a quarter of a dialer's time with webhooks on
    (docs/benchmarks.md, issue 13). Each event's `created_at` is a microsecond past the one
    before it, so a contact's events keep the order they were emitted in (their delivery order,
    migration 0015's `ordering_key`, `created_at`). Raises UnknownEventType before storing any
    event of the batch if one names an undocumented type.

    `checked`: each payload is the `model_dump(mode="json")` of its type's model in `payloads`
    (the dialer's, `calls/events`), so it is not validated or round-tripped through JSON again.
    """
    batch = list(events)
    for _, event_type, _ in batch:
        if event_type not in payloads.EVENT_TYPES:
            raise UnknownEventType(f"unknown webhook event type {event_type!r}")
    targets = _targets(session, {application_id for application_id, _, _ in batch})
    ids: list[str | None] = []
    rows: list[dict[str, Any]] = []
    for application_id, event_type, payload in batch:
        if application_id not in targets:
            log.warning("webhook event %s for unknown application %s dropped", event_type, application_id)
            ids.append(None)
            continue
        url, wanted = targets[application_id]
        if not url or (wanted is not None and event_type not in wanted):
            ids.append(None)
            continue
        rows.append(_row(application_id, event_type, payload, occurred_at, checked=checked))
        ids.append(rows[-1]["id"])
    if rows:
        # Core, not ORM objects: the rows are written as they are (no unit of work per event),
        # and never read back in this transaction.
        session.execute(insert(WebhookEvent), rows)
        wake_after_commit(session)
    return ids


def _row(
    application_id: str,
    event_type: str,
    payload: dict[str, Any],
    occurred_at: datetime | None,
    *,
    checked: bool,
) -> dict[str, Any]:
    data: Any = payload
    if not checked:
        # A round trip through JSON: datetimes become ISO strings and the stored payload is
        # exactly what will be sent, whatever the emitter handed us.
        data = json.loads(json.dumps(payload, default=_json_default, ensure_ascii=False))
        try:
            payloads.validate_data(event_type, data)
        except ValueError as exc:
            # Never lose a result (or roll back the caller's work) over its description: send
            # it as it is and make the mismatch loud for whoever owns the emitter.
            log.error("webhook payload does not match its schema; sent anyway: %s", exc)
    now = occurred_at or _after_last(utc_now())
    key = data.get("contact_id") if isinstance(data, dict) else None
    # Every column the ORM would fill by default, as `WebhookEvent` declares them.
    return {
        "id": object_id(),
        "application_id": application_id,
        "type": event_type,
        "payload": data,
        "status": EventStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_until": None,
        "claim_token": None,
        "last_status_code": None,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
        "ordering_key": key if isinstance(key, str) else None,
    }


def listening(session: Session, application_ids: Collection[str]) -> set[str]:
    """The applications of `application_ids` with a webhook URL: the only ones whose events
    `emit` stores (read once per transaction, with the lookup `emit_many` does anyway)."""
    targets = _targets(session, set(application_ids))
    return {application_id for application_id, (url, _) in targets.items() if url}


_TARGETS = "aicall.webhooks.targets"  # in session.info: (transaction, {application id: target})


def _targets(session: Session, application_ids: set[str]) -> dict[str, tuple[str | None, list[str] | None]]:
    """Each known application's webhook URL and event filter, read once per transaction (a
    change of either commits in another transaction, so it applies from the next one)."""
    transaction = session.get_transaction()
    if transaction is None:  # none begun yet: begin it, so the cache is keyed on a real one
        session.connection()
        transaction = session.get_transaction()
    cached = session.info.get(_TARGETS)
    known: dict[str, tuple[str | None, list[str] | None]]
    if cached is not None and cached[0] is transaction:
        known = cached[1]
    else:
        known = {}
        session.info[_TARGETS] = (transaction, known)
    missing = application_ids - known.keys()
    if missing:
        rows = session.execute(
            select(Application.id, Application.webhook_url, Application.webhook_events).where(
                Application.id.in_(sorted(missing))
            )
        ).all()
        for application_id, url, wanted in rows:
            known[application_id] = (url, wanted)
    return {
        application_id: known[application_id] for application_id in application_ids if application_id in known
    }


_last_created = datetime.min.replace(tzinfo=UTC)
_last_lock = threading.Lock()


def _after_last(now: datetime) -> datetime:
    """`now`, or a microsecond past the last event's time: the events of one transaction (an
    attempt's and its contact's) keep the order they were emitted in (`created_at` orders a
    contact's deliveries, and two calls of the clock may read the same microsecond)."""
    global _last_created  # one process-wide high-water mark, under its lock
    with _last_lock:
        _last_created = max(now, _last_created + timedelta(microseconds=1))
        return _last_created


def render_body(event_type: str, created_at: datetime, payload: Any) -> str:
    """The exact text POSTed (and signed): identical on every attempt of one event."""
    return json.dumps(
        {"type": event_type, "timestamp": payloads.iso(created_at), "data": payload},
        ensure_ascii=False,
        separators=(",", ":"),
    )


# -- waking dispatchers at commit -------------------------------------------------------------
# Dispatchers poll, which bounds the latency of events by their idle delay. A commit of events
# also wakes them at once: those of this process directly (`aicall serve` runs everything in
# one), those of other processes on PostgreSQL by a NOTIFY in the committing transaction, which
# their `listener.PgListener` receives. Wakers must be thread-safe: commits happen in worker
# threads.

_wakers: set[Callable[[], None]] = set()
_wakers_lock = threading.Lock()
_WAKE_PENDING = "aicall.webhooks.wake_pending"
_NOTIFY = "aicall.webhooks.pg_notify"  # in a sessionmaker's info: False turns NOTIFY off


def add_waker(waker: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.add(waker)


def remove_waker(waker: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.discard(waker)


def set_notify(db: Database, enabled: bool) -> None:
    """Whether transactions of `db` that append events NOTIFY other processes' dispatchers
    (PostgreSQL only; on by default; `AICALL_PG_NOTIFY`). Off, those wait for their next poll."""
    db.sessions.configure(info={_NOTIFY: enabled})


def wake_after_commit(session: Session) -> None:
    """Wake the dispatchers once `session`'s transaction commits: this process's directly, other
    processes' (on PostgreSQL) by one NOTIFY on `listener.CHANNEL`, however many events the
    transaction appends. Nothing happens if the transaction rolls back."""
    if session.info.get(_WAKE_PENDING):
        return
    session.info[_WAKE_PENDING] = True
    if session.info.get(_NOTIFY, True) and session.get_bind().dialect.name == "postgresql":
        # At commit rather than now: outside any savepoint the caller may still roll back.
        sa_event.listen(session, "before_commit", _notify_others, once=True)
    sa_event.listen(session, "after_commit", _after_commit, once=True)
    sa_event.listen(session, "after_rollback", _after_rollback, once=True)


def wake_local() -> None:
    """Wake this process's dispatchers now (a commit here, or a notification from elsewhere)."""
    with _wakers_lock:
        wakers = list(_wakers)
    for waker in wakers:
        waker()


def _notify_others(session: Session) -> None:
    session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def _after_commit(session: Session) -> None:
    session.info.pop(_WAKE_PENDING, None)
    sa_event.remove(session, "after_rollback", _after_rollback)
    wake_local()


def _after_rollback(session: Session) -> None:
    # Nothing to wake for; the session's next transaction registers afresh.
    session.info.pop(_WAKE_PENDING, None)
    for name, listener in (("before_commit", _notify_others), ("after_commit", _after_commit)):
        if sa_event.contains(session, name, listener):
            sa_event.remove(session, name, listener)
