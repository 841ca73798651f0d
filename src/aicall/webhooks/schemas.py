"""Request bodies (camelCase or snake_case in) and the snake_case answers of the webhook API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel

from aicall.errors import ValidationFailed
from aicall.jsontypes import JsonModel
from aicall.webhooks.models import WebhookDelivery, WebhookEvent
from aicall.webhooks.payloads import EVENT_TYPES

Model = TypeVar("Model", bound=BaseModel)


class _In(JsonModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class WebhookSettingsUpdate(_In):
    """Fields left out keep their value; `webhook_url: null` turns webhooks off and
    `webhook_events: null` sends every type."""

    # At least one of the two (the document's form of update_settings' check).
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["webhookUrl"]}, {"required": ["webhookEvents"]}]}
    )

    webhook_url: str | None = Field(
        default=None,
        # Blank (as str.strip() sees it: \x1c-\x1f and \x85 too) is off, like "".
        json_schema_extra={"pattern": "^[\\s\\x1c-\\x1f\\x85]*(https?://.+)?$"},
        description="http(s); its host must be public unless AICALL_WEBHOOK_ALLOW_PRIVATE. "
        "Empty or null: webhooks off",
    )
    webhook_events: list[Annotated[str, WithJsonSchema({"enum": list(EVENT_TYPES)})]] | None = None


class ReplayFailedRequest(_In):
    since: datetime
    until: datetime | None = None
    event_type: str | None = Field(default=None, json_schema_extra={"enum": [*EVENT_TYPES, None]})

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)


def as_utc(value: datetime | None) -> datetime | None:
    """Times without an offset are read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse(model: type[Model], payload: Any) -> Model:
    """Validate a JSON body; errors become one `ValidationFailed` naming the first bad field."""
    if not isinstance(payload, dict):
        raise ValidationFailed.sentence("", "must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed.from_errors(exc.errors()) from None


def normalise_event_types(value: Any) -> list[str] | None:
    """None (every type) or a list of known types in their documented order."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationFailed("must be a list of event types or null", field="webhook_events")
    wanted = {item.strip() for item in value}
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
            field="webhook_events",
        )
    return [t for t in EVENT_TYPES if t in wanted]


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def delivery_out(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "attempt": row.attempt,
        "url": row.url,
        "succeeded": row.succeeded,
        "status_code": row.status_code,
        "latency_ms": row.latency_ms,
        "error": row.error,
        "response_body": row.response_body,
        "created_at": iso(row.created_at),
    }


def event_out(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "status": event.status,
        "attempts": event.attempts,
        "next_attempt_at": iso(event.next_attempt_at) if event.status == "pending" else None,
        "last_status_code": event.last_status_code,
        "last_error": event.last_error,
        "created_at": iso(event.created_at),
        "delivered_at": iso(event.delivered_at),
    }
