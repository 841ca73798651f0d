"""Where the dialer's events go: the webhook outbox, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from aicall.events import Event

# One event: emit(session, application_id=..., event_type=..., payload=...).
Emit = Callable[..., Any]
# A batch, in order, in the session's transaction (`notify.emit_all`).
EmitAll = Callable[[Session, Sequence[Event]], Any]
# The applications, of those asked, whose events someone receives (`notify.listening`).
Listening = Callable[[Session, Collection[str]], Collection[str]]


@dataclass(frozen=True)
class EventSink:
    """The dialer's way to the outbox. `emit_all` queues a batch of events in one go;
    `listening`, when given, says which applications have a receiver, so the dialer builds
    the payloads of a call's events (two pydantic models per call, about a tenth of a
    dialer's time: docs/benchmarks.md, issue 13) only for those."""

    emit_all: EmitAll
    listening: Listening | None = None

    @classmethod
    def one_by_one(cls, emit: Emit) -> EventSink:
        """A sink over a per-event `emit` (tests record events this way): every event built."""

        def emit_all(session: Session, events: Sequence[Event]) -> None:
            for application_id, event_type, data in events:
                emit(session, application_id=application_id, event_type=event_type, payload=data)

        return cls(emit_all)

    def wanted(self, session: Session, application_ids: Collection[str]) -> Collection[str]:
        """The applications of `application_ids` whose events should be built."""
        if self.listening is None:
            return application_ids
        return self.listening(session, application_ids)


def sink_of(emit: Emit | EventSink | None) -> EventSink | None:
    """`emit` as a sink (None: the dialer runs without webhooks, e.g. in a benchmark)."""
    if emit is None or isinstance(emit, EventSink):
        return emit
    return EventSink.one_by_one(emit)


def emit_all(session: Session, events: Sequence[Event], sink: EventSink | None) -> None:
    """Hand `events` to `sink`, in order (nothing when there is no sink or no event)."""
    if sink is not None and events:
        sink.emit_all(session, events)
