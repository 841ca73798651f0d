"""Credit blocks (issue 13): each dialer holds its calls' credit in a block of its own, so results
are stored without updating the account row every dialer shares. The money must add up at every
step, on SQLite and PostgreSQL: the balance never below zero, the account's reservations equal
to the blocks, the ledger equal to the balance people see and to the costs of the calls."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from aicall.accounts import balance_view, flows, ledger
from aicall.accounts.models import Account, CreditBlock, LedgerEntry
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Campaign
from aicall.clock import utc_now
from aicall.dialer import recovery
from tests.integration.dialer.support import NO_RETRY, add_contacts, make_dialer, prepare_campaign


def check_money(db, account_id: str, topped_up: int) -> ledger.Figures:
    """Every invariant of the account's money, read in one transaction; the figures shown."""
    with db.reading() as session:
        account = session.get(Account, account_id)
        blocks = session.scalars(select(CreditBlock).where(CreditBlock.account_id == account_id)).all()
        entries = int(
            session.scalar(select(func.sum(LedgerEntry.amount)).where(LedgerEntry.account_id == account_id))
            or 0
        )
        charges = -int(
            session.scalar(
                select(func.sum(LedgerEntry.amount)).where(
                    LedgerEntry.account_id == account_id, LedgerEntry.kind == "charge"
                )
            )
            or 0
        )
        costs = int(
            session.scalar(select(func.sum(CallAttempt.cost)).where(CallAttempt.account_id == account_id))
            or 0
        )
        figures = ledger.summary_of(session=session, account_id=account_id)
        api = ledger.summary(session=session, account_id=account_id)  # GET /balance, aicall balance show
        page = balance_view.summary(session=session, account_id=account_id)  # the dashboard
    assert account is not None and page is not None
    # The API and the dashboard show the same figures, blocks counted in.
    assert (api["balance"], api["reserved"], api["available"]) == (
        figures.balance,
        figures.reserved,
        figures.available,
    )
    assert (page.balance, page.reserved, page.available) == (
        figures.balance,
        figures.reserved,
        figures.available,
    )
    assert account.balance >= account.reserved >= 0
    assert account.reserved == sum(b.amount for b in blocks)
    assert all(b.charged >= 0 and b.in_flight >= 0 and b.charged + b.in_flight <= b.amount for b in blocks)
    assert figures.balance >= 0 and figures.available >= 0
    assert entries == figures.balance == topped_up - charges  # the ledger is the balance
    assert charges == costs  # and its charges are the calls' costs
    return figures


async def test_two_dialers_share_a_small_balance_and_the_money_adds_up_at_every_pass(db, tenant, tmp_path):
    # Each call holds its worst case (60 s at 1000 đ/min = 1000 đ) and is charged 100 đ (6 s).
    prepare_campaign(db, tenant, balance=6_000, max_duration=60, max_concurrent=4, retry=NO_RETRY)
    add_contacts(db, tenant, [f"+8491234{n:03d}1" for n in range(80)])
    first = make_dialer(db, tmp_path / "a", worker_id="dialer-a")
    second = make_dialer(db, tmp_path / "b", worker_id="dialer-b")
    for dialer in (first, second):
        await dialer.router.start()
    try:
        for _ in range(40):
            started = 0
            for dialer in (first, second):
                started += await dialer.run_once()
                check_money(db, tenant.account_id, 6_000)
                await dialer.drain()
                check_money(db, tenant.account_id, 6_000)
            if not started:
                break
    finally:
        for dialer in (first, second):
            await dialer.router.close()
    figures = check_money(db, tenant.account_id, 6_000)
    with db.reading() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        attempts = session.scalar(select(func.count()).select_from(CallAttempt))
        blocks = session.scalar(select(func.count()).select_from(CreditBlock))
        by_worker = set(session.scalars(select(CallAttempt.worker_id)))
    assert campaign is not None and campaign.pause_reason == "insufficient_balance"
    assert by_worker == {"dialer-a", "dialer-b"}
    # Paused once less than one call's worst case was left, not before: every 100 đ was usable.
    assert figures.available < 1_000 and attempts == (6_000 - figures.balance) // 100
    assert blocks == 0 and figures.reserved == 0  # idle dialers gave their blocks back

    # A top-up resumes the campaign; both dialers go on, and the money still adds up.
    with db.transaction() as session:
        flows.topup(session=session, account_id=tenant.account_id, amount=2_000)
    for dialer in (first, second):
        await dialer.router.start()
    try:
        for dialer in (first, second):
            await dialer.run_once()
            check_money(db, tenant.account_id, 8_000)
            await dialer.drain()
    finally:
        for dialer in (first, second):
            await dialer.router.close()
    figures = check_money(db, tenant.account_id, 8_000)
    with db.reading() as session:
        resumed = session.scalar(select(func.count()).select_from(CallAttempt))
    assert resumed is not None and attempts is not None and resumed > attempts


