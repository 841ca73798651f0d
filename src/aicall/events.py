"""The webhook event vocabulary: every event type, and the `Event` an emitter hands to the outbox.

Declared here, below every domain, so that the emitters (campaign lifecycle, the dialer's result
store, scenario review) and the webhook package share one list without importing each other.
The body of each type is documented by its model in `webhooks/payloads.py` and its JSON Schema
in docs/webhooks/.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

__all__ = ["Event", "EventType"]


class EventType(StrEnum):
    CALL_ATTEMPT_FINISHED = "call.attempt.finished"
    CONTACT_FINISHED = "contact.finished"
    CAMPAIGN_STARTED = "campaign.started"
    CAMPAIGN_PAUSED = "campaign.paused"
    CAMPAIGN_RESUMED = "campaign.resumed"
    CAMPAIGN_COMPLETED = "campaign.completed"
    CAMPAIGN_CANCELLED = "campaign.cancelled"
    SCENARIO_APPROVED = "scenario.approved"
    SCENARIO_REJECTED = "scenario.rejected"


class Event(NamedTuple):
    """One webhook event, not yet written: for whom, what, and its JSON-ready `data`.

    A tuple so emitters can collect events while they change state and append them to the
    outbox in the same transaction (`notify.emit_all`), and callers can unpack it.
    """

    application_id: str
    type: EventType
    data: dict[str, Any]
