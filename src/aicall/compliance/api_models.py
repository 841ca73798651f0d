"""Request bodies and answers of the compliance API, as the OpenAPI document shows them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from aicall.compliance.rules import AuditType, DncSource
from aicall.phones import MAX_PHONE_INTEGER

__all__ = [
    "AuditEntryRead",
    "AuditPage",
    "DncAdded",
    "DncCreate",
    "DncEntryRead",
    "DncPage",
    "DncRemoved",
]

MAX_NUMBERS_PER_REQUEST = 10_000


class DncCreate(BaseModel):
    """Numbers to put on the account's Do-Not-Call list: all valid, or none listed."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    phone_numbers: list[str | Annotated[int, Field(ge=0, le=MAX_PHONE_INTEGER)]] = Field(
        min_length=1,
        max_length=MAX_NUMBERS_PER_REQUEST,
        description="numbers as people write them (0987654321, +84 98 765 4321); stored in E.164",
        examples=[["0987654321", "+84912345678"]],
    )
    reason: str | None = Field(default=None, max_length=200, description="why, in your words")
    source: Literal["api", "import", "national_register"] = Field(
        default="api", description="who asked: api (default), import, national_register"
    )


class DncEntryRead(BaseModel):
    phone_number: str = Field(description="E.164")
    source: DncSource = Field(description="who listed it")
    reason: str | None
    created_at: str = Field(description="when it was listed (ISO 8601)")


class DncPage(BaseModel):
    entries: list[DncEntryRead]
    total_count: int


class DncAdded(BaseModel):
    added: int = Field(description="numbers newly listed")
    already_listed: int = Field(description="numbers that were on the list already")
    stopped_contacts: int = Field(
        description="contacts waiting to be called with these numbers, stopped (status do_not_call)"
    )


class DncRemoved(BaseModel):
    phone_number: str
    removed: bool


class AuditEntryRead(BaseModel):
    id: str
    type: AuditType
    action: str = Field(
        description="rejected_at_import | stopped | skipped_at_claim | listed | held | added | removed "
        "| refused"
    )
    rule: str | None = Field(description="the rule applied, e.g. do_not_call_list, advertising_frequency")
    citation: str | None = Field(
        description="where the rule comes from, e.g. Decree 91/2020/ND-CP, Art. 13, cl. 5"
    )
    phone_number: str | None
    campaign_id: str | None
    contact_id: str | None
    until: str | None = Field(description="a hold's end (ISO 8601)")
    detail: str | None
    created_at: str


class AuditPage(BaseModel):
    entries: list[AuditEntryRead]
    total_count: int