async def test_a_stopped_dialer_gives_its_block_back(db, tenant, tmp_path):
    prepare_campaign(db, tenant, balance=10_000_000, max_duration=60, retry=NO_RETRY)
    add_contacts(db, tenant, [f"+8491234{n:03d}1" for n in range(5)])
    dialer = make_dialer(db, tmp_path, worker_id="dialer-a")
    await dialer.router.start()
    assert await dialer.run_once() == 5
    await dialer.drain()
    with db.reading() as session:
        account = session.get(Account, tenant.account_id)
        assert account is not None and account.reserved > 0  # the block holds spare credit
        assert account.balance == 10_000_000  # the charges sit in the block
    shown = check_money(db, tenant.account_id, 10_000_000)
    assert shown.balance == 10_000_000 - 500 and shown.reserved == 0
    await dialer.stop(grace=0)
    with db.reading() as session:
        account = session.get(Account, tenant.account_id)
        assert session.scalar(select(func.count()).select_from(CreditBlock)) == 0
    assert account is not None and (account.balance, account.reserved) == (10_000_000 - 500, 0)
    check_money(db, tenant.account_id, 10_000_000)


async def test_a_dead_dialers_block_and_its_lost_calls_are_returned_by_recovery(db, tenant, tmp_path):
    prepare_campaign(db, tenant, balance=10_000_000, max_duration=60, retry=NO_RETRY)
    add_contacts(db, tenant, [f"+8491234{n:03d}1" for n in range(4)])
    dead = make_dialer(db, tmp_path, worker_id="dialer-dead")
    await dead.router.start()
    assert await dead.run_once() == 4
    for task in list(dead._calls):  # killed before any call ended: nothing was stored
        task.cancel()
    await asyncio.gather(*dead._calls, return_exceptions=True)
    await dead.router.close()
    shown = check_money(db, tenant.account_id, 10_000_000)
    assert shown.reserved == 4 * 1_000  # the four calls' worst cases, held in the dead block
    later = utc_now() + timedelta(minutes=1)
    with db.transaction() as session:
        recovery.heartbeat(session, "dialer-alive", later)
        recovery.reconcile(session, now=later, stale_after=timedelta(seconds=10), base_url="http://x")
    with db.reading() as session:
        account = session.get(Account, tenant.account_id)
        outcomes = set(session.scalars(select(CallAttempt.outcome)))
        assert session.scalar(select(func.count()).select_from(CreditBlock)) == 0
    assert outcomes == {"failed"}
    assert account is not None and (account.balance, account.reserved) == (10_000_000, 0)  # nothing charged
    check_money(db, tenant.account_id, 10_000_000)


def test_the_database_refuses_a_block_paying_out_more_than_it_holds(db, tenant):
    with db.transaction() as session:
        ledger.topup(session=session, account_id=tenant.account_id, amount=5_000)
        assert (
            ledger.hold(
                session=session,
                account_id=tenant.account_id,
                worker_id="w",
                per_call=1_000,
                calls=2,
                spare_calls=0,
            )
            == 2
        )
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(update(CreditBlock).values(charged=CreditBlock.charged + 1))
    check_money(db, tenant.account_id, 5_000)


def test_a_hold_never_takes_more_than_the_balance_and_leaves_room_for_other_dialers(db, tenant):
    with db.transaction() as session:
        ledger.topup(session=session, account_id=tenant.account_id, amount=10_500)
        # Asked for 20 calls of 1000 đ: the balance covers 10; nothing more is taken.
        assert (
            ledger.hold(
                session=session,
                account_id=tenant.account_id,
                worker_id="a",
                per_call=1_000,
                calls=20,
                spare_calls=5,
            )
            == 10
        )
        assert (
            ledger.hold(
                session=session,
                account_id=tenant.account_id,
                worker_id="b",
                per_call=1_000,
                calls=1,
                spare_calls=5,
            )
            == 0
        )
    with db.transaction() as session:
        ledger.topup(session=session, account_id=tenant.account_id, amount=20_000)
        # One call for "b", with room for 50 more, but at most half of what is left for others.
        assert (
            ledger.hold(
                session=session,
                account_id=tenant.account_id,
                worker_id="b",
                per_call=1_000,
                calls=1,
                spare_calls=50,
            )
            == 1
        )
    with db.reading() as session:
        taken = session.scalar(select(CreditBlock.amount).where(CreditBlock.worker_id == "b"))
    assert taken == 1_000 + (20_000 - 1_000) // 2  # 20,000 was free: "a" holds 10,500
    check_money(db, tenant.account_id, 30_500)
