"""The public API says why a campaign waits (campaigns.waiting, read through campaigns.queries)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from aicall.dialer import recovery
from aicall.dialer.models import DialerWorker
from tests.integration.dialer.support import add_contacts, prepare_campaign

API = "/api/v1/public-api"


def test_a_draft_campaign_says_it_is_not_started(live_server, tenant):
    created = requests.post(
        live_server.url + API + "/campaigns", json={"name": "x"}, headers=tenant.headers(), timeout=30
    ).json()["result"]
    assert created["waiting_reason"] == "not_started"
    assert created["waiting_until"] is None


def test_contacts_of_a_draft_campaign_say_why_they_wait_in_list_and_detail(live_server, tenant):
    def call(method: str, path: str, **kwargs):
        return requests.request(
            method, live_server.url + API + path, headers=tenant.headers(), timeout=30, **kwargs
        )

    campaign = call("POST", "/campaigns", json={"name": "x"}).json()["result"]
    added = call(
        "POST",
        "/campaign",
        json={"campaign_id": campaign["id"], "contacts": [{"phone_number": "0987654321"}]},
    )
    assert added.status_code == 200, added.text
    [listed] = call("GET", f"/campaigns/{campaign['id']}/contacts").json()["result"]["contacts"]
    assert listed["waiting_reason"] == "not_started"
    detail = call("GET", f"/contacts/{listed['id']}").json()["result"]
    assert (detail["waiting_reason"], detail["waiting_until"]) == ("not_started", None)


def _campaign_and_contacts(live_server, tenant) -> tuple[dict, list[dict]]:
    def get(path: str) -> dict:
        response = requests.get(live_server.url + API + path, headers=tenant.headers(), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["result"]

    campaign = get(f"/campaigns/{tenant.campaign_id}")
    return campaign, get(f"/campaigns/{tenant.campaign_id}/contacts")["contacts"]


def test_a_running_campaign_with_contacts_due_and_no_dialer_says_no_dialer(live_server, db, tenant):
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654321"])
    campaign, [contact] = _campaign_and_contacts(live_server, tenant)
    assert (campaign["waiting_reason"], campaign["waiting_until"]) == ("no_dialer", None)
    assert contact["waiting_reason"] == "no_dialer"


def test_with_a_live_dialer_the_same_campaign_is_not_waiting_for_one(live_server, db, tenant):
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654321"])
    now = datetime.now(UTC)
    with db.transaction() as session:
        recovery.heartbeat(session, "dialer-test", now)
        # A dialer silent for longer than the stale window does not count as live.
        stale = now - timedelta(seconds=live_server.settings.dialer_stale_after + 60)
        session.add(DialerWorker(id="dialer-dead", started_at=stale, heartbeat_at=stale))
    campaign, [contact] = _campaign_and_contacts(live_server, tenant)
    assert campaign["waiting_reason"] is None, campaign
    assert contact["waiting_reason"] is None, contact


def test_a_dialer_whose_heartbeat_is_stale_is_no_dialer(live_server, db, tenant):
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654321"])
    stale = datetime.now(UTC) - timedelta(seconds=live_server.settings.dialer_stale_after + 60)
    with db.transaction() as session:
        session.add(DialerWorker(id="dialer-dead", started_at=stale, heartbeat_at=stale))
    campaign, _ = _campaign_and_contacts(live_server, tenant)
    assert campaign["waiting_reason"] == "no_dialer"


def test_every_live_dialer_full_at_its_cap_says_dialer_capacity(live_server, db, tenant):
    """AICALL_DIALER_MAX_CALLS reached on every live dialer: the contacts wait for a call to end."""
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654321", "+84987654322"])
    now = datetime.now(UTC)
    with db.transaction() as session:
        recovery.heartbeat(session, "dialer-full", now, max_calls=1)
        session.add(_in_progress_attempt(session, tenant, worker_id="dialer-full", now=now))
    campaign, contacts = _campaign_and_contacts(live_server, tenant)
    assert (campaign["waiting_reason"], campaign["waiting_detail"]) == ("dialer_capacity", "1 of 1")
    assert {c["waiting_reason"] for c in contacts if c["status"] == "pending"} == {"dialer_capacity"}

    with db.transaction() as session:  # one more dialer, without a cap: room again
        recovery.heartbeat(session, "dialer-free", now)
    campaign, _ = _campaign_and_contacts(live_server, tenant)
    assert campaign["waiting_reason"] is None, campaign


def _in_progress_attempt(session, tenant, *, worker_id: str, now: datetime):
    """The first contact's call in flight on `worker_id` (as a dialer's claim leaves it)."""
    from sqlalchemy import select

    from aicall.calls.models import CallAttempt
    from aicall.campaigns.models import Contact

    contact = session.scalars(
        select(Contact).where(Contact.campaign_id == tenant.campaign_id).order_by(Contact.id)
    ).first()
    contact.status = "in_progress"
    return CallAttempt(
        id="a" * 24,
        campaign_id=tenant.campaign_id,
        contact_id=contact.id,
        account_id=tenant.account_id,
        number=1,
        status="in_progress",
        worker_id=worker_id,
        started_at=now,
        lease_until=now + timedelta(minutes=5),
    )
