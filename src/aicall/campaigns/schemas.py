"""Request bodies of the campaign API (camelCase or snake_case accepted)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from aicall.jsontypes import JsonModel


class _Body(JsonModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class CampaignCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    scenario_id: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    start: bool = False


class CampaignUpdate(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    scenario_id: str | None = None
    settings: dict[str, Any] | None = None


class ContactCancel(_Body):
    reason: str | None = None
