"""Balance movements. Every change is a conditional UPDATE, so concurrent calls in several
processes can never take the balance below zero."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from aicall.accounts.models import Account, LedgerEntry


def available(*, session: Session, account_id: str) -> int:
    row = session.execute(select(Account.balance, Account.reserved).where(Account.id == account_id)).one()
    return int(row.balance - row.reserved)


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


def settle(*, session: Session, account_id: str, reserved: int, charge: int, attempt_id: str) -> int:
    """Release the reservation and charge the real cost (≤ reserved) once; return the balance."""
    charge = max(0, min(charge, reserved)) if reserved > 0 else max(0, charge)
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(reserved=Account.reserved - reserved, balance=Account.balance - charge)
    )
    balance = int(session.scalar(select(Account.balance).where(Account.id == account_id)) or 0)
    if charge > 0:
        session.add(
            LedgerEntry(
                account_id=account_id,
                kind="charge",
                amount=-charge,
                balance_after=balance,
                attempt_id=attempt_id,
            )
        )
    return balance


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
