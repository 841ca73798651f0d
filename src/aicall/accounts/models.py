"""Accounts (customers, with a prepaid balance) and their applications (API keys)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, JSONType, UTCDateTime
from aicall.ids import object_id


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    name: Mapped[str] = mapped_column(String(200))
    # Money is whole đồng (VND has no minor unit): integers, never floats.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)  # held for calls in flight
    price_per_minute: Mapped[int] = mapped_column(Integer, default=1000)
    billing_increment: Mapped[int] = mapped_column(Integer, default=6)  # seconds
    charge_unanswered: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_approve_scenarios: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    api_key: Mapped[str] = mapped_column(String(64), unique=True)
    api_secret_encrypted: Mapped[str] = mapped_column(Text)
    webhook_url: Mapped[str | None] = mapped_column(Text, default=None)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    webhook_events: Mapped[list[str] | None] = mapped_column(JSONType, default=None)  # None: all
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class LedgerEntry(Base):
    """One movement of an account's balance. `attempt_id` is unique: a call is charged once."""

    __tablename__ = "ledger_entries"
    # The ledger's keyset pages, newest first (accounts.balance_view); also every look-up by account.
    __table_args__ = (Index("ix_ledger_entries_account_created", "account_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # topup | charge | adjustment
    amount: Mapped[int] = mapped_column(BigInteger)  # signed: top-ups positive, charges negative
    balance_after: Mapped[int] = mapped_column(BigInteger)
    attempt_id: Mapped[str | None] = mapped_column(String(24), unique=True, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class CreditBlock(Base):
    """Credit one dialer holds for one account's calls (issue 13), so that storing results does
    not update the account row every dialer shares. Whole đồng.

    `amount` was moved from the account's available balance into `accounts.reserved` when the
    block was taken (a conditional UPDATE: never more than was available). Calls the dialer
    claims hold their worst case in `in_flight`; a stored result moves its cost into `charged`
    and frees the rest. Folding the block (`accounts.ledger.fold`) takes `charged` off the
    balance and gives back what no call holds. So at every moment, per account:
    `accounts.reserved` = Σ `amount`, and the balance people see is `balance - Σ charged`.
    """

    __tablename__ = "credit_blocks"
    __table_args__ = (
        UniqueConstraint("account_id", "worker_id", name="uq_credit_blocks_account_worker"),
        # A block never pays out more than it holds: the database refuses it, whatever the code.
        CheckConstraint(
            "charged >= 0 AND in_flight >= 0 AND charged + in_flight <= amount", name="within_amount"
        ),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    worker_id: Mapped[str] = mapped_column(String(64))  # the dialer (dialer_workers.id) holding it
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    charged: Mapped[int] = mapped_column(BigInteger, default=0)  # costs of stored calls, not yet folded
    in_flight: Mapped[int] = mapped_column(BigInteger, default=0)  # worst cases of calls in flight
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
