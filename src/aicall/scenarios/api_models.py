"""The scenario API's answers as the OpenAPI document shows them (CONTRACT §3), and the
bodies of routes that parse their JSON themselves.

The routes build their answers as dicts (`scenarios.schemas.scenario_out`, `actions_out`);
these models describe them for the document and generated clients, and Schemathesis checks
the two agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from aicall.campaigns.api_models import AddedContact, ContactIn, RejectedContact
from aicall.campaigns.models import CampaignStatus
from aicall.interpreter.script import ActionType
from aicall.scenarios.models import ScenarioStatus

__all__ = [
    "ActionRead",
    "CallConfigRead",
    "Deleted",
    "PersonalizedFieldRead",
    "PreviewRead",
    "ResumeResult",
    "ScenarioListItem",
    "ScenarioPage",
    "ScenarioRead",
    "ScenarioResume",
    "SubmitAnswer",
    "TtsConfigRead",
]


class PersonalizedFieldRead(BaseModel):
    name: str = Field(description="display name, e.g. `Họ tên`")
    key: str = Field(description="key form, e.g. `ho_ten`: the contact's tag key")
    reading_type: str = Field(description="TEXT, CURRENCY, DATE, SEQ2SEQ, NUMBER, TIME, ...")
    default: str | None = Field(default=None, description="read for a contact without a value")


class TtsConfigRead(BaseModel):
    speed: float
    voice_code: str


class ReCallRead(BaseModel):
    times: int | None = None
    delay: float | None = Field(default=None, description="minutes")
    is_busy: bool | None = None
    is_failed: bool | None = None
    is_no_answer: bool | None = None
    is_voice_mail: bool | None = None


class CallConfigRead(BaseModel):
    """The scenario's default dialling rules (campaigns inherit what they do not set)."""

    allow_duplicate_phone: bool | None = None
    call_routing: str | None = None
    max_concurrent: int | None = None
    max_duration: int | None = Field(default=None, description="seconds")
    pool_hotline_key: str | None = None
    re_call: ReCallRead | None = None


class ScenarioRead(BaseModel):
    id: str = Field(description="24 hex digits")
    name: str
    description: str
    image_url: str | None
    status: ScenarioStatus
    tags: list[str]
    created_at: datetime | None
    updated_at: datetime | None
    personalized_fields: list[PersonalizedFieldRead]
    tts_config: TtsConfigRead
    call_config: CallConfigRead
    dialect: str = Field(description="north or south: how numbers and dates are read")
    version: int
    published_version: int | None = Field(description="the approved version calls use")
    reject_reason: str | None


class ScenarioListItem(BaseModel):
    """A scenario in a list: every field, or `id` and those `?fields=` names."""

    id: str
    name: str | None = None
    description: str | None = None
    image_url: str | None = None
    status: ScenarioStatus | None = None
    tags: list[str] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    personalized_fields: list[PersonalizedFieldRead] | None = None
    tts_config: TtsConfigRead | None = None
    call_config: CallConfigRead | None = None
    dialect: str | None = None
    version: int | None = None
    published_version: int | None = None
    reject_reason: str | None = None


class ScenarioPage(BaseModel):
    scenarios: list[ScenarioListItem]
    total_count: int


class Deleted(BaseModel):
    id: str
    deleted: Literal[True]


class SubmitAnswer(BaseModel):
    """AICall's exact answer, plus `scenario_status` (ACTIVE at once for self-approving accounts)."""

    message: Literal["success"]
    status: Literal[1]
    scenario_status: ScenarioStatus


class ScenarioResume(BaseModel):
    """Contacts to call with the scenario (same contact format as `POST /campaign`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    contacts: list[ContactIn] = Field(min_length=1)


class ResumeResult(BaseModel):
    campaign_id: str = Field(description="the scenario's default campaign")
    campaign_status: CampaignStatus
    added: list[AddedContact]
    rejected: list[RejectedContact]


class PreviewRead(BaseModel):
    action_id: str
    text: str = Field(description="the prompt as it will be spoken")
    audio_url: str | None = Field(description="a signed link to the WAV, valid for a while")
    audio_error: str | None = Field(default=None, description="why there is no audio")


class SystemOutput(BaseModel):
    id: str
    label: str
    next_action_id: str | None


class ResponseSettingRead(BaseModel):
    response_type: str
    timeout: float = Field(description="seconds")
    max_retries: int
    no_input_action_id: str | None
    invalid_action_id: str | None


class ResponseRead(BaseModel):
    id: str
    key_pad_match: str | None = Field(description="null: a spoken response only")
    next_action_id: str | None = Field(description="null: this key hangs up")
    opt_out: bool = Field(default=False, description="this key refuses further calls (Do-Not-Call list)")
    intent: str | None = Field(default=None, description="SPEECH menus: what the callee says, by intent")
    phrases: list[str] | None = Field(default=None, description="SPEECH menus: phrases beyond the built-in")


class ActionInput(BaseModel):
    """An output of another action that leads into this one."""

    id: str
    action_id: str
    output_id: str
    from_action_id: str


class ActionRead(BaseModel):
    """An action; the fields after `label` are those of its type."""

    id: str
    scenario_id: str
    type: ActionType
    label: str
    system_outputs: list[SystemOutput] | None = Field(default=None, description="OUTBOUND_CALL")
    content_type: str | None = None
    content_text: str | None = None
    response_setting: ResponseSettingRead | None = Field(default=None, description="INTERACTIVE_MENU")
    responses: list[ResponseRead] | None = Field(default=None, description="INTERACTIVE_MENU")
    next_action_id: str | None = Field(default=None, description="PLAY_MESSAGE")
    transfer_to: str | None = Field(default=None, description="TRANSFER_CALL")
    action_inputs: list[ActionInput]
    created_at: datetime | None
    updated_at: datetime | None


class ActionPage(BaseModel):
    """`GET /scenario-actions`: a page of the scenario's actions, as a list (AICall's answer),
    and beside it how many the scenario has."""

    status: Literal[1]
    result: list[ActionRead]
    total_count: int = Field(ge=0, description="every action of the scenario, all pages")


def scenario_example() -> dict[str, Any]:
    """A scenario as `GET /scenarios/{id}` answers it (the document's example)."""
    return {
        "id": "65252610c41c5b7fbb84e6d3",
        "name": "Nhắc nợ",
        "description": "",
        "image_url": None,
        "status": "DRAFT",
        "tags": [],
        "created_at": "2024-02-01T08:00:00.000Z",
        "updated_at": "2024-02-01T08:00:00.000Z",
        "personalized_fields": [
            {"name": "Họ tên", "key": "ho_ten", "reading_type": "TEXT"},
            {"name": "Số tiền", "key": "so_tien", "reading_type": "CURRENCY"},
        ],
        "tts_config": {"speed": 1, "voice_code": "hn_female_ngochuyen_full_48k-fhg"},
        "call_config": {
            "allow_duplicate_phone": False,
            "call_routing": "RANDOM",
            "max_concurrent": 10,
            "max_duration": 300,
            "pool_hotline_key": "POOL_SYSTEM",
            "re_call": {
                "times": 2,
                "delay": 30,
                "is_busy": True,
                "is_failed": True,
                "is_no_answer": True,
                "is_voice_mail": False,
            },
        },
        "dialect": "north",
        "version": 1,
        "published_version": None,
        "reject_reason": None,
    }
