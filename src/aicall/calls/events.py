"""Webhook payloads of calls and contacts, built from their documented models (docs/webhooks/)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from aicall.calls.models import CallAttempt
from aicall.calls.outcomes import CallOutcome
from aicall.campaigns.models import Contact
from aicall.compliance import rules
from aicall.events import Event, EventType
from aicall.webhooks import payloads

__all__ = ["attempt_finished", "contact_finished"]


def attempt_finished(
    *,
    application_id: str,
    contact: Contact,
    attempt: CallAttempt,
    recording_url: str | None,
    next_attempt_at: datetime | None,
) -> Event:
    """`call.attempt.finished` for one stored attempt; `next_attempt_at` is the retry, if any.

    Raises pydantic.ValidationError when a value breaks the documented schema (a bug).
    """
    data = payloads.CallAttemptFinishedData(
        campaign_id=contact.campaign_id,
        contact_id=contact.id,
        phone_number=contact.phone,
        tags=dict(contact.tags or {}),
        attempt=_attempt(attempt, recording_url),
        retry=payloads.Retry(scheduled=next_attempt_at is not None, next_attempt_at=next_attempt_at),
    )
    return Event(application_id, EventType.CALL_ATTEMPT_FINISHED, data.model_dump(mode="json"))


def _attempt(attempt: CallAttempt, recording_url: str | None) -> payloads.Attempt:
    return payloads.Attempt(
        id=attempt.id,
        number=attempt.number,
        outcome=CallOutcome(attempt.outcome or CallOutcome.FAILED),  # set on every finished attempt
        sip_code=attempt.sip_code,
        sip_reason=attempt.sip_reason,
        hotline=attempt.hotline,
        # An attempt lost with its dialer (recovery) never recorded its start: the claim is
        # the closest moment we know, and the schema promises a timestamp.
        started_at=attempt.started_at or attempt.claimed_at,
        answered_at=attempt.answered_at,
        ended_at=attempt.ended_at or attempt.claimed_at,  # always set once an attempt is finished
        duration=round(attempt.duration or 0.0, 3),
        billable_seconds=attempt.billable_seconds or 0,
        cost=attempt.cost or 0,
        keys_pressed=attempt.keys_pressed or "",
        opt_out=bool(attempt.opt_out),
        amd=payloads.Amd.model_validate(attempt.amd) if attempt.amd else None,
        end_reason=attempt.end_reason,
        path=[payloads.PathStep.model_validate(step) for step in attempt.path or []],
        recording_url=recording_url,
    )


def contact_finished(
    *, application_id: str, contact: Contact, finished_at: datetime, reason: str | None = None
) -> Event:
    """`contact.finished` for a contact that reached a final status; `reason` says why when the
    platform ended it without a call (a prompt that cannot be spoken to it).

    Raises pydantic.ValidationError when a value breaks the documented schema (a bug).
    """
    data = payloads.ContactFinishedData(
        campaign_id=contact.campaign_id,
        contact_id=contact.id,
        phone_number=contact.phone,
        tags=dict(contact.tags or {}),
        status=cast(payloads.ContactFinalStatus, contact.status),
        attempts=contact.attempts,
        last_outcome=CallOutcome(contact.last_outcome) if contact.last_outcome else None,
        finished_at=finished_at,
        compliance=_compliance(contact),
        reason=reason,
    )
    return Event(application_id, EventType.CONTACT_FINISHED, data.model_dump(mode="json"))


def _compliance(contact: Contact) -> payloads.Compliance | None:
    described = rules.describe(contact.compliance_reason, contact.compliance_rule)
    return payloads.Compliance.model_validate(described) if described else None
