"""Campaigns and the contacts they call."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, JSONType, UTCDateTime
from aicall.ids import object_id


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


CLOSED_CAMPAIGN_STATUSES = frozenset({CampaignStatus.COMPLETED, CampaignStatus.CANCELLED})


class ContactStatus(StrEnum):
    PENDING = "pending"  # waiting for its first dial
    CALLING = "calling"  # claimed by a dialer, call in progress
    RETRY_WAIT = "retry_wait"  # not reached; due again at next_attempt_at
    DONE = "done"  # reached: the scenario ran
    FAILED = "failed"  # never reached, attempts exhausted (or an outcome that is not retried)
    CANCELLED = "cancelled"
    DO_NOT_CALL = "do_not_call"


FINAL_CONTACT_STATUSES = frozenset(
    {ContactStatus.DONE, ContactStatus.FAILED, ContactStatus.CANCELLED, ContactStatus.DO_NOT_CALL}
)
# Waiting to be dialled (once their time comes): what a claim takes and a closing cancels.
DUE_STATUSES = (ContactStatus.PENDING.value, ContactStatus.RETRY_WAIT.value)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT.value)
    scenario_id: Mapped[str | None] = mapped_column(String(24), default=None, index=True)
    # Dialling settings (window, limits, retry policy): one validated JSON document, see schemas.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    pause_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set once archived (`lifecycle.archive`): hidden from lists, contacts' tag values dropped.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # Duplicate protection that holds under concurrent imports: `dedupe_key` is the phone
        # number when the campaign refuses duplicates, NULL (never equal) when it allows them.
        UniqueConstraint("campaign_id", "dedupe_key", name="uq_contacts_campaign_dedupe"),
        # The dialer's hot query: due contacts of one campaign.
        Index("ix_contacts_due", "campaign_id", "status", "next_attempt_at"),
        # Only contacts still to call: on PostgreSQL the claim query otherwise read every
        # contact of a large campaign (45 ms per claim at 100,000 pending, bench_engine).
        Index(
            "ix_contacts_open_due",
            "campaign_id",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'retry_wait')"),
            sqlite_where=text("status IN ('pending', 'retry_wait')"),
        ),
        Index("ix_contacts_campaign_phone", "campaign_id", "phone"),
        # The dashboard's contacts table pages by keyset in import order (campaigns.contact_pages):
        # all contacts, or those of one status.
        Index("ix_contacts_campaign_created", "campaign_id", "created_at", "id"),
        Index("ix_contacts_campaign_status_created", "campaign_id", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    application_id: Mapped[str] = mapped_column(String(24), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    dedupe_key: Mapped[str | None] = mapped_column(String(20), default=None)
    tags: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ContactStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    # Why the calling rules refused or hold this contact, and which rule (compliance.rules:
    # do_not_call / do_not_call_list, opt_out / stop_on_refusal, frequency_limit /
    # advertising_frequency); written only by the dialer's result store and claim.
    compliance_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    compliance_rule: Mapped[str | None] = mapped_column(String(32), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
