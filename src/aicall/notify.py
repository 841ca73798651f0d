"""Events for the customer: written to the webhook outbox in the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy.orm import Session

from aicall.events import Event, EventType
from aicall.webhooks import outbox

__all__ = ["Event", "emit", "emit_all", "emit_checked", "listening"]


def emit(session: Session, *, application_id: str, event_type: EventType, payload: dict[str, Any]) -> None:
    """Append one event to the outbox, in `session`'s transaction."""
    outbox.emit(session, application_id=application_id, event_type=event_type, payload=payload)


def emit_all(session: Session, events: Iterable[Event], *, checked: bool = False) -> None:
    """Append `events` to the outbox, in order, in `session`'s transaction: one INSERT for all
    of them (`outbox.emit_many`). `checked`: every payload was dumped from its documented model
    (webhooks/payloads.py), so the outbox does not validate it again."""
    outbox.emit_many(
        session,
        [(application_id, str(event_type), data) for application_id, event_type, data in events],
        checked=checked,
    )


def emit_checked(session: Session, events: Iterable[Event]) -> None:
    """`emit_all` for emitters whose payloads all come from the documented models (the dialer)."""
    emit_all(session, events, checked=True)


def listening(session: Session, application_ids: Collection[str]) -> set[str]:
    """The applications of `application_ids` that have a webhook URL (their events are stored)."""
    return outbox.listening(session, application_ids)
