"""Where the dialer's events go: the webhook outbox, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from aicall.events import Event

Emit = Callable[..., Any]


def emit_all(session: Session, events: Iterable[Event], emit: Emit | None) -> None:
    """Hand each event to `emit` (None: the dialer runs without webhooks, e.g. in a benchmark)."""
    if emit is None:
        return
    for application_id, event_type, data in events:
        emit(session, application_id=application_id, event_type=event_type, payload=data)
