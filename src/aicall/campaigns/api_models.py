"""The campaign API's answers as the OpenAPI document shows them, and the add-contacts body.

The routes build their answers as dicts (`campaigns.queries`); these models describe them for
the document and generated clients, and Schemathesis checks the two agree. Fields are
snake_case, as answered (CONTRACT §3).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from aicall.campaigns import defaults
from aicall.campaigns.models import CampaignStatus, ContactStatus
from aicall.campaigns.waiting import WaitingReason
from aicall.storable import MAX_EXACT_INTEGER

__all__ = [
    "AddedContact",
    "AmdRead",
    "CallAttemptRead",
    "CampaignChange",
    "CampaignCounts",
    "CampaignIn",
    "CampaignPage",
    "CampaignRead",
    "CampaignSummary",
    "ContactDetail",
    "ContactIn",
    "ContactPage",
    "ContactRead",
    "ContactsAdd",
    "ContactsAdded",
    "ImportReport",
    "ImportSummary",
    "RejectedContact",
    "RejectedRow",
    "SettingsIn",
    "SettingsRead",
]

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS: tuple[Day | int, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZONES: list[JsonValue] = [*sorted(available_timezones())]  # what ZoneInfo finds (tzdata)
_TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


class ContactIn(BaseModel):
    """One person to call: `phone_number` and the scenario's personalisation tags by key form
    (`ho_ten`, `so_tien`, ...) or display name; unknown keys are kept with the contact."""

    model_config = ConfigDict(
        extra="allow",
        # A tag's value: text, a whole number (amounts from spreadsheets), or null for no value.
        json_schema_extra={
            "additionalProperties": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "integer", "minimum": -MAX_EXACT_INTEGER, "maximum": MAX_EXACT_INTEGER},
                    {"type": "null"},
                ]
            }
        },
    )

    phone_number: str = Field(
        description="Vietnamese national or international form; stored as E.164",
        examples=["0987654321"],
    )


class ContactsAdd(BaseModel):
    """`POST /campaign` (CONTRACT §2): contacts for a campaign made beforehand."""

    campaign_id: str = Field(min_length=1, description="the campaign's id")
    contacts: list[ContactIn] = Field(
        min_length=1, description="one object per person (at most AICALL_MAX_CONTACTS_PER_REQUEST)"
    )


class AddedContact(BaseModel):
    """A stored contact: its new id, its number as E.164 and its tag values under their keys."""

    model_config = ConfigDict(extra="allow")

    contact_id: str = Field(description="a UUID")
    so_dien_thoai: str = Field(description="the phone number, E.164")


class RejectedContact(BaseModel):
    """A contact that was not added, by its position in the request (or row of the file)."""

    index: int
    phone_number: Any = Field(description="the number as sent")
    reason: str


class ContactsAdded(BaseModel):
    """The answer of `POST /campaign`: the contacts added, and those refused (an extension)."""

    status: Literal[1]
    result: list[AddedContact]
    rejected: list[RejectedContact] | None = Field(
        default=None, description="present when some contacts were refused"
    )


class HourRangeRead(BaseModel):
    # Local times of day, no offset: not JSON Schema's `time` format, which requires one.
    start: str = Field(pattern=_TIME_OF_DAY, description="HH:MM:SS, local time")
    end: str | None = Field(pattern=_TIME_OF_DAY, description="HH:MM:SS; null: until midnight")


class RetryRuleRead(BaseModel):
    max_attempts: int = Field(description="re-calls after the first attempt")
    interval: int = Field(description="seconds between attempts")


class SettingsRead(BaseModel):
    """A campaign's dialling settings in force (`campaigns.settings.CampaignSettings`, as
    answered: snake_case)."""

    timezone: str
    days: list[str] = Field(description="mon..sun")
    hours: list[HourRangeRead]
    start_date: date | None
    end_date: date | None
    max_concurrent: int
    calls_per_second: float
    ring_timeout: float = Field(description="seconds")
    max_duration: float = Field(description="seconds")
    allow_duplicate_phone: bool
    pool_hotline_key: str
    hotline_selection: Literal["RANDOM", "ROUND_ROBIN", "LEAST_BUSY"]
    retry: dict[str, RetryRuleRead] = Field(description="by outcome: busy, no_answer, failed, ...")
    record: bool
    complete_when_done: bool = Field(
        description="complete by itself once every contact is final and quiet_period has passed"
    )
    quiet_period: int = Field(description="seconds with nothing to call before complete_when_done completes")
    policy: Literal["service", "advertising"] = Field(
        description="advertising: Decree 91/2020/ND-CP Art. 13 applies (hours, 24-hour rule, registered pool)"
    )
    advertising_start: str = Field(pattern=_TIME_OF_DAY, description="advertising calls from (local time)")
    advertising_end: str = Field(pattern=_TIME_OF_DAY, description="advertising calls until")
    advertising_timezone: str = Field(description="the zone the advertising hours are read in")
    advertising_interval: int = Field(description="seconds between two advertising calls to one number")
    exclude_holidays: str | None = Field(description="a country whose public holidays are quiet days (VN)")
    excluded_dates: list[date] = Field(description="the campaign's own quiet days")
    amd: bool = Field(default=False, description="answering-machine detection on answered calls")
    amd_mode: Literal["sync", "async"] = Field(
        default="sync",
        description="sync: the scenario starts once the callee is judged a person; async: at once, "
        "stopped if a machine answered",
    )
    voicemail_action: Literal["hangup", "leave_message"] = Field(
        default="hangup", description="what a call answered by a machine does (outcome voicemail)"
    )
    voicemail_message_action_id: str | None = Field(
        default=None, description="the scenario's PLAY_MESSAGE action left as the voicemail message"
    )


class HourRangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str = Field(default="00:00", pattern=_TIME_OF_DAY, description="HH:MM[:SS], local time")
    end: str | None = Field(
        default=None,
        pattern=_TIME_OF_DAY + "|^24:00(:00)?$",
        description="after start; null or 24:00: midnight",
    )


class RetryRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=0, ge=0, le=20, description="re-calls after the first attempt")
    interval: int = Field(default=1800, ge=0, le=30 * 86400, description="seconds between attempts")


class SettingsIn(BaseModel):
    """A campaign's own dialling settings (`campaigns.settings.CampaignSettings`): each one set
    here overrides the scenario's `call_config` and the defaults (docs/campaigns.md). snake_case
    or camelCase names."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"hours": [{"start": "08:00", "end": "20:00"}]}}
    )

    timezone: str = Field(default="Asia/Ho_Chi_Minh", json_schema_extra={"enum": _ZONES})
    days: list[Day | Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(_DAYS), min_length=1, description="mon..sun, or 0 (Monday)..6"
    )
    hours: list[HourRangeIn] = Field(default_factory=list, min_length=1)
    start_date: date | None = None
    end_date: date | None = None
    max_concurrent: int = Field(default=10, ge=1, le=2000)
    calls_per_second: float = Field(default=5.0, gt=0, le=200)
    ring_timeout: float = Field(default=30.0, ge=1, le=300, description="seconds")
    max_duration: float = Field(default=300.0, ge=5, le=4 * 3600, description="seconds")
    allow_duplicate_phone: bool = False
    pool_hotline_key: str = Field(default="POOL_SYSTEM", min_length=1, max_length=100)
    hotline_selection: Literal["RANDOM", "ROUND_ROBIN", "LEAST_BUSY"] = "RANDOM"
    retry: dict[Literal["no_answer", "busy", "failed", "voicemail", "rejected"], RetryRuleIn] = Field(
        default_factory=dict, description="by outcome"
    )
    record: bool = False
    complete_when_done: bool = Field(
        default=False,
        description="true: complete by itself once every contact is final and quiet_period has passed; "
        "false: stay open for new contacts",
    )
    quiet_period: int = Field(default=defaults.QUIET_PERIOD, ge=0, le=7 * 86400, description="seconds")
    policy: Literal["service", "advertising"] = Field(
        default=defaults.POLICY,
        description="service: the campaign's own window; advertising: Decree 91/2020/ND-CP Art. 13 too",
    )
    advertising_start: str = Field(default="08:00", pattern=_TIME_OF_DAY, description="HH:MM[:SS]")
    advertising_end: str = Field(default="17:00", pattern=_TIME_OF_DAY, description="after advertising_start")
    advertising_timezone: str = Field(
        default=defaults.ADVERTISING_TIMEZONE, json_schema_extra={"enum": _ZONES}
    )
    advertising_interval: int = Field(
        default=defaults.ADVERTISING_INTERVAL,
        ge=0,
        le=31 * 86400,
        description="seconds from one advertising call's start to the next to the same number",
    )
    exclude_holidays: str | None = Field(
        default=None, min_length=2, max_length=2, description="VN: no calls on Vietnam's public holidays"
    )
    excluded_dates: list[date] = Field(default_factory=list, max_length=366, description="more quiet days")
    amd: bool = Field(
        default=defaults.AMD,
        description="answering-machine detection: a call answered by voicemail or an announcement ends "
        "with outcome voicemail (re-called by the retry rule voicemail)",
    )
    amd_mode: Literal["sync", "async"] = Field(
        default=defaults.AMD_MODE,
        description="sync: our first prompt waits until the callee is judged a person or undecided "
        "(at most 5 s); async: it plays at once and stops if a machine answered",
    )
    voicemail_action: Literal["hangup", "leave_message"] = Field(
        default=defaults.VOICEMAIL_ACTION,
        description="hangup, or leave_message (needs amd true, else refused with 400): wait for the "
        "greeting to end (the beep), play voicemail_message_action_id, hang up",
    )
    voicemail_message_action_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="id of the scenario's PLAY_MESSAGE action to leave; needed by leave_message",
    )


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class CampaignIn(_Body):
    """`POST /campaigns` as the document shows it (`campaigns.schemas.CampaignCreate` with its
    settings typed)."""

    name: str = Field(min_length=1, max_length=200)
    scenario_id: str | None = Field(default=None, description="the call script; needed to start")
    settings: SettingsIn = Field(
        default_factory=SettingsIn, description="overrides of the scenario's defaults"
    )
    start: bool = Field(default=False, description="start calling at once")


