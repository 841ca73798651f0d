"""Balance movements. Every change is a conditional UPDATE, so concurrent calls in several
processes can never take the balance below zero."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from aicall.accounts.models import Account, CreditBlock, LedgerEntry
from aicall.clock import utc_now
from aicall.ids import object_id


def available(*, session: Session, account_id: str) -> int:
    """Credit new calls may still hold (whole đồng): the balance less what is charged in dialers'
    blocks and what calls in flight hold. Credit a dialer holds but no call uses counts as
    available: it goes back to the account when that dialer has nothing to dial."""
    return summary_of(session=session, account_id=account_id).available


@dataclass(frozen=True, slots=True)
class Figures:
    """An account's money as people see it (whole đồng), credit blocks included.

    `balance`: top-ups less every charge, stored in a block or not. `reserved`: the worst cases
    of calls in flight. `available` = balance - reserved: what new calls may hold."""

    balance: int
    reserved: int

    @property
    def available(self) -> int:
        return self.balance - self.reserved


def summary_of(*, session: Session, account_id: str) -> Figures:
    """`Figures` of one account: two reads (the account row and the sum of its blocks).

    Raises LookupError for an unknown account."""
    row = session.execute(
        select(Account.balance, Account.reserved).where(Account.id == account_id)
    ).one_or_none()
    if row is None:
        raise LookupError(f"no account {account_id}")
    amount, charged, in_flight = session.execute(
        select(
            func.coalesce(func.sum(CreditBlock.amount), 0),
            func.coalesce(func.sum(CreditBlock.charged), 0),
            func.coalesce(func.sum(CreditBlock.in_flight), 0),
        ).where(CreditBlock.account_id == account_id)
    ).one()
    # accounts.reserved is the blocks' amounts (plus nothing else); of a block, only what calls
    # in flight hold is shown as reserved, and what it charged is already off the balance.
    return Figures(
        balance=int(row.balance) - int(charged),
        reserved=int(row.reserved) - int(amount) + int(in_flight),
    )


def summary(*, session: Session, account_id: str) -> dict[str, Any]:
    """The balance as `GET /balance` and `aicall balance show` give it (whole đồng)."""
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account {account_id}")
    figures = summary_of(session=session, account_id=account_id)
    return {
        "account_id": account.id,
        "balance": figures.balance,
        "reserved": figures.reserved,
        "available": figures.available,
        "currency": "VND",
        "price_per_minute": account.price_per_minute,
        "billing_increment": account.billing_increment,
        "charge_unanswered": account.charge_unanswered,
    }


# --- credit blocks (issue 13) ------------------------------------------------------------------
#
# Every dialer used to move the account row twice per batch: a reservation at claim and a
# settlement at store. With several dialers the row serialised them (each holds its lock until
# commit). Now a dialer moves credit from the account into a block of its own in one conditional
# UPDATE, holds its calls' worst cases in the block, charges them there, and gives back what is
# left when it has nothing to dial, stops, or is found dead (dialer.recovery). Statements take
# the block row before the account row, as claims do, so no two writers wait on each other in
# opposite orders. Invariants (tests/integration/dialer/test_credit_blocks.py):
#   * accounts.reserved = Σ blocks.amount, and balance >= reserved: every take is conditional;
#   * per block, charged + in_flight <= amount (a CHECK constraint), so the balance people see,
#     balance - Σ charged, never goes below zero;
#   * the ledger's entries add up to that balance, and its charges to the attempts' costs.

_blocks = cast("Table", CreditBlock.__table__)  # a mapped class's table is a Table


def _block_of(session: Session, account_id: str, worker_id: str) -> Any:
    return session.execute(
        select(_blocks.c.id, _blocks.c.amount, _blocks.c.charged, _blocks.c.in_flight)
        .where(_blocks.c.account_id == account_id, _blocks.c.worker_id == worker_id)
        .with_for_update()
    ).one_or_none()


def _take(session: Session, account_id: str, need: int, spare: int, least: int) -> int:
    """Move `need` đồng of available credit into `accounts.reserved`, plus up to `spare` more but
    never more than half of what would be left: other dialers of the account must still find
    credit to take. Take less than `need` when that is all there is, but at least `least`, or
    nothing. Return what was moved."""
    free = int(
        session.scalar(
            select(Account.balance - Account.reserved).where(Account.id == account_id).with_for_update()
        )
        or 0
    )
    amount = min(need, free)
    amount += min(spare, (free - amount) // 2)
    if amount < least or amount <= 0 or not _reserve(session, account_id, amount):
        return 0
    return amount


def _reserve(session: Session, account_id: str, amount: int) -> bool:
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.balance - Account.reserved >= amount)
        .values(reserved=Account.reserved + amount)
    )
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed as Result.
    return bool(cast("CursorResult[Any]", result).rowcount)


def hold(
    *, session: Session, account_id: str, worker_id: str, per_call: int, calls: int, spare_calls: int
) -> int:
    """Hold `per_call` đồng (a call's worst case) for each of up to `calls` calls in the block of
    `worker_id`; return for how many the credit was there (0 to `calls`).

    What the block lacks is taken from the account's available balance (a read of the locked
    row and one conditional UPDATE) with room for up to `spare_calls` more calls, so most claims
    do not touch the account row; the room is at most half the credit left, so other dialers
    still find some. When the balance cannot cover every call, the calls it covers are held.
    """
    if calls <= 0:
        return 0
    if per_call <= 0:
        return calls  # free calls hold nothing
    block = _block_of(session, account_id, worker_id)
    spare = int(block.amount - block.charged - block.in_flight) if block is not None else 0
    need = per_call * calls
    taken = 0
    if spare < need:
        shortfall = need - spare
        taken = _take(
            session,
            account_id,
            need=shortfall,
            spare=per_call * spare_calls,
            least=per_call - spare if spare < per_call else 1,
        )
    covered = min(calls, (spare + taken) // per_call)
    held = covered * per_call
    if block is None:
        if taken or held:
            session.execute(
                insert(_blocks).values(
                    id=object_id(),
                    account_id=account_id,
                    worker_id=worker_id,
                    amount=taken,
                    charged=0,
                    in_flight=held,
                    created_at=utc_now(),
                )
            )
    elif taken or held:
        session.execute(
            update(_blocks)
            .where(_blocks.c.id == block.id)
            .values(amount=_blocks.c.amount + taken, in_flight=_blocks.c.in_flight + held)
        )
    return covered


def unhold(*, session: Session, account_id: str, worker_id: str, amount: int) -> None:
    """Give back to the block what `hold` held for calls that were not dialled after all."""
    if amount > 0:
        session.execute(
            update(_blocks)
            .where(_blocks.c.account_id == account_id, _blocks.c.worker_id == worker_id)
            .values(in_flight=_blocks.c.in_flight - amount)
        )


def fold(*, session: Session, account_id: str, worker_id: str) -> bool:
    """Settle the block of `worker_id` with the account: its charges come off the balance and
    the credit no call in flight holds goes back to available. The block keeps only what calls
    in flight hold, and is deleted when none is; return True when it is gone (or was never)."""
    block = _block_of(session, account_id, worker_id)
    if block is None:
        return True
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(
            balance=Account.balance - int(block.charged),
            reserved=Account.reserved - int(block.amount - block.in_flight),
        )
    )
    if block.in_flight == 0:
        session.execute(delete(_blocks).where(_blocks.c.id == block.id))
        return True
    session.execute(update(_blocks).where(_blocks.c.id == block.id).values(amount=block.in_flight, charged=0))
    return False


def release_calls(*, session: Session, account_id: str, worker_id: str, amount: int) -> bool:
    """Release what calls that will never be charged held in `worker_id`'s block (recovery: the
    calls of a dead dialer); False when that dialer has no block for the account."""
    if amount <= 0:
        return True
    result = session.execute(
        update(_blocks)
        .where(_blocks.c.account_id == account_id, _blocks.c.worker_id == worker_id)
        .values(in_flight=_blocks.c.in_flight - amount)
    )
    return bool(cast("CursorResult[Any]", result).rowcount)


def blocks_of(*, session: Session, worker_id: str) -> list[str]:
    """The accounts whose credit `worker_id` holds in a block."""
    return list(session.scalars(select(_blocks.c.account_id).where(_blocks.c.worker_id == worker_id)))


def blocks_not_of(*, session: Session, workers: Any) -> list[tuple[str, str]]:
    """(account, worker) of the blocks held by dialers not in `workers` (a subquery of ids)."""
    rows = session.execute(
        select(_blocks.c.account_id, _blocks.c.worker_id).where(_blocks.c.worker_id.not_in(workers))
    ).all()
    return sorted((str(account_id), str(worker_id)) for account_id, worker_id in rows)


def spare_elsewhere(*, session: Session, account_id: str, worker_id: str) -> int:
    """The most credit one other dialer's block of the account holds with no call on it."""
    return int(
        session.scalar(
            select(func.max(_blocks.c.amount - _blocks.c.charged - _blocks.c.in_flight)).where(
                _blocks.c.account_id == account_id, _blocks.c.worker_id != worker_id
            )
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    """One call's end: its hold released and its real cost (≤ held) charged."""

    account_id: str
    reserved: int
    charge: int
    attempt_id: str | None  # None: release only, no ledger entry


def settle_many(*, session: Session, worker_id: str, settlements: Sequence[Settlement]) -> None:
    """Settle a batch of calls against the block of `worker_id` that holds them: per account
    one UPDATE of that block (the account row is not touched) and one read for the ledger.

    Each charge gets its own ledger entry (unique per attempt: charged once), with the balance
    after it, in the order given. That balance is the one people see (top-ups less every
    charge committed, in blocks or not). Several dialers store at once on PostgreSQL, each
    seeing the others' committed batches only, so the `balance_after` of entries committed at
    the same moment by two dialers may each leave out the other's; amounts are always exact.

    Raises LookupError when the dialer holds no block for an account it settles (its calls
    were taken over by recovery, which released their holds)."""
    per_account: dict[str, list[Settlement]] = {}
    for item in settlements:
        # Never more than the call held: the block cannot pay what it did not set aside.
        charge = max(0, min(item.charge, item.reserved))
        per_account.setdefault(item.account_id, []).append(
            Settlement(item.account_id, item.reserved, charge, item.attempt_id)
        )
    entries: list[dict[str, object]] = []
    for account_id in sorted(per_account):  # a fixed order: two batches cannot deadlock
        items = per_account[account_id]
        held = sum(i.reserved for i in items)
        charged = sum(i.charge for i in items)
        if held:
            result = session.execute(
                update(_blocks)
                .where(_blocks.c.account_id == account_id, _blocks.c.worker_id == worker_id)
                .values(charged=_blocks.c.charged + charged, in_flight=_blocks.c.in_flight - held)
            )
            if not cast("CursorResult[Any]", result).rowcount:
                raise LookupError(f"dialer {worker_id} holds no credit block for account {account_id}")
        if not charged:
            continue
        running = _balance_seen(session, account_id) + charged
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


def _balance_seen(session: Session, account_id: str) -> int:
    """The balance people see: the account's, less what the blocks charged and did not fold."""
    in_blocks = (
        select(func.coalesce(func.sum(_blocks.c.charged), 0))
        .where(_blocks.c.account_id == account_id)
        .scalar_subquery()
    )
    return int(session.scalar(select(Account.balance - in_blocks).where(Account.id == account_id)) or 0)


# The most one top-up may add, in đồng: a guard against a typo's extra zeros, far above any real
# top-up and far below the signed 64-bit columns (accounts.balance, ledger amounts: 9.2e18), so
# even a million top-ups at the cap cannot overflow them. The CLI and the dashboard share it.
MAX_TOPUP = 1_000_000_000_000


def topup(*, session: Session, account_id: str, amount: int, note: str | None = None) -> int:
    """Add prepaid credit (`amount` whole đồng, 1..MAX_TOPUP); return the new balance.

    Raises ValueError (its message says the allowed range) for an amount outside it, before
    anything is written; a larger int would not even fit the database's BIGINT."""
    if amount <= 0:
        raise ValueError("a top-up amount must be a positive whole number of đồng")
    if amount > MAX_TOPUP:
        raise ValueError(f"a top-up may add at most {MAX_TOPUP:,} đồng at once (got {amount:,})")
    session.execute(update(Account).where(Account.id == account_id).values(balance=Account.balance + amount))
    balance = _balance_seen(session, account_id)
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
