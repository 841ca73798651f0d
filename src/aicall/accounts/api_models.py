"""The balance API's answers as the OpenAPI document shows them (built as dicts by
`accounts.ledger`; Schemathesis checks the two agree)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["BalanceRead", "LedgerEntryRead", "LedgerPage"]


class BalanceRead(BaseModel):
    """Amounts in whole đồng."""

    account_id: str
    balance: int
    reserved: int = Field(description="held for calls in flight")
    available: int = Field(description="balance - reserved")
    currency: str = Field(description="VND")
    price_per_minute: int
    billing_increment: int = Field(description="seconds")
    charge_unanswered: bool


class LedgerEntryRead(BaseModel):
    id: str
    kind: str = Field(description="topup, charge or adjustment")
    amount: int = Field(description="signed: top-ups positive, charges negative")
    balance_after: int
    attempt_id: str | None = Field(description="the call charged")
    note: str | None
    created_at: datetime


class LedgerPage(BaseModel):
    entries: list[LedgerEntryRead]