def _left_out(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # a field left out is kept: no default applies


class CampaignChange(_Body):
    """`PUT /campaigns/{id}` as the document shows it (`campaigns.schemas.CampaignUpdate`): a
    field left out is kept; none may be `null` (none can be cleared: 400)."""

    name: str | SkipJsonSchema[None] = Field(
        default=None, min_length=1, max_length=200, json_schema_extra=_left_out
    )
    scenario_id: str | SkipJsonSchema[None] = Field(
        default=None, description="the call script", json_schema_extra=_left_out
    )
    settings: SettingsIn | SkipJsonSchema[None] = Field(
        default=None, description="merged over the campaign's overrides", json_schema_extra=_left_out
    )


class CampaignCounts(BaseModel):
    contacts: int
    by_status: dict[str, int]
    attempts: int
    by_outcome: dict[str, int]
    calls_in_progress: int
    cost: int = Field(description="đồng charged so far")


class CampaignSummary(BaseModel):
    """A campaign in a list."""

    id: str
    name: str
    status: CampaignStatus
    scenario_id: str | None
    pause_reason: str | None
    settings: SettingsRead | None = Field(
        description="the settings in force: defaults <- scenario's call_config <- overrides "
        "(null when they cannot be read)"
    )
    overrides: dict[str, Any] = Field(description="the settings this campaign sets itself")
    created_at: datetime | None
    updated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class AdvertisingHoursRead(BaseModel):
    start: str
    end: str
    timezone: str
    rule: str = Field(description="advertising_hours: Decree 91/2020/ND-CP Art. 13 cl. 6")


class EffectiveWindowRead(BaseModel):
    """When the campaign really dials: its own window, narrowed by its policy."""

    timezone: str
    days: list[str]
    hours: list[dict[str, str]] = Field(
        description="HH:MM ranges; under advertising, intersected with its hours"
    )
    start_date: str | None
    end_date: str | None
    policy: Literal["service", "advertising"]
    advertising_hours: AdvertisingHoursRead | None
    exclude_holidays: str | None
    excluded_dates: list[str]


class CampaignRead(CampaignSummary):
    """A campaign with live counts, and why it dials nobody now, if it does not."""

    effective_window: EffectiveWindowRead | None = Field(
        default=None, description="null when the settings no longer validate"
    )
    counts: CampaignCounts
    waiting_reason: WaitingReason | None
    waiting_until: datetime | None
    waiting_detail: str | None


class CampaignPage(BaseModel):
    campaigns: list[CampaignSummary]
    total_count: int


class ComplianceRead(BaseModel):
    """Why the calling rules refused or hold a contact (Decree 91/2020/ND-CP Art. 13)."""

    reason: str = Field(description="do_not_call | opt_out | frequency_limit")
    rule: str | None = Field(description="do_not_call_list | stop_on_refusal | advertising_frequency")
    citation: str | None = Field(description="where the rule comes from")
    until: datetime | None = Field(default=None, description="when a hold ends")


class ContactRead(BaseModel):
    id: str
    campaign_id: str
    phone_number: str = Field(description="E.164")
    tags: dict[str, str]
    status: ContactStatus
    attempts: int
    last_outcome: str | None
    compliance: ComplianceRead | None = Field(default=None, description="the calling rules' decision, if any")
    next_attempt_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    waiting_reason: WaitingReason | None = Field(default=None, description="why it is not dialled now")
    waiting_until: datetime | None = Field(default=None, description="when that ends, if known")
    waiting_detail: str | None = None


class AmdRead(BaseModel):
    """What answering-machine detection decided on an answered call (docs/campaigns.md)."""

    verdict: Literal["human", "machine", "unknown"] = Field(
        description="machine: voicemail or an announcement (outcome voicemail); unknown: undecided, "
        "treated as a person"
    )
    reason: str = Field(
        description="beep | initial_silence | long_greeting | too_many_words | long_word | "
        "human_greeting_then_silence | max_analysis_time | audio_ended"
    )
    decided_after: float = Field(description="seconds of the callee's audio from the answer to the verdict")
    message_left: bool = Field(description="the campaign's voicemail message was played to its end")


class CallAttemptRead(BaseModel):
    """One dial of a contact."""

    id: str
    number: int = Field(description="1 for the first attempt")
    status: str
    outcome: str | None
    sip_code: int | None
    sip_reason: str | None
    hotline: str | None
    claimed_at: datetime | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration: float = Field(description="seconds")
    billable_seconds: int
    cost: int = Field(description="đồng")
    keys_pressed: str
    opt_out: bool = Field(default=False, description="the callee pressed the opt-out key")
    amd: AmdRead | None = Field(
        default=None, description="answering-machine detection's decision; null when the campaign had it off"
    )
    end_reason: str | None
    path: list[dict[str, Any]] = Field(description="the actions the call went through")
    error: str | None
    recording_url: str | None
    scenario_version: int | None


class ContactDetail(ContactRead):
    call_attempts: list[CallAttemptRead]


class ContactPage(BaseModel):
    contacts: list[ContactRead]
    total_count: int


class RejectedRow(BaseModel):
    row: int = Field(description="the row of the file")
    phone_number: Any = Field(description="the number as written")
    reason: str


class ImportSummary(BaseModel):
    format: str
    rows: int
    imported: int
    valid: int
    rejected: int
    dry_run: bool
    mapping: dict[str, Any] = Field(description="which column became which field")


class ImportReport(BaseModel):
    """The answer of a file import: the contacts added (a dry run: the summary) in `result`,
    the counts in `summary`, refused rows by row number in `rejected`."""

    status: Literal[1]
    result: list[AddedContact] | ImportSummary
    summary: ImportSummary
    rejected: list[RejectedRow] | None = None
