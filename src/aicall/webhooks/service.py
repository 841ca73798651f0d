"""Webhook settings of an application, its delivery log, and replays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from aicall.accounts import service as account_service
from aicall.accounts.models import Application
from aicall.accounts.secrets_box import SecretBox
from aicall.clock import Clock, utc_now
from aicall.db.engine import Database
from aicall.errors import ApplicationNotFound, ValidationFailed
from aicall.webhooks import outbox
from aicall.webhooks.errors import WebhookEventNotFound, WebhookUrlNotSet
from aicall.webhooks.guard import InvalidWebhookUrl, check_webhook_url
from aicall.webhooks.models import EventStatus, WebhookDelivery, WebhookEvent
from aicall.webhooks.payloads import EVENT_TYPES
from aicall.webhooks.schemas import normalise_event_types

__all__ = [
    "UNSET",
    "WebhookSettings",
    "get_event",
    "list_deliveries",
    "list_events",
    "read_settings",
    "replay_event",
    "replay_failed",
    "rotate_secret",
    "update_settings",
]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave this setting as it is"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    application_id: str
    name: str
    api_key: str
    webhook_url: str | None
    webhook_events: list[str] | None  # None: every type
    webhook_secret: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "webhook_url": self.webhook_url,
            "webhook_events": self.webhook_events,
            "webhook_secret": self.webhook_secret,
            "available_events": list(EVENT_TYPES),
        }


def _settings(app: Application, box: SecretBox) -> WebhookSettings:
    secret = box.open(app.webhook_secret_encrypted) if app.webhook_secret_encrypted else None
    return WebhookSettings(app.id, app.name, app.api_key, app.webhook_url, app.webhook_events, secret)


def _application(session: Session, application_id: str) -> Application:
    app = session.get(Application, application_id)
    if app is None:
        raise ApplicationNotFound()
    return app


def read_settings(*, session: Session, box: SecretBox, application_id: str) -> WebhookSettings:
    """The application's webhook URL, event types and signing secret."""
    return _settings(_application(session, application_id), box)


def update_settings(
    *,
    db: Database,
    box: SecretBox,
    application_id: str,
    allow_private: bool,
    webhook_url: str | None = UNSET,
    webhook_events: list[str] | None = UNSET,
    rotate: bool = False,
) -> WebhookSettings:
    """Change the URL and/or event types (UNSET leaves one as it is); optionally rotate the secret."""
    url = webhook_url
    if isinstance(url, str) and url.strip():
        try:
            # Outside the transaction: it may wait on DNS, and must not hold the write lock.
            url = check_webhook_url(url, allow_private=allow_private)
        except InvalidWebhookUrl as exc:
            raise ValidationFailed(str(exc), field="webhook_url") from exc
    elif isinstance(url, str) or url is None:
        url = None  # empty: webhooks off
    events = webhook_events if webhook_events is UNSET else normalise_event_types(webhook_events)
    with db.transaction() as session:
        app = _application(session, application_id)
        if url is not UNSET:
            app.webhook_url = url
        if events is not UNSET:
            app.webhook_events = events
        if rotate or app.webhook_secret_encrypted is None:
            app.webhook_secret_encrypted = box.seal(account_service.new_webhook_secret())
        return _settings(app, box)


def rotate_secret(*, db: Database, box: SecretBox, application_id: str) -> WebhookSettings:
    """A new signing secret, used from the next delivery attempt on (retries included)."""
    return update_settings(db=db, box=box, application_id=application_id, allow_private=True, rotate=True)


def _window(query: Select[Any], column: Any, since: datetime | None, until: datetime | None) -> Select[Any]:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def _page(
    session: Session, query: Select[Any], order: list[Any], limit: int, offset: int
) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))
    return rows, total


def list_deliveries(
    *,
    session: Session,
    application_id: str,
    event_id: str | None = None,
    event_type: str | None = None,
    succeeded: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
    offset: int = 0,
) -> tuple[list[WebhookDelivery], int]:
    """Delivery attempts, newest first, and how many match in all."""
    query = select(WebhookDelivery).where(WebhookDelivery.application_id == application_id)
    if event_id is not None:
        query = query.where(WebhookDelivery.event_id == event_id)
    if event_type is not None:
        query = query.where(WebhookDelivery.event_type == event_type)
    if succeeded is not None:
        query = query.where(WebhookDelivery.succeeded.is_(succeeded))
    query = _window(query, WebhookDelivery.created_at, since, until)
    order = [WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()]
    return _page(session, query, order, limit, offset)


