"""Settling a batch of calls: one balance update per account, each charge entered once with the
balance after it, reservations released, charges capped at what was reserved."""

from __future__ import annotations

from sqlalchemy import select

from aicall.accounts import ledger
from aicall.accounts.models import Account, LedgerEntry
from tests.integration.support import make_tenant


def test_a_batch_settles_every_call_and_keeps_a_consistent_ledger(db):
    a, b = make_tenant(db, "A"), make_tenant(db, "B")
    with db.transaction() as session:
        for tenant in (a, b):
            ledger.topup(session=session, account_id=tenant.account_id, amount=10_000)
            assert ledger.reserve(session=session, account_id=tenant.account_id, amount=3_000)
    with db.transaction() as session:
        ledger.settle_many(
            session=session,
            settlements=[
                ledger.Settlement(a.account_id, 1_000, 300, "att-1"),
                ledger.Settlement(b.account_id, 1_000, 5_000, "att-2"),  # capped at its reservation
                ledger.Settlement(a.account_id, 1_000, 200, "att-3"),
                ledger.Settlement(a.account_id, 1_000, 0, "att-4"),  # free: no entry
                ledger.Settlement(b.account_id, 2_000, 0, None),  # a release only
            ],
        )
    with db.reading() as session:
        accounts = {x.id: x for x in session.scalars(select(Account))}
        entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "charge")))
    assert (accounts[a.account_id].balance, accounts[a.account_id].reserved) == (9_500, 0)
    assert (accounts[b.account_id].balance, accounts[b.account_id].reserved) == (9_000, 0)
    by_attempt = {e.attempt_id: (e.amount, e.balance_after) for e in entries}
    assert by_attempt == {"att-1": (-300, 9_700), "att-3": (-200, 9_500), "att-2": (-1_000, 9_000)}
