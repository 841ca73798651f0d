"""The webhook API's answers as the OpenAPI document shows them (built as dicts by
`webhooks.schemas`; Schemathesis checks the two agree)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from aicall.webhooks.models import EventStatus

__all__ = [
    "DeliveryPage",
    "DeliveryRead",
    "EventDetail",
    "EventPage",
    "EventRead",
    "Replayed",
    "WebhookSettingsRead",
]


class WebhookSettingsRead(BaseModel):
    application_id: str
    webhook_url: str | None = Field(description="null: webhooks are off")
    webhook_events: list[str] | None = Field(description="the types sent; null: every type")
    webhook_secret: str | None = Field(description="the Standard Webhooks signing secret (whsec_...)")
    available_events: list[str]


class DeliveryRead(BaseModel):
    """One attempt to deliver an event."""

    id: str
    event_id: str
    event_type: str
    attempt: int
    url: str | None
    succeeded: bool
    status_code: int | None
    latency_ms: int | None
    error: str | None
    response_body: str | None = Field(description="the first KiB of the receiver's answer")
    created_at: datetime | None


class EventRead(BaseModel):
    id: str = Field(description="also the `webhook-id` header of its deliveries")
    type: str
    status: EventStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime | None
    delivered_at: datetime | None


class EventDetail(EventRead):
    data: dict[str, Any] = Field(description="the payload as delivered (docs/webhooks.md)")
    deliveries: list[DeliveryRead]


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryRead]
    total_count: int


class EventPage(BaseModel):
    events: list[EventRead]
    total_count: int


class Replayed(BaseModel):
    replayed: int = Field(description="how many events were queued again")
