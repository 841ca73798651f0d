"""Settling a batch of calls against the dialer's credit block: one block update per account,
each charge entered once with the balance after it, holds released, charges capped at what was
held, and the account row untouched until the block is folded."""

from __future__ import annotations

from sqlalchemy import select

from aicall.accounts import ledger
from aicall.accounts.models import Account, CreditBlock, LedgerEntry
from tests.integration.support import make_tenant


def test_a_batch_settles_every_call_and_keeps_a_consistent_ledger(db):
    a, b = make_tenant(db, "A"), make_tenant(db, "B")
    with db.transaction() as session:
        for tenant in (a, b):
            ledger.topup(session=session, account_id=tenant.account_id, amount=10_000)
            held = ledger.hold(
                session=session,
                account_id=tenant.account_id,
                worker_id="w1",
                per_call=1_000,
                calls=3,
                spare_calls=0,
            )
            assert held == 3
    with db.transaction() as session:
        ledger.settle_many(
            session=session,
            worker_id="w1",
            settlements=[
                ledger.Settlement(a.account_id, 1_000, 300, "att-1"),
                ledger.Settlement(b.account_id, 1_000, 5_000, "att-2"),  # capped at its hold
                ledger.Settlement(a.account_id, 1_000, 200, "att-3"),
                ledger.Settlement(a.account_id, 1_000, 0, "att-4"),  # free: no entry
                ledger.Settlement(b.account_id, 2_000, 0, None),  # a release only
            ],
        )
    with db.reading() as session:
        accounts = {x.id: x for x in session.scalars(select(Account))}
        entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "charge")))
        seen = {t.account_id: ledger.summary_of(session=session, account_id=t.account_id) for t in (a, b)}
    # The shared row did not move when the batch was stored: the charges sit in the blocks.
    assert (accounts[a.account_id].balance, accounts[a.account_id].reserved) == (10_000, 3_000)
    assert (seen[a.account_id].balance, seen[a.account_id].reserved) == (9_500, 0)
    assert (seen[b.account_id].balance, seen[b.account_id].reserved) == (9_000, 0)
    by_attempt = {e.attempt_id: (e.amount, e.balance_after) for e in entries}
    assert by_attempt == {"att-1": (-300, 9_700), "att-3": (-200, 9_500), "att-2": (-1_000, 9_000)}
    with db.transaction() as session:
        for tenant in (a, b):
            assert ledger.fold(session=session, account_id=tenant.account_id, worker_id="w1")
    with db.reading() as session:
        accounts = {x.id: x for x in session.scalars(select(Account))}
        assert session.scalars(select(CreditBlock)).all() == []
    assert (accounts[a.account_id].balance, accounts[a.account_id].reserved) == (9_500, 0)
    assert (accounts[b.account_id].balance, accounts[b.account_id].reserved) == (9_000, 0)
