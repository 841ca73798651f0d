"""The dialer on the simulator: every path of the last-digit phones, limits, balance, retries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aicall.campaigns.models import Campaign
from aicall.clock import utc_now
from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
    snapshot,
)

DEMO_NUMBERS = [f"+8498765432{d}" for d in range(10)]


@pytest.fixture
async def dialer(db, tmp_path):
    d = make_dialer(db, tmp_path)
    await d.router.start()
    yield d
    await d.router.close()


async def test_every_last_digit_path_happens_and_is_recorded(db, tenant, dialer):
    prepare_campaign(db, tenant, retry=NO_RETRY)
    add_contacts(db, tenant, DEMO_NUMBERS)
    await run_until_idle(dialer)
    snap = snapshot(db, tenant)
    outcome = {phone[-1]: snap.attempts[phone][-1] for phone in DEMO_NUMBERS}
    assert {d: a.outcome for d, a in outcome.items()} == {
        "0": "answered",
        "1": "answered",
        "2": "answered",
        "3": "busy",
        "4": "no_answer",
        "5": "answered",
        "6": "rejected",
        "7": "answered",
        "8": "invalid_number",
        "9": "answered",
    }
    assert (
        outcome["1"].keys_pressed == "1"
        and outcome["9"].keys_pressed == "1"
        and outcome["0"].keys_pressed == "1"
    )
    assert outcome["2"].keys_pressed == "2"
    assert outcome["7"].keys_pressed == ""
    assert outcome["5"].end_reason == "remote_hangup"
    assert [step["action_id"] for step in outcome["1"].path if step["repeat"] == 0] == ["menu", "thanks"]
    assert [step["action_id"] for step in outcome["2"].path if step["repeat"] == 0] == ["menu", "bye"]
    assert outcome["1"].path[0]["text"].startswith("Xin chào Khách 1")
    assert outcome["3"].sip_code == 486 and outcome["8"].sip_code == 404 and outcome["6"].sip_code == 603
    statuses = {phone[-1]: c.status for phone, c in snap.contacts.items()}
    assert statuses == {
        "0": "done",
        "1": "done",
        "2": "done",
        "3": "failed",
        "4": "failed",
        "5": "done",
        "6": "failed",
        "7": "done",
        "8": "failed",
        "9": "done",
    }


async def test_answered_calls_are_charged_by_increment_and_unanswered_are_free(db, tenant, dialer):
    prepare_campaign(db, tenant, retry=NO_RETRY, max_duration=120)
    add_contacts(db, tenant, ["+84987654321", "+84987654323"])
    await run_until_idle(dialer)
    snap = snapshot(db, tenant)
    answered = snap.attempts["+84987654321"][0]
    busy = snap.attempts["+84987654323"][0]
    assert answered.duration > 0
    assert answered.billable_seconds % 6 == 0 and answered.billable_seconds >= answered.duration
    assert answered.cost == -(-answered.billable_seconds * 1000 // 60)
    assert busy.cost == 0 and busy.billable_seconds == 0
    assert snap.account.balance == 10_000_000 - answered.cost
    assert snap.account.reserved == 0


async def test_too_little_balance_pauses_the_campaign_and_keeps_contacts_pending(db, tenant, dialer):
    # Each call reserves its worst case (60 s at 1000 đ/min = 1000 đ) and is charged its real
    # length; once less than 1000 đ is free, dialling stops.
    prepare_campaign(db, tenant, balance=2500, max_duration=60, retry=NO_RETRY)
    phones = [f"+8491234{n:03d}1" for n in range(20)]
    add_contacts(db, tenant, phones)
    await run_until_idle(dialer)
    snap = snapshot(db, tenant)
    charged = sum(a.cost for attempts in snap.attempts.values() for a in attempts)
    assert snap.account.balance == 2500 - charged
    assert 0 <= snap.account.balance < 1000 and snap.account.reserved == 0
    pending = [c for c in snap.contacts.values() if c.status == "pending"]
    assert pending and len(pending) + len(snap.attempts) == 20
    with db.reading() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign.status == "paused" and campaign.pause_reason == "insufficient_balance"


async def test_busy_contact_waits_for_its_retry_time(db, tenant, dialer):
    prepare_campaign(db, tenant, retry={"busy": {"max_attempts": 2, "interval": 600}})
    add_contacts(db, tenant, ["+84987654323"])
    before = utc_now()
    await run_until_idle(dialer)
    snap = snapshot(db, tenant)
    contact = snap.contacts["+84987654323"]
    assert contact.status == "retry_wait"
    assert len(snap.attempts["+84987654323"]) == 1
    assert contact.next_attempt_at >= before + timedelta(seconds=600)
    assert await dialer.run_once() == 0  # not due yet


async def test_retries_stop_after_max_attempts(db, tenant, dialer):
    prepare_campaign(db, tenant, retry={"no_answer": {"max_attempts": 2, "interval": 0}}, ring_timeout=5)
    add_contacts(db, tenant, ["+84987654324"])
    await run_until_idle(dialer)
    snap = snapshot(db, tenant)
    assert [a.outcome for a in snap.attempts["+84987654324"]] == ["no_answer"] * 3
    assert snap.contacts["+84987654324"].status == "failed"


async def test_closed_calling_window_dials_nobody(db, tenant, dialer):
    now = utc_now().astimezone()
    prepare_campaign(db, tenant, days=[(now.weekday() + 1) % 7], timezone="UTC")
    add_contacts(db, tenant, ["+84987654321"])
    assert await dialer.run_once() == 0
    assert snapshot(db, tenant).contacts["+84987654321"].status == "pending"


async def test_campaign_concurrency_limit_holds(db, tenant, tmp_path):
    slow = make_dialer(db, tmp_path, time_scale=0.01)
    await slow.router.start()
    prepare_campaign(db, tenant, max_concurrent=3, retry=NO_RETRY)
    add_contacts(db, tenant, [f"+8491234560{d}" for d in range(9)])
    assert await slow.run_once() == 3
    assert await slow.run_once() == 0  # all three still on the line
    await slow.drain()
    await run_until_idle(slow)
    await slow.router.close()
    assert all(c.status in ("done", "failed") for c in snapshot(db, tenant).contacts.values())


async def test_two_dialers_never_dial_the_same_contact(db, tenant, tmp_path):
    import asyncio

    a = make_dialer(db, tmp_path, worker_id="worker-a")
    b = make_dialer(db, tmp_path, worker_id="worker-b")
    for d in (a, b):
        await d.router.start()
    prepare_campaign(db, tenant, retry=NO_RETRY, max_concurrent=500)
    add_contacts(db, tenant, [f"+849123{n:05d}" for n in range(200)])
    for _ in range(10):
        await asyncio.gather(a.run_once(), b.run_once())
        await asyncio.gather(a.drain(), b.drain())
    snap = snapshot(db, tenant)
    assert all(len(attempts) == 1 for attempts in snap.attempts.values())
    assert len(snap.attempts) == 200
    for d in (a, b):
        await d.router.close()


async def test_production_mode_refuses_to_dial_the_simulator(db, tenant, tmp_path):
    from aicall.dialer.backends import BackendRouter

    dialer = make_dialer(db, tmp_path)
    dialer.settings.telephony = "sip"
    dialer.router = BackendRouter(dialer.settings)
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654321"])
    assert await dialer.run_once() == 0
    with db.reading() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign.status == "paused" and campaign.pause_reason == "no_trunk:POOL_SYSTEM"
    assert snapshot(db, tenant).contacts["+84987654321"].status == "pending"
