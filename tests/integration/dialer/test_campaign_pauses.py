"""The dialer pauses a campaign it cannot dial, and the customer hears of it: every pause the
claim makes writes a `campaign.paused` webhook event with its reason, in the claim's transaction."""

from __future__ import annotations

from sqlalchemy import select

from aicall import notify
from aicall.campaigns.models import Campaign
from aicall.dialer.backends import BackendRouter
from aicall.errors import ScenarioNotFound
from aicall.webhooks import payloads
from aicall.webhooks.models import WebhookEvent
from tests.integration.dialer.support import add_contacts, make_dialer, prepare_campaign, run_until_idle
from tests.integration.webhooks.helpers import configure


def _paused_events(db) -> list[WebhookEvent]:
    with db.reading() as session:
        return list(session.scalars(select(WebhookEvent).where(WebhookEvent.type == "campaign.paused")))


def _campaign(db, tenant) -> Campaign:
    with db.reading() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        return campaign


def _assert_one_pause_sent(db, tenant, reason: str) -> None:
    campaign = _campaign(db, tenant)
    assert campaign.status == "paused" and campaign.pause_reason == reason
    [event] = _paused_events(db)
    assert event.application_id == tenant.application_id
    assert event.payload["campaign_id"] == tenant.campaign_id
    assert event.payload["status"] == "paused" and event.payload["reason"] == reason
    payloads.validate_data(event.type, event.payload)


async def test_a_campaign_paused_for_balance_sends_campaign_paused(db, tenant, tmp_path):
    configure(db, tenant.application_id, "https://hooks.example.com/aicall")
    prepare_campaign(db, tenant, balance=500, max_duration=60)  # one call reserves 1000 đ
    add_contacts(db, tenant, ["+84987654321"])
    dialer = make_dialer(db, tmp_path, emit=notify.emit)
    await dialer.router.start()
    try:
        assert await dialer.run_once() == 0
    finally:
        await dialer.router.close()
    _assert_one_pause_sent(db, tenant, "insufficient_balance")


async def test_a_campaign_paused_for_a_missing_trunk_sends_campaign_paused(db, tenant, tmp_path):
    configure(db, tenant.application_id, "https://hooks.example.com/aicall")
    dialer = make_dialer(db, tmp_path, emit=notify.emit)
    dialer.settings.telephony = "sip"  # production: the simulator is not a way out
    dialer.router = BackendRouter(dialer.settings)
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654321"])
    assert await dialer.run_once() == 0
    _assert_one_pause_sent(db, tenant, "no_trunk:POOL_SYSTEM")


async def test_a_campaign_whose_scenario_cannot_load_is_paused_with_campaign_paused(db, tenant, tmp_path):
    configure(db, tenant.application_id, "https://hooks.example.com/aicall")
    dialer = make_dialer(db, tmp_path, emit=notify.emit)

    def scenario_gone(_session, _scenario_id):
        raise ScenarioNotFound()

    dialer.load_script = scenario_gone
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654321"])
    assert await dialer.run_once() == 0
    reason = _campaign(db, tenant).pause_reason
    assert reason is not None and reason.startswith("cannot_dial: ")
    _assert_one_pause_sent(db, tenant, reason)
    assert await dialer.run_once() == 0  # paused: not looked at again, no second event
    assert len(_paused_events(db)) == 1


async def test_a_topup_resumes_a_balance_pause_and_says_so(db, tenant, tmp_path):
    from aicall.accounts import flows

    configure(db, tenant.application_id, "https://hooks.example.com/aicall")
    prepare_campaign(db, tenant, balance=500, max_duration=60)
    add_contacts(db, tenant, ["+84987654321"])
    dialer = make_dialer(db, tmp_path, emit=notify.emit)
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
        with db.transaction() as session:
            flows.topup(session=session, account_id=tenant.account_id, amount=50_000)
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()
    with db.reading() as session:
        types = [e.type for e in session.scalars(select(WebhookEvent).order_by(WebhookEvent.created_at))]
        resumed = session.scalars(select(WebhookEvent).where(WebhookEvent.type == "campaign.resumed")).one()
    assert types[:2] == ["campaign.paused", "campaign.resumed"]
    assert "call.attempt.finished" in types  # dialled once the balance was back
    assert resumed.payload["reason"] == "topup" and resumed.payload["status"] == "running"
