"""One dial of one contact, from claim to result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, JSONType, UTCDateTime
from aicall.ids import object_id


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"  # claimed by a dialer; the call may be live
    FINISHED = "finished"


class CallAttempt(Base):
    __tablename__ = "call_attempts"
    __table_args__ = (
        Index("ix_call_attempts_contact", "contact_id", "number"),
        Index("ix_call_attempts_live", "status", "lease_until"),
        Index("ix_call_attempts_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    campaign_id: Mapped[str] = mapped_column(String(24))
    account_id: Mapped[str] = mapped_column(String(24))
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first dial of the contact
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.IN_PROGRESS.value)
    worker_id: Mapped[str] = mapped_column(String(64))
    # Past this moment a live attempt can only belong to a dead worker (see dialer.recovery).
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    hotline: Mapped[str | None] = mapped_column(String(20), default=None)
    trunk_id: Mapped[str | None] = mapped_column(String(24), default=None)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    sip_code: Mapped[int | None] = mapped_column(Integer, default=None)
    sip_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    end_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    billable_seconds: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    keys_pressed: Mapped[str] = mapped_column(String(200), default="")
    # The callee pressed the scenario's opt-out key: the number went on the Do-Not-Call list.
    opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    path: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    recording_path: Mapped[str | None] = mapped_column(Text, default=None)
    scenario_version: Mapped[int | None] = mapped_column(Integer, default=None)
    # Answering-machine detection (dialer/amd_screen.py): verdict, reason, decided_after (seconds
    # of the callee's audio), message_left. None: the campaign had detection off.
    amd: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
