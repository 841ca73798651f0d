"""Balance movements. Every change is a conditional UPDATE, so concurrent calls in several
processes can never take the balance below zero."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from aicall.accounts.models import Account, LedgerEntry
from aicall.clock import utc_now
from aicall.ids import object_id


def available(*, session: Session, account_id: str) -> int:
    row = session.execute(select(Account.balance, Account.reserved).where(Account.id == account_id)).one()
    return int(row.balance - row.reserved)


def summary(*, session: Session, account_id: str) -> dict[str, Any]:
    """The balance as `GET /balance` and `aicall balance show` give it (whole đồng)."""
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account {account_id}")
    return {
        "account_id": account.id,
        "balance": account.balance,
        "reserved": account.reserved,
        "available": account.balance - account.reserved,
        "currency": "VND",
        "price_per_minute": account.price_per_minute,
        "billing_increment": account.billing_increment,
        "charge_unanswered": account.charge_unanswered,
    }


def reserve(*, session: Session, account_id: str, amount: int) -> bool:
    """Hold `amount` for a call about to be dialled; False if the balance cannot cover it."""
    if amount <= 0:
        return True
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.balance - Account.reserved >= amount)
        .values(reserved=Account.reserved + amount)
    )
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed as Result.
    return bool(cast("CursorResult[Any]", result).rowcount)


def release(*, session: Session, account_id: str, amount: int) -> None:
    if amount > 0:
        session.execute(
            update(Account).where(Account.id == account_id).values(reserved=Account.reserved - amount)
        )


@dataclass(frozen=True, slots=True)
class Settlement:
    """One call's end: its reservation released and its real cost (≤ reserved) charged."""

    account_id: str
    reserved: int
    charge: int
    attempt_id: str | None  # None: release only, no ledger entry


def settle_many(*, session: Session, settlements: Sequence[Settlement]) -> None:
    """`settle` for a batch of calls: one UPDATE and one read per account, not per call.

    Each charge still gets its own ledger entry (unique per attempt: charged once), with the
    balance after it, in the order given."""
    per_account: dict[str, list[Settlement]] = {}
    for item in settlements:
        charge = max(0, min(item.charge, item.reserved)) if item.reserved > 0 else max(0, item.charge)
        per_account.setdefault(item.account_id, []).append(
            Settlement(item.account_id, item.reserved, charge, item.attempt_id)
        )
    entries: list[dict[str, object]] = []
    for account_id in sorted(per_account):  # a fixed order: two batches cannot deadlock
        items = per_account[account_id]
        reserved = sum(i.reserved for i in items)
        charged = sum(i.charge for i in items)
        session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(reserved=Account.reserved - reserved, balance=Account.balance - charged)
        )
        running = int(session.scalar(select(Account.balance).where(Account.id == account_id)) or 0) + charged
        for item in items:
            if item.charge <= 0 or item.attempt_id is None:
                continue
            running -= item.charge
            entries.append(
                {
                    "id": object_id(),
                    "account_id": account_id,
                    "kind": "charge",
                    "amount": -item.charge,
                    "balance_after": running,
                    "attempt_id": item.attempt_id,
                    "note": None,
                    "created_at": utc_now(),
                }
            )
    if entries:
        session.execute(insert(LedgerEntry), entries)


def topup(*, session: Session, account_id: str, amount: int, note: str | None = None) -> int:
    """Add prepaid credit; return the new balance."""
    if amount <= 0:
        raise ValueError("a top-up amount must be a positive whole number of đồng")
    session.execute(update(Account).where(Account.id == account_id).values(balance=Account.balance + amount))
    balance = int(session.scalar(select(Account.balance).where(Account.id == account_id)) or 0)
    session.add(
        LedgerEntry(account_id=account_id, kind="topup", amount=amount, balance_after=balance, note=note)
    )
    return balance


def entries(*, session: Session, account_id: str, limit: int, offset: int) -> Sequence[LedgerEntry]:
    """The account's balance movements, newest first."""
    return session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
