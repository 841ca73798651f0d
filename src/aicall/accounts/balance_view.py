"""An account's balance and ledger as its people see them (the dashboard).

Reads only: balances change through `accounts.ledger` (and top-ups through `accounts.flows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts import ledger
from aicall.accounts.models import Account, LedgerEntry
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact
from aicall.db.keyset import Cursor, Page, newest_first

__all__ = ["BalanceSummary", "LedgerRow", "ledger_page", "summary"]


@dataclass(frozen=True, slots=True)
class BalanceSummary:
    """Whole đồng. `available` is what new calls may reserve: balance minus calls in flight."""

    balance: int
    reserved: int
    price_per_minute: int
    billing_increment: int  # seconds
    charge_unanswered: bool

    @property
    def available(self) -> int:
        return self.balance - self.reserved


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One balance movement; a charge names the call it paid for (when the call still exists)."""

    id: str
    kind: str  # topup | charge | adjustment
    amount: int  # signed: top-ups positive, charges negative
    balance_after: int
    note: str | None
    created_at: datetime
    attempt_id: str | None
    contact_id: str | None
    phone: str | None


def summary(*, session: Session, account_id: str) -> BalanceSummary | None:
    """The account's balance, reservations and price, or None for an unknown account."""
    account = session.get(Account, account_id)
    if account is None:
        return None
    # Credit blocks held by dialers included (accounts.ledger): charged calls off the balance,
    # only calls in flight reserved.
    figures = ledger.summary_of(session=session, account_id=account_id)
    return BalanceSummary(
        balance=figures.balance,
        reserved=figures.reserved,
        price_per_minute=account.price_per_minute,
        billing_increment=account.billing_increment,
        charge_unanswered=account.charge_unanswered,
    )


def ledger_page(
    *, session: Session, account_id: str, before: Cursor | None = None, limit: int = 50
) -> Page[LedgerRow]:
    """The account's balance movements, newest first, one keyset page after `before`."""
    query = (
        select(LedgerEntry, CallAttempt.contact_id, Contact.phone)
        .outerjoin(CallAttempt, CallAttempt.id == LedgerEntry.attempt_id)
        .outerjoin(Contact, Contact.id == CallAttempt.contact_id)
        .where(LedgerEntry.account_id == account_id)
    )
    page = newest_first(
        session,
        query,
        created_at=LedgerEntry.created_at,
        id_column=LedgerEntry.id,
        before=before,
        limit=limit,
        cursor_of=lambda row: Cursor(row[0].created_at, row[0].id),
    )
    rows = [
        LedgerRow(
            id=entry.id,
            kind=entry.kind,
            amount=entry.amount,
            balance_after=entry.balance_after,
            note=entry.note,
            created_at=entry.created_at,
            attempt_id=entry.attempt_id,
            contact_id=contact_id,
            phone=phone,
        )
        for entry, contact_id, phone in page.rows
    ]
    return Page(rows, page.next)
