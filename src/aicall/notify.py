"""Events for the customer: written to the webhook outbox in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from aicall.webhooks import outbox

Event = tuple[str, str, dict[str, Any]]  # (application id, event type, data)


def emit(session: Session, *, application_id: str, event_type: str, payload: dict[str, Any]) -> None:
    outbox.emit(session, application_id=application_id, event_type=event_type, payload=payload)


def emit_all(session: Session, events: Iterable[Event]) -> None:
    for application_id, event_type, data in events:
        emit(session, application_id=application_id, event_type=event_type, payload=data)
