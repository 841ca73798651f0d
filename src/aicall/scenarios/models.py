"""Scenarios, their actions, and the approved versions calls run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, JSONType, UTCDateTime
from aicall.ids import object_id


class ScenarioStatus(StrEnum):
    DRAFT = "DRAFT"  # being edited
    REVIEWING = "REVIEWING"  # submitted, waiting for approval
    ACTIVE = "ACTIVE"  # approved: its published version may call out
    REJECT = "REJECT"  # not approved (`reject_reason` says why)


class Scenario(Base):
    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(16), default=ScenarioStatus.DRAFT.value, index=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # [{name, key, reading_type}]: the key form is derived from the name once, here.
    personalized_fields: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    # {voice_code, speed} and {pool_hotline_key, max_concurrent, ..., re_call: {...}}: the public
    # shapes of CONTRACT §3 in snake_case, so campaigns read `call_config` as documented.
    tts_config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    call_config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dialect: Mapped[str] = mapped_column(String(8), default="north")
    root_action_id: Mapped[str | None] = mapped_column(String(24), default=None)
    # Bumped by every edit of the scenario or one of its actions.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The version calls run: set when a version is approved; None until the first approval.
    published_version: Mapped[int | None] = mapped_column(Integer, default=None)
    reject_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The campaign `POST /scenarios/{id}/resume` adds contacts to (created on first use).
    default_campaign_id: Mapped[str | None] = mapped_column(String(24), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ScenarioAction(Base):
    __tablename__ = "scenario_actions"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # creation order, for stable listings
    type: Mapped[str] = mapped_column(String(24))
    label: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(16), default="TEXT")
    content_text: Mapped[str] = mapped_column(Text, default="")
    # OUTBOUND_CALL (its "answered" output) and PLAY_MESSAGE: where to go next.
    next_action_id: Mapped[str | None] = mapped_column(String(24), default=None)
    # INTERACTIVE_MENU: [{key_pad_match, next_action_id}] and how keys are collected.
    responses: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    response_type: Mapped[str] = mapped_column(String(16), default="KEYPAD")
    timeout: Mapped[float] = mapped_column(Float, default=5.0)
    max_retries: Mapped[int] = mapped_column(Integer, default=2)
    no_input_action_id: Mapped[str | None] = mapped_column(String(24), default=None)
    invalid_action_id: Mapped[str | None] = mapped_column(String(24), default=None)
    # TRANSFER_CALL
    transfer_to: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ScenarioVersion(Base):
    """An approved version, frozen: the `Script` calls run, as JSON (see `snapshot`)."""

    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "version", name="uq_scenario_versions_version"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    script: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
