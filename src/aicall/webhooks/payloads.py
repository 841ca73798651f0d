"""The documented shape of every webhook body: `{"type", "timestamp", "data"}`.

These models are the single source of the JSON Schemas in docs/webhooks/ (regenerate them with
`python -m aicall.webhooks.payloads docs/webhooks`) and validate what emitters hand to the outbox.
Receivers must ignore fields they do not know: fields are added without notice, never removed.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
)

from aicall.calls.outcomes import CallOutcome
from aicall.events import EventType

__all__ = [
    "EVENT_TYPES",
    "Amd",
    "Attempt",
    "CallAttemptFinished",
    "CallAttemptFinishedData",
    "CampaignEvent",
    "CampaignEventData",
    "CampaignStatusName",
    "Compliance",
    "ContactFinalStatus",
    "ContactFinished",
    "ContactFinishedData",
    "EventType",
    "PathStep",
    "Retry",
    "ScenarioEvent",
    "ScenarioEventData",
    "ScenarioReviewStatus",
    "WebhookBody",
    "export_schemas",
    "iso",
    "schema_for",
    "validate_data",
]


EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`, the form every timestamp we send takes."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


E164 = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$", examples=["+84987654321"])]
# Dumped in JSON mode (what emitters hand to the outbox) in the one form `iso` gives.
Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(iso, return_type=str, when_used="json"),
    Field(description="ISO 8601, UTC"),
]


# The statuses a payload may carry; emitters holding a plain `str` column cast to these.
ContactFinalStatus = Literal["done", "failed", "cancelled", "do_not_call"]
CampaignStatusName = Literal["draft", "running", "paused", "completed", "cancelled"]
ScenarioReviewStatus = Literal["ACTIVE", "REJECT"]


class _Model(BaseModel):
    # Forbid unknown keys so an emitter's typo fails its tests; the exported schemas drop
    # `additionalProperties: false` because receivers must accept fields we add later.
    model_config = ConfigDict(extra="forbid")


# -- call.attempt.finished ---------------------------------------------------------------------


class HeardSpeech(_Model):
    """What a menu that listens heard at this step (responseType SPEECH or KEYPAD_OR_SPEECH)."""

    transcript: str | None = Field(description="the words recognised; null when none were (see error)")
    intent: str | None = Field(description="the response's intent the words matched; null: no match")
    confidence: float | None = Field(description="0-1: how much of the answer the intent's phrases explain")
    recognition_ms: int = Field(ge=0, description="how long speech recognition took")
    engine: str = Field(description="the recogniser: openai, fpt, echo (the simulator) or none")
    speech_seconds: float = Field(ge=0, description="length of the callee's utterance")
    error: str | None = Field(
        default=None, description="why nothing was recognised (an error or timeout: the no-input path)"
    )


class PathStep(_Model):
    """One visit of one scenario action during the call (a replayed menu prompt is a new step)."""

    action_id: str
    label: str | None = Field(description="the action's label in the scenario")
    type: str = Field(description="the action's type, e.g. INTERACTIVE_MENU, END_CALL, TRANSFER")
    text: str | None = Field(description="what was spoken, tags filled in")
    keys: str | None = Field(description="the keys pressed at this step")
    result: str | None = Field(
        description="matched | no_input | invalid | played | transferred | transfer_failed | hangup | "
        "ended | error"
    )
    at: Timestamp
    repeat: int = Field(ge=0, description="0 for the first play of a prompt, 1 for its first replay…")
    interrupted: bool = Field(
        default=False, description="a key press (or the callee's speech) cut the prompt short"
    )
    heard: HeardSpeech | None = Field(
        default=None, description="at a menu that listens: what the callee said and what it matched"
    )


class Amd(_Model):
    """What answering-machine detection decided on an answered call (the campaign's `amd`)."""

    verdict: Literal["human", "machine", "unknown"] = Field(
        description="machine: voicemail or a network announcement (outcome voicemail); unknown: "
        "undecided, treated as a person"
    )
    reason: str = Field(
        description="beep | initial_silence | long_greeting | too_many_words | long_word | "
        "human_greeting_then_silence | max_analysis_time | audio_ended"
    )
    decided_after: float = Field(
        ge=0, description="seconds of the callee's audio from the answer to the verdict"
    )
    message_left: bool = Field(description="the campaign's voicemail message was played to its end")


class Attempt(_Model):
    id: str = Field(description="the call attempt's id")
    number: int = Field(ge=1, description="1 for the contact's first dial")
    outcome: CallOutcome
    sip_code: int | None = Field(description="final SIP response code, e.g. 200, 486, 480, 404")
    sip_reason: str | None = Field(description="its reason phrase, e.g. 'Busy Here'")
    hotline: str | None = Field(description="the caller number the call left from")
    started_at: Timestamp
    answered_at: Timestamp | None
    ended_at: Timestamp
    duration: float = Field(ge=0, description="seconds from answer to hang-up (0 when not answered)")
    billable_seconds: int = Field(ge=0, description="duration rounded up to the billing increment")
    cost: int = Field(ge=0, description="charged amount, whole VND")
    keys_pressed: str = Field(description="every key pressed during the call, in order")
    opt_out: bool = Field(
        default=False,
        description="the callee pressed the opt-out key: the number is now on the Do-Not-Call list",
    )
    amd: Amd | None = Field(
        default=None,
        description="answering-machine detection's decision; null when the campaign had it off "
        "or the call was not answered",
    )
    end_reason: str | None = Field(
        description="why an answered call ended: completed | remote_hangup | max_duration | "
        "transferred | dead_media | error | shutdown (the platform stopped and its grace ran out: "
        "we hung up; also on an attempt still ringing then, with outcome failed); null when not "
        "answered otherwise"
    )
    path: list[PathStep] = Field(description="the steps taken through the scenario")
    recording_url: str | None = Field(description="where the recording can be fetched, when recorded")


class Retry(_Model):
    scheduled: bool = Field(description="the contact will be dialled again")
    next_attempt_at: Timestamp | None


class CallAttemptFinishedData(_Model):
    campaign_id: str
    contact_id: str
    phone_number: E164
    tags: dict[str, str | None] = Field(description="the contact's personalisation tags, in key form")
    attempt: Attempt
    retry: Retry


class CallAttemptFinished(_Model):
    """Sent after every dial of a contact, answered or not."""

    type: Literal["call.attempt.finished"]
    timestamp: Timestamp
    data: CallAttemptFinishedData


# -- contact.finished --------------------------------------------------------------------------


class Compliance(_Model):
    """Why the calling rules refused or held the contact (Decree 91/2020/ND-CP Art. 13)."""

    reason: str = Field(description="do_not_call | opt_out | frequency_limit")
    rule: str | None = Field(
        description="do_not_call_list | stop_on_refusal | advertising_frequency | advertising_hours"
    )
    citation: str | None = Field(description="where the rule comes from")
    until: Timestamp | None = Field(default=None, description="when a hold ends")


class ContactFinishedData(_Model):
    campaign_id: str
    contact_id: str
    phone_number: E164
    tags: dict[str, str | None]
    status: ContactFinalStatus = Field(
        description="done: reached; failed: attempts exhausted or not retryable; cancelled: the "
        "campaign or contact was cancelled; do_not_call: the number is on the do-not-call list"
    )
    attempts: int = Field(ge=0)
    last_outcome: CallOutcome | None = Field(description="outcome of the last attempt; null if never dialled")
    finished_at: Timestamp
    compliance: Compliance | None = Field(
        default=None, description="why the calling rules finished it (do_not_call, opt_out); null otherwise"
    )
    reason: str | None = Field(
        default=None,
        description="why the platform failed it without calling, e.g. `not dialled: no value for field "
        "'Số tiền' (so_tien)`: a prompt could not be spoken to this contact; null otherwise",
    )


class ContactFinished(_Model):
    """Sent once per contact, when it reaches a final status."""

    type: Literal["contact.finished"]
    timestamp: Timestamp
    data: ContactFinishedData


# -- campaign.* --------------------------------------------------------------------------------


class CampaignEventData(_Model):
    campaign_id: str
    name: str
    status: CampaignStatusName
    reason: str | None = Field(
        description="why, when the platform acted on its own, e.g. insufficient_balance"
    )
    at: Timestamp


class CampaignEvent(_Model):
    """Sent when a campaign starts, pauses, resumes, completes or is cancelled."""

    type: Literal[
        "campaign.started", "campaign.paused", "campaign.resumed", "campaign.completed", "campaign.cancelled"
    ]
    timestamp: Timestamp
    data: CampaignEventData


# -- scenario.* --------------------------------------------------------------------------------


class ScenarioEventData(_Model):
    scenario_id: str
    name: str
    status: ScenarioReviewStatus = Field(description="ACTIVE when approved, REJECT when rejected")
    reason: str | None = Field(description="the reviewer's reason, mostly for a rejection")


class ScenarioEvent(_Model):
    """Sent when a submitted scenario's review ends."""

    type: Literal["scenario.approved", "scenario.rejected"]
    timestamp: Timestamp
    data: ScenarioEventData


WebhookBody = Annotated[
    CallAttemptFinished | ContactFinished | CampaignEvent | ScenarioEvent, Field(discriminator="type")
]
_BODY = TypeAdapter[Any](WebhookBody)

_DATA_MODELS: dict[str, type[BaseModel]] = {
    "call.attempt.finished": CallAttemptFinishedData,
    "contact.finished": ContactFinishedData,
    **{t: CampaignEventData for t in EVENT_TYPES if t.startswith("campaign.")},
    **{t: ScenarioEventData for t in EVENT_TYPES if t.startswith("scenario.")},
}

_BODY_MODELS: dict[str, type[BaseModel]] = {
    "call.attempt.finished": CallAttemptFinished,
    "contact.finished": ContactFinished,
    **{t: CampaignEvent for t in EVENT_TYPES if t.startswith("campaign.")},
    **{t: ScenarioEvent for t in EVENT_TYPES if t.startswith("scenario.")},
}


def validate_data(event_type: str, data: Any) -> None:
    """Raise ValueError when `data` is not what the documentation promises for `event_type`."""
    model = _DATA_MODELS.get(event_type)
    if model is None:
        raise ValueError(f"unknown webhook event type {event_type!r}; known: {', '.join(EVENT_TYPES)}")
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{event_type} payload does not match its schema: {exc}") from exc


def validate_body(body: Any) -> None:
    """Raise ValueError unless `body` is a documented webhook body (type, timestamp, data)."""
    try:
        _BODY.validate_python(body)
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


def _open_schema(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _open_schema(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)
        }
    if isinstance(node, list):
        return [_open_schema(v) for v in node]
    return node


def schema_for(event_type: str, examples: list[Any] | None = None) -> dict[str, Any]:
    """The JSON Schema of the whole body of one event type."""
    model = _BODY_MODELS[event_type]
    schema = _open_schema(model.model_json_schema())
    schema["title"] = event_type
    schema["properties"]["type"] = {"const": event_type, "title": "Type", "type": "string"}
    document: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
    if examples:
        document["examples"] = examples
    return document


def export_schemas(directory: Path) -> list[Path]:
    """Write `<event type>.schema.json` into `directory`, each with the examples found in
    `directory/examples/<event type>*.json`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type in EVENT_TYPES:
        found = sorted((directory / "examples").glob(f"{event_type}*.json"))
        examples = [
            json.loads(p.read_text()) for p in found if json.loads(p.read_text())["type"] == event_type
        ]
        path = directory / f"{event_type}.schema.json"
        path.write_text(json.dumps(schema_for(event_type, examples), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in export_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/webhooks")):
        print(written_path)
