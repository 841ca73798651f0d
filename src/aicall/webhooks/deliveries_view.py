"""An application's delivery log as the dashboard pages it: events newest first, by keyset.

Reads only. The public API pages the same rows by offset (`service.list_events`); a log that
grows by one row per call result wants keyset paging (index `ix_webhook_events_application_created`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.db.keyset import Cursor, Page, newest_first
from aicall.webhooks.models import EventStatus, WebhookEvent

__all__ = ["EventRow", "events_page"]


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event and how its delivery went: `attempts` since it was last queued, the last
    answer's HTTP code (None: no answer) and the last error."""

    id: str
    type: str
    status: str  # pending | delivered | failed
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None  # pending events only
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None


def events_page(
    *, session: Session, application_id: str, before: Cursor | None = None, limit: int = 25
) -> Page[EventRow]:
    """The application's events, newest first, one keyset page after `before`."""
    page = newest_first(
        session,
        select(WebhookEvent).where(WebhookEvent.application_id == application_id),
        created_at=WebhookEvent.created_at,
        id_column=WebhookEvent.id,
        before=before,
        limit=limit,
        cursor_of=lambda event: Cursor(event.created_at, event.id),
    )
    rows = [
        EventRow(
            id=event.id,
            type=event.type,
            status=event.status,
            attempts=event.attempts,
            created_at=event.created_at,
            next_attempt_at=event.next_attempt_at if event.status == EventStatus.PENDING.value else None,
            delivered_at=event.delivered_at,
            last_status_code=event.last_status_code,
            last_error=event.last_error,
        )
        for event in page.rows
    ]
    return Page(rows, page.next)
