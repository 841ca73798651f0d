"""The advertising policy on the dialer with an injected clock (Decree 91/2020/ND-CP Art. 13):
its hours (cl. 6), one advertising call per number per 24 hours across the account (cl. 5),
and registered pools only."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select, update

from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Campaign, Contact
from aicall.compliance.models import AdvertisingCall
from aicall.hotlines.models import HotlinePool
from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
)
from tests.integration.support import Tenant, make_tenant

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NUMBER = "+84987654321"  # the simulator answers it and presses 1
ADVERTISING = {"policy": "advertising", "retry": NO_RETRY}


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _register_system_pool(db) -> None:
    with db.transaction() as session:
        session.execute(update(HotlinePool).values(advertising_registered=True))


def _advertising(db, tenant: Tenant) -> None:
    prepare_campaign(db, tenant, **ADVERTISING)
    _register_system_pool(db)


def _second_campaign(db, tenant: Tenant) -> Tenant:
    with db.transaction() as session:
        campaign = campaign_service.create_campaign(
            session=session, application_id=tenant.application_id, name="second"
        )
        campaign.scenario_id = "sc-test"
        campaign.settings = {"max_concurrent": 50, "calls_per_second": 200, **ADVERTISING}
        campaign.status = "running"
    return Tenant(tenant.account_id, tenant.application_id, tenant.api_key, tenant.api_secret, campaign.id)


def _contact(db, campaign_id: str) -> Contact:
    with db.reading() as session:
        return session.scalars(select(Contact).where(Contact.campaign_id == campaign_id)).one()


@pytest.fixture
async def dialer(db, tmp_path):
    d = make_dialer(db, tmp_path)
    await d.router.start()
    yield d
    await d.router.close()


async def test_a_call_at_0759_waits_to_0800_and_goes_then(db, tenant, dialer):
    _advertising(db, tenant)
    add_contacts(db, tenant, [NUMBER])
    dialer.clock = Clock(vn(2027, 3, 2, 7, 59))
    assert await dialer.run_once() == 0
    dialer.clock.now = vn(2027, 3, 2, 8, 0)
    await run_until_idle(dialer)
    assert _contact(db, tenant.campaign_id).status == "done"


async def test_one_at_165959_goes_and_one_at_1700_waits_to_the_next_day(db, tenant, dialer):
    _advertising(db, tenant)
    add_contacts(db, tenant, [NUMBER])
    dialer.clock = Clock(vn(2027, 3, 2, 17, 0))
    assert await dialer.run_once() == 0
    dialer.clock.now = vn(2027, 3, 2, 16, 59, 59)
    assert await dialer.run_once() == 1
    await dialer.drain()


async def test_one_advertising_call_per_number_per_24_hours_across_an_accounts_campaigns(
    live_server, db, tenant, dialer
):
    _advertising(db, tenant)
    first = tenant
    second = _second_campaign(db, tenant)
    stranger = make_tenant(db, "Stranger")
    prepare_campaign(db, stranger, **ADVERTISING)
    add_contacts(db, first, [NUMBER])
    add_contacts(db, second, [NUMBER])
    add_contacts(db, stranger, [NUMBER])

    morning = vn(2027, 3, 2, 9, 0)
    dialer.clock = Clock(morning)
    await run_until_idle(dialer)
    statuses = {c.campaign_id: _contact(db, c.campaign_id).status for c in (first, second, stranger)}
    assert statuses[stranger.campaign_id] == "done"  # another account's campaigns are not counted
    assert sorted([statuses[first.campaign_id], statuses[second.campaign_id]]) == ["done", "pending"]
    held_tenant = first if statuses[first.campaign_id] == "pending" else second
    held = _contact(db, held_tenant.campaign_id)
    with db.reading() as session:
        last = session.scalars(
            select(AdvertisingCall.last_call_at).where(AdvertisingCall.account_id == tenant.account_id)
        ).one()
    assert held.next_attempt_at == last + timedelta(hours=24) and last >= morning
    assert (held.compliance_reason, held.compliance_rule) == ("frequency_limit", "advertising_frequency")
    assert held.attempts == 0  # held, never dialled

    shown = (
        await asyncio.to_thread(
            requests.get,
            f"{live_server.url}/api/v1/public-api/contacts/{held.id}",
            headers=tenant.headers(),
            timeout=10,
        )
    ).json()["result"]
    assert shown["compliance"]["reason"] == "frequency_limit"
    assert shown["compliance"]["citation"] == "Decree 91/2020/ND-CP, Art. 13, cl. 5"
    assert shown["compliance"]["until"] is not None
    assert shown["waiting_reason"] == "frequency_limit"
    log = (
        await asyncio.to_thread(
            requests.get,
            f"{live_server.url}/api/v1/public-api/audit",
            params={"type": "frequency_limit"},
            headers=tenant.headers(),
            timeout=10,
        )
    ).json()["result"]["entries"]
    assert [(e["action"], e["contact_id"], e["rule"]) for e in log] == [
        ("held", held.id, "advertising_frequency")
    ]

    dialer.clock.now = last + timedelta(hours=24) - timedelta(seconds=1)
    assert await dialer.run_once() == 0  # one second early: still held
    dialer.clock.now = last + timedelta(hours=24)
    await run_until_idle(dialer)
    after = _contact(db, held_tenant.campaign_id)
    assert after.status == "done" and after.compliance_reason is None


def test_an_advertising_campaign_does_not_start_on_an_unregistered_pool(live_server, db, tenant):
    from aicall.hotlines import service as hotline_service

    with db.transaction() as session:
        hotline_service.ensure_system_pool(session=session)
        campaign = session.get(Campaign, tenant.campaign_id)
        campaign.settings = {"policy": "advertising"}
    url = f"{live_server.url}/api/v1/public-api/campaigns/{tenant.campaign_id}"
    refused = requests.post(url + "/start", headers=tenant.headers(), timeout=10)
    assert refused.status_code == 400 and refused.json()["code"] == 1406
    assert {
        "field": "settings.pool_hotline_key",
        "message": (
            "the advertising policy needs a pool registered for advertising (brand-name numbers, "
            "Decree 91/2020/ND-CP); pool 'POOL_SYSTEM' is not"
        ),
    } in refused.json()["details"]

    shown = requests.get(url, headers=tenant.headers(), timeout=10).json()["result"]
    assert shown["effective_window"]["policy"] == "advertising"
    assert shown["effective_window"]["hours"] == [{"start": "08:00", "end": "17:00"}]
    assert shown["settings"]["advertising_interval"] == 86400
