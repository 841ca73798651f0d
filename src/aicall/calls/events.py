"""Webhook payloads the dialer emits (schemas in docs/webhooks/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact

Event = tuple[str, str, dict[str, Any]]  # (application id, event type, data)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def attempt_finished(
    *,
    application_id: str,
    contact: Contact,
    attempt: CallAttempt,
    recording_url: str | None,
    next_attempt_at: datetime | None,
) -> Event:
    return (
        application_id,
        "call.attempt.finished",
        {
            "campaign_id": contact.campaign_id,
            "contact_id": contact.id,
            "phone_number": contact.phone,
            "tags": dict(contact.tags or {}),
            "attempt": attempt_dict(attempt, recording_url),
            "retry": {"scheduled": next_attempt_at is not None, "next_attempt_at": _iso(next_attempt_at)},
        },
    )


def attempt_dict(attempt: CallAttempt, recording_url: str | None) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "number": attempt.number,
        "outcome": attempt.outcome,
        "sip_code": attempt.sip_code,
        "sip_reason": attempt.sip_reason,
        "hotline": attempt.hotline,
        "started_at": _iso(attempt.started_at),
        "answered_at": _iso(attempt.answered_at),
        "ended_at": _iso(attempt.ended_at),
        "duration": round(attempt.duration, 3),
        "billable_seconds": attempt.billable_seconds,
        "cost": attempt.cost,
        "keys_pressed": attempt.keys_pressed,
        "end_reason": attempt.end_reason,
        "path": attempt.path or [],
        "recording_url": recording_url,
    }


def contact_finished(*, application_id: str, contact: Contact, finished_at: datetime) -> Event:
    return (
        application_id,
        "contact.finished",
        {
            "campaign_id": contact.campaign_id,
            "contact_id": contact.id,
            "phone_number": contact.phone,
            "tags": dict(contact.tags or {}),
            "status": contact.status,
            "attempts": contact.attempts,
            "last_outcome": contact.last_outcome,
            "finished_at": finished_at.isoformat(),
        },
    )