def backlog(*, session: Session, now: datetime) -> tuple[int, float]:
    """Events not yet delivered (pending), and the oldest one's age in seconds (0: none)."""
    count, oldest = session.execute(
        select(func.count(), func.min(WebhookEvent.created_at)).where(
            WebhookEvent.status == EventStatus.PENDING.value
        )
    ).one()
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return int(count), max(0.0, age)


def due_now(*, session: Session, now: datetime) -> int:
    """Pending events due at `now` and not leased (a delivery in flight is not counted)."""
    return int(
        session.scalar(
            select(func.count()).where(
                WebhookEvent.status == EventStatus.PENDING.value, WebhookEvent.next_attempt_at <= now
            )
        )
        or 0
    )


def list_events(
    *,
    session: Session,
    application_id: str,
    status: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
    offset: int = 0,
) -> tuple[list[WebhookEvent], int]:
    """Events in the outbox, newest first, and how many match in all."""
    query = select(WebhookEvent).where(WebhookEvent.application_id == application_id)
    if status is not None:
        query = query.where(WebhookEvent.status == status)
    if event_type is not None:
        query = query.where(WebhookEvent.type == event_type)
    query = _window(query, WebhookEvent.created_at, since, until)
    return _page(session, query, [WebhookEvent.created_at.desc(), WebhookEvent.id.desc()], limit, offset)


def get_event(
    *, session: Session, application_id: str, event_id: str
) -> tuple[WebhookEvent, list[WebhookDelivery]]:
    """One event (another application's answers as unknown) with its attempts, oldest first."""
    event = session.scalars(
        select(WebhookEvent).where(WebhookEvent.id == event_id, WebhookEvent.application_id == application_id)
    ).first()
    if event is None:
        raise WebhookEventNotFound()
    deliveries = list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.event_id == event_id)
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
    )
    return event, deliveries


def _require_url(session: Session, application_id: str) -> None:
    if not _application(session, application_id).webhook_url:
        raise WebhookUrlNotSet()


_REQUEUE: dict[str, Any] = {
    "status": EventStatus.PENDING.value,
    "attempts": 0,
    "claimed_until": None,
    "claim_token": None,
    "delivered_at": None,
}


def replay_event(*, db: Database, application_id: str, event_id: str, clock: Clock = utc_now) -> WebhookEvent:
    """Send an event again, whatever its status, with a fresh set of retries and the same id.
    An event being delivered at this moment is left to that delivery."""
    with db.transaction() as session:
        event = session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.id == event_id, WebhookEvent.application_id == application_id)
            .with_for_update()
        ).first()
        if event is None:
            raise WebhookEventNotFound()
        _require_url(session, application_id)
        now = clock()
        in_flight = (
            event.status == EventStatus.PENDING.value
            and event.claimed_until is not None
            and event.claimed_until > now
        )
        if not in_flight:
            for key, value in _REQUEUE.items():
                setattr(event, key, value)
            event.next_attempt_at = now
            outbox.wake_after_commit(session)
        return event


def replay_failed(
    *,
    db: Database,
    application_id: str,
    since: datetime,
    until: datetime | None = None,
    event_type: str | None = None,
    clock: Clock = utc_now,
) -> int:
    """Queue again every failed event created in [since, until); return how many."""
    with db.transaction() as session:
        _require_url(session, application_id)
        query = update(WebhookEvent).where(
            WebhookEvent.application_id == application_id,
            WebhookEvent.status == EventStatus.FAILED.value,
            WebhookEvent.created_at >= since,
        )
        if until is not None:
            query = query.where(WebhookEvent.created_at < until)
        if event_type is not None:
            query = query.where(WebhookEvent.type == event_type)
        result = session.execute(
            query.values(**_REQUEUE, next_attempt_at=clock()).execution_options(synchronize_session=False)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        if count:
            outbox.wake_after_commit(session)
        return count
