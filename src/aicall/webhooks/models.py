"""The webhook outbox (one row per event to deliver) and its delivery log (one row per attempt)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, UTCDateTime
from aicall.ids import object_id


class EventStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (or leased until claimed_until)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # retries exhausted (or no URL left); replayable


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        # The dispatcher's hot query: due pending events, oldest first.
        Index("ix_webhook_events_due", "status", "next_attempt_at"),
        Index("ix_webhook_events_application_created", "application_id", "created_at"),
        Index("ix_webhook_events_created", "created_at"),  # retention (webhooks.store.prune)
        # A contact's pending events, oldest first: the claim sends only the oldest of each.
        Index(
            "ix_webhook_events_pending_order",
            "ordering_key",
            "created_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    # Also the `webhook-id` header: stable across retries and replays, the receiver's dedupe key.
    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    # Plain JSON, not JSONB: PostgreSQL's json keeps the emitter's key order, so the body we
    # send reads as the documentation shows it (and is byte-identical on every retry).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # since it was last queued (emit or replay)
    # When a pending event is due. A claim moves it to the end of the lease, so a dispatcher
    # that dies mid-delivery gives the event back simply by not answering.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Events with the same key (a contact's id) are delivered one at a time, in `created_at`
    # order (webhooks.store); None: no order kept (campaign and scenario events).
    ordering_key: Mapped[str | None] = mapped_column(String(36), default=None)


class WebhookDelivery(Base):
    """One attempt to deliver one event: what we sent where, and what came back."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_application_created", "application_id", "created_at"),
        Index("ix_webhook_deliveries_event", "event_id", "created_at"),
        Index("ix_webhook_deliveries_created", "created_at"),  # retention (webhooks.store.prune)
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    application_id: Mapped[str] = mapped_column(String(24))
    event_type: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)  # the first KiB
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)  # when the attempt began
