"""Do-Not-Call entries and the audit log (Decree 91/2020/ND-CP Art. 13)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, UTCDateTime
from aicall.ids import object_id

__all__ = ["AdvertisingCall", "AuditEntry", "DncEntry"]


class DncEntry(Base):
    """One number an account must never call (Art. 13 cl. 1), with when, why and who listed it.

    The key is (account, number): a number is listed once, a second add changes nothing, and the
    claim's look-up of a batch of numbers reads the primary key alone.
    """

    __tablename__ = "dnc_entries"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    source: Mapped[str] = mapped_column(String(24))  # rules.DncSource
    reason: Mapped[str | None] = mapped_column(String(200), default=None)  # the customer's words
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AuditEntry(Base):
    """What the rules did to whom, kept for the customer to show a regulator."""

    __tablename__ = "compliance_audit"
    __table_args__ = (
        # The audit API's pages, newest first, of every type or of one.
        Index("ix_compliance_audit_account_created", "account_id", "created_at", "id"),
        Index("ix_compliance_audit_account_type_created", "account_id", "type", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))  # rules.AuditType
    action: Mapped[str] = mapped_column(String(32))  # what the platform did: rejected, stopped, held...
    rule: Mapped[str | None] = mapped_column(String(32), default=None)  # rules.Rule
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    campaign_id: Mapped[str | None] = mapped_column(String(24), default=None)
    contact_id: Mapped[str | None] = mapped_column(String(36), default=None)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # a hold's end
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AdvertisingCall(Base):
    """When an advertising call last started to a number, per account (Decree 91/2020/ND-CP
    Art. 13 cl. 5: one advertising call per number per 24 hours, whatever the campaign).

    Taken by the claim with a conditional upsert, so two dialers claiming the same number for
    two campaigns at once cannot both win; moved to the call's real start by the result store.
    """

    __tablename__ = "advertising_calls"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_call_at: Mapped[datetime] = mapped_column(UTCDateTime)
