"""Public API: the current application's webhook settings, delivery log and replays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from aicall.errors import ValidationFailed
from aicall.web.deps import AppState, CurrentApp, JsonBody, StateDep
from aicall.web.envelope import ok
from aicall.web.openapi import MAX_OFFSET, Envelope, answers, body, paging, parameters, query
from aicall.webhooks import service as webhook_service
from aicall.webhooks.api_models import (
    DeliveryPage,
    EventDetail,
    EventPage,
    EventRead,
    Replayed,
    WebhookSettingsRead,
)
from aicall.webhooks.models import EventStatus
from aicall.webhooks.payloads import EVENT_TYPES
from aicall.webhooks.schemas import (
    ReplayFailedRequest,
    WebhookSettingsUpdate,
    as_utc,
    delivery_out,
    event_out,
    parse,
)

router = APIRouter(prefix="/api/v1/public-api", tags=["webhooks"])

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
TIME_RANGE = (
    query(
        "since", {"type": "string", "format": "date-time"}, "created at or after (ISO 8601; UTC if no offset)"
    ),
    query("until", {"type": "string", "format": "date-time"}, "created before"),
)


def _reading(state: AppState, work: Callable[..., Any], **kwargs: Any) -> Any:
    with state.db.reading() as session:
        return work(session=session, **kwargs)


@router.get(
    "/webhooks",
    summary="Read the webhook settings (URL, event types, signing secret)",
    **answers(Envelope[WebhookSettingsRead]),
)
async def read_settings(state: StateDep, app: CurrentApp) -> dict[str, Any]:
    settings = await run_in_threadpool(
        _reading, state, webhook_service.read_settings, box=state.box, application_id=app.application_id
    )
    return ok(settings.to_dict())


@router.put(
    "/webhooks",
    summary="Update the webhook URL and/or event types (fields left out are kept)",
    **answers(Envelope[WebhookSettingsRead]),
    **body(
        WebhookSettingsUpdate,
        examples={
            "results of calls only": {
                "webhookUrl": "https://example.com/hooks/aicall",
                "webhookEvents": ["call.attempt.finished", "contact.finished"],
            },
            "webhooks off": {"webhookUrl": None},
        },
    ),
)
async def update_settings(state: StateDep, app: CurrentApp, payload: JsonBody) -> dict[str, Any]:
    data = parse(WebhookSettingsUpdate, payload)
    if not data.model_fields_set:
        raise ValidationFailed("send webhook_url and/or webhook_events")
    changes: dict[str, Any] = {name: getattr(data, name) for name in data.model_fields_set}
    settings = await run_in_threadpool(
        lambda: webhook_service.update_settings(
            db=state.db,
            box=state.box,
            application_id=app.application_id,
            allow_private=state.settings.webhook_allow_private,
            **changes,
        )
    )
    return ok(settings.to_dict())


@router.post(
    "/webhooks/rotate-secret",
    summary="Replace the signing secret (effective immediately)",
    **answers(Envelope[WebhookSettingsRead]),
)
async def rotate_secret(state: StateDep, app: CurrentApp) -> dict[str, Any]:
    settings = await run_in_threadpool(
        lambda: webhook_service.rotate_secret(db=state.db, box=state.box, application_id=app.application_id)
    )
    return ok(settings.to_dict())


@router.get(
    "/webhooks/deliveries",
    summary="The delivery log: ?event_id=&event_type=&status=succeeded|failed&since=&until=&limit=&offset=",
    **answers(Envelope[DeliveryPage]),
    **parameters(
        query("event_id", {"type": "string"}, "one event's deliveries"),
        query("event_type", {"enum": list(EVENT_TYPES)}, "deliveries of events of this type"),
        query("status", {"enum": ["succeeded", "failed"]}, "the delivery's outcome"),
        *TIME_RANGE,
        *paging(DEFAULT_LIMIT, MAX_LIMIT),
    ),
)
async def list_deliveries(state: StateDep, app: CurrentApp, request: Request) -> dict[str, Any]:
    outcome = _choice(request, "status", ("succeeded", "failed"))
    event_id, event_type = _param(request, "event_id"), _event_type(request)
    since, until = _time(request, "since"), _time(request, "until")
    limit = _integer(request, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    offset = _integer(request, "offset", 0, low=0, high=MAX_OFFSET)

    def work(*, session: Any) -> dict[str, Any]:
        rows, total = webhook_service.list_deliveries(
            session=session,
            application_id=app.application_id,
            event_id=event_id,
            event_type=event_type,
            succeeded=None if outcome is None else outcome == "succeeded",
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return {"deliveries": [delivery_out(row) for row in rows], "total_count": total}

    return ok(await run_in_threadpool(_reading, state, work))


@router.get(
    "/webhooks/events",
    summary="Events sent or to send: "
    "?status=pending|delivered|failed&event_type=&since=&until=&limit=&offset=",
    **answers(Envelope[EventPage]),
    **parameters(
        query("status", {"enum": [s.value for s in EventStatus]}, "the event's delivery status"),
        query("event_type", {"enum": list(EVENT_TYPES)}, "events of this type"),
        *TIME_RANGE,
        *paging(DEFAULT_LIMIT, MAX_LIMIT),
    ),
)
async def list_events(state: StateDep, app: CurrentApp, request: Request) -> dict[str, Any]:
    status = _choice(request, "status", tuple(s.value for s in EventStatus))
    event_type = _event_type(request)
    since, until = _time(request, "since"), _time(request, "until")
    limit = _integer(request, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    offset = _integer(request, "offset", 0, low=0, high=MAX_OFFSET)

    def work(*, session: Any) -> dict[str, Any]:
        rows, total = webhook_service.list_events(
            session=session,
            application_id=app.application_id,
            status=status,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return {"events": [event_out(row) for row in rows], "total_count": total}

    return ok(await run_in_threadpool(_reading, state, work))


@router.get(
    "/webhooks/events/{event_id}",
    summary="One event: its body and every delivery attempt",
    **answers(Envelope[EventDetail], 404),
)
async def get_event(state: StateDep, app: CurrentApp, event_id: str) -> dict[str, Any]:
    def work(*, session: Any) -> dict[str, Any]:
        event, deliveries = webhook_service.get_event(
            session=session, application_id=app.application_id, event_id=event_id
        )
        return {
            **event_out(event),
            "data": event.payload,
            "deliveries": [delivery_out(d) for d in deliveries],
        }

    return ok(await run_in_threadpool(_reading, state, work))


@router.post(
    "/webhooks/events/{event_id}/replay",
    summary="Send one event again (same webhook-id)",
    **answers(Envelope[EventRead], 404, 409),
)
async def replay_event(state: StateDep, app: CurrentApp, event_id: str) -> dict[str, Any]:
    event = await run_in_threadpool(
        lambda: webhook_service.replay_event(
            db=state.db, application_id=app.application_id, event_id=event_id
        )
    )
    return ok(event_out(event))


@router.post(
    "/webhooks/events/replay-failed",
    summary="Send again every failed event created since a time",
    **answers(Envelope[Replayed]),
    **body(
        ReplayFailedRequest,
        examples={"since a day": {"since": "2024-02-01T00:00:00Z", "eventType": "contact.finished"}},
    ),
)
async def replay_failed(state: StateDep, app: CurrentApp, payload: JsonBody) -> dict[str, Any]:
    data = parse(ReplayFailedRequest, payload)
    if data.event_type is not None and data.event_type not in EVENT_TYPES:
        raise ValidationFailed(f"unknown event type {data.event_type!r}", field="event_type")
    count = await run_in_threadpool(
        lambda: webhook_service.replay_failed(
            db=state.db,
            application_id=app.application_id,
            since=data.since,
            until=data.until,
            event_type=data.event_type,
        )
    )
    return ok({"replayed": count})


# -- query parameters: snake_case or camelCase, like the bodies ---------------------------------


def _param(request: Request, name: str) -> str | None:
    head, *rest = name.split("_")
    camel = head + "".join(part.title() for part in rest)
    raw = request.query_params.get(name)
    if raw is None:
        raw = request.query_params.get(camel)
    if raw is None:
        return None
    return raw.strip() or None


def _choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = _param(request, name)
    if raw is None:
        return None
    if raw.lower() not in choices:
        raise ValidationFailed(f"{raw!r} is not one of {', '.join(choices)}", field=name)
    return raw.lower()


def _event_type(request: Request) -> str | None:
    return _choice(request, "event_type", EVENT_TYPES)


def _time(request: Request, name: str) -> datetime | None:
    raw = _param(request, name)
    if raw is None:
        return None
    # An unescaped '+' of an offset arrives as a space: try that reading second.
    for text in (raw, "+".join(raw.rsplit(" ", 1))):
        try:
            return as_utc(datetime.fromisoformat(text))
        except ValueError:
            continue
    raise ValidationFailed(f"{raw!r} is not an ISO 8601 time", field=name)


def _integer(request: Request, name: str, default: int, *, low: int, high: int | None) -> int:
    raw = _param(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{raw!r} is not a whole number", field=name) from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationFailed(f"must be {bound}, not {value}", field=name)
    return value
