"""A top-up is bounded where the balance is written (accounts.ledger), so the CLI and the
dashboard refuse the same amounts: a 23-digit amount from `aicall balance topup` reached
SQLite and ended in an OverflowError traceback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aicall.accounts import ledger
from aicall.accounts.models import Account, LedgerEntry
from tests.integration.support import make_tenant


@pytest.mark.parametrize("amount", [0, -5, ledger.MAX_TOPUP + 1, 99999999999999999999999])
def test_a_top_up_outside_its_range_is_refused_and_writes_nothing(db, amount):
    tenant = make_tenant(db)
    with pytest.raises(ValueError, match="top-up"), db.transaction() as session:
        ledger.topup(session=session, account_id=tenant.account_id, amount=amount)
    with db.reading() as session:
        assert session.scalars(select(LedgerEntry)).all() == []
        assert session.get(Account, tenant.account_id).balance == 0


def test_a_top_up_of_the_cap_itself_is_accepted(db):
    tenant = make_tenant(db)
    with db.transaction() as session:
        balance = ledger.topup(session=session, account_id=tenant.account_id, amount=ledger.MAX_TOPUP)
    assert balance == ledger.MAX_TOPUP
