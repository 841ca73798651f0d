"""A campaign without a scenario never rings anyone (a fresh-user trial found such a campaign
started, and its contacts rung, hung up on and reported `done/answered`).

Every layer refuses it: starting or resuming it is refused (1406, naming the scenario); one
running already (started before that rule, stored here directly as such a campaign would be) is
paused by the dialer with the reason, its contacts left due and uncharged; and a claimed call
that somehow has no script is not dialled: the contact fails at once, uncharged, saying why.
On SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

from aicall import notify
from aicall.accounts.models import Account
from aicall.calls.models import CallAttempt
from aicall.campaigns import lifecycle
from aicall.campaigns.models import Campaign, Contact
from aicall.dialer import claims
from aicall.dialer.jobs import CallJob
from aicall.hotlines import service as hotline_service
from aicall.webhooks.models import WebhookEvent
from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
    snapshot,
)
from tests.integration.scenarios.helpers import Api
from tests.integration.support import LiveServer, Tenant
from tests.integration.webhooks.helpers import configure

API = "/api/v1/public-api"
BALANCE = 10_000_000
NO_SCENARIO_REASON = {"field": "scenario_id", "message": lifecycle.NO_SCENARIO}


def call(server: LiveServer, tenant: Tenant, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, server.url + API + path, headers=tenant.headers(), timeout=30, **kwargs)


@pytest.fixture
def pool(db):
    with db.transaction() as session:
        hotline_service.ensure_system_pool(session=session)


def _assert_refused_for_the_scenario(response: requests.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 1406
    assert "no scenario" in body["message"]
    assert body["details"] == [NO_SCENARIO_REASON]  # the pool exists: the scenario is the one reason


def test_starting_a_campaign_without_a_scenario_is_refused_naming_the_scenario(live_server, tenant, pool):
    created = call(live_server, tenant, "POST", "/campaigns", json={"name": "x"}).json()["result"]
    _assert_refused_for_the_scenario(call(live_server, tenant, "POST", f"/campaigns/{created['id']}/start"))
    shown = call(live_server, tenant, "GET", f"/campaigns/{created['id']}").json()["result"]
    assert shown["status"] == "draft" and shown["started_at"] is None


def test_creating_and_starting_at_once_without_a_scenario_is_refused_and_creates_nothing(
    live_server, tenant, pool
):
    before = call(live_server, tenant, "GET", "/campaigns").json()["result"]["total_count"]
    _assert_refused_for_the_scenario(
        call(live_server, tenant, "POST", "/campaigns", json={"name": "x", "start": True})
    )
    assert call(live_server, tenant, "GET", "/campaigns").json()["result"]["total_count"] == before


def test_resuming_a_paused_campaign_without_a_scenario_is_refused(live_server, db, tenant, pool):
    with db.transaction() as session:  # paused before the rule existed
        campaign = session.get(Campaign, tenant.campaign_id)
        campaign.status, campaign.pause_reason = "paused", "manual"
    _assert_refused_for_the_scenario(
        call(live_server, tenant, "POST", f"/campaigns/{tenant.campaign_id}/resume")
    )
    shown = call(live_server, tenant, "GET", f"/campaigns/{tenant.campaign_id}").json()["result"]
    assert (shown["status"], shown["pause_reason"]) == ("paused", "manual")


def test_with_an_approved_scenario_the_same_campaign_starts(live_server, db, tenant, pool):
    scenario = Api(live_server, tenant, db).approved_scenario()
    changed = call(
        live_server, tenant, "PUT", f"/campaigns/{tenant.campaign_id}", json={"scenarioId": scenario["id"]}
    )
    assert changed.status_code == 200, changed.text
    started = call(live_server, tenant, "POST", f"/campaigns/{tenant.campaign_id}/start")
    assert started.status_code == 200, started.text
    assert started.json()["result"]["status"] == "running"


def _running_without_a_scenario(db, tenant: Tenant) -> None:
    """The tenant's campaign as one started before the rule: running, no scenario, a balance."""
    prepare_campaign(db, tenant, balance=BALANCE, retry=NO_RETRY)
    with db.transaction() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        campaign.scenario_id = None
        session.get(Account, tenant.account_id).charge_unanswered = True  # a ring would cost


async def test_a_running_campaign_without_a_scenario_dials_nobody_and_says_why(
    live_server, db, tenant, tmp_path
):
    configure(db, tenant.application_id, "https://hooks.example.com/aicall")
    _running_without_a_scenario(db, tenant)
    add_contacts(db, tenant, ["+84987654321", "+84987654328"])  # 1 would answer, 8 is invalid
    dialer = make_dialer(db, tmp_path, emit=notify.emit)
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()

    state = snapshot(db, tenant)
    assert state.attempts == {}  # nobody rung
    assert (state.account.balance, state.account.reserved) == (BALANCE, 0)
    assert {c.status for c in state.contacts.values()} == {"pending"}  # called once it has a scenario
    reason = f"cannot_dial: {lifecycle.NO_SCENARIO}"
    with db.reading() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert (campaign.status, campaign.pause_reason) == ("paused", reason)
        [paused] = session.scalars(select(WebhookEvent).where(WebhookEvent.type == "campaign.paused")).all()
    assert paused.payload["reason"] == reason

    shown = call(live_server, tenant, "GET", f"/campaigns/{tenant.campaign_id}").json()["result"]
    assert (shown["waiting_reason"], shown["waiting_detail"]) == ("paused", reason)
    contacts = call(live_server, tenant, "GET", f"/campaigns/{tenant.campaign_id}/contacts").json()["result"]
    assert {(c["waiting_reason"], c["waiting_detail"]) for c in contacts["contacts"]} == {("paused", reason)}
    # The reason says what to do, and resuming as it is stays refused.
    _assert_refused_for_the_scenario(
        call(live_server, tenant, "POST", f"/campaigns/{tenant.campaign_id}/resume")
    )


async def test_a_claimed_call_without_a_script_is_not_dialled_and_fails_uncharged(
    db, tenant, tmp_path, monkeypatch
):
    """The dialer's second guard: were a claim to hand over a job with no script (the claim
    pauses such a campaign first), the call task does not dial it."""
    prepare_campaign(db, tenant, balance=BALANCE, retry=NO_RETRY)
    with db.transaction() as session:
        session.get(Account, tenant.account_id).charge_unanswered = True
    add_contacts(db, tenant, ["+84987654321"])  # would answer and press 1

    def without_script(**fields: Any) -> CallJob:
        return CallJob(**{**fields, "script": None})

    monkeypatch.setattr(claims, "CallJob", without_script)
    dialer = make_dialer(db, tmp_path)
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()

    state = snapshot(db, tenant)
    [contact] = state.contacts.values()
    [attempt] = state.attempts[contact.phone]
    assert contact.status == "failed"
    assert attempt.outcome == "failed" and attempt.sip_code is None and attempt.answered_at is None
    assert attempt.error is not None and attempt.error.startswith("not dialled: ")
    assert "no scenario" in attempt.error
    assert (attempt.cost, attempt.billable_seconds, attempt.path) == (0, 0, [])
    assert (state.account.balance, state.account.reserved) == (BALANCE, 0)
    with db.reading() as session:  # one attempt, never re-claimed
        assert len(session.scalars(select(CallAttempt)).all()) == 1
        assert session.scalars(select(Contact)).one().next_attempt_at is None
