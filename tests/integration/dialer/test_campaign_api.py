"""The campaign API over real HTTP: lifecycle, settings validation, live counts, contacts."""

from __future__ import annotations

import pytest
import requests

from aicall.campaigns.models import Campaign
from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
)
from tests.integration.scenarios.helpers import Api
from tests.integration.support import make_tenant

API = "/api/v1/public-api"


def call(server, tenant, method: str, path: str, **kwargs):
    return requests.request(method, server.url + API + path, headers=tenant.headers(), timeout=30, **kwargs)


def test_create_read_and_list_a_campaign_with_effective_settings(live_server, tenant):
    created = call(
        live_server,
        tenant,
        "POST",
        "/campaigns",
        json={
            "name": "Nhắc nợ tháng 11",
            "settings": {"maxConcurrent": 3, "hours": [{"start": "08:00", "end": "20:30"}]},
        },
    )
    assert created.status_code == 200, created.text
    body = created.json()["result"]
    assert body["status"] == "draft"
    assert body["settings"]["max_concurrent"] == 3
    assert body["settings"]["timezone"] == "Asia/Ho_Chi_Minh"
    assert body["settings"]["hours"] == [{"start": "08:00:00", "end": "20:30:00"}]
    assert body["overrides"] == {"max_concurrent": 3, "hours": [{"start": "08:00:00", "end": "20:30:00"}]}
    assert body["counts"]["contacts"] == 0
    got = call(live_server, tenant, "GET", f"/campaigns/{body['id']}").json()["result"]
    assert got["name"] == "Nhắc nợ tháng 11"
    listed = call(live_server, tenant, "GET", "/campaigns", params={"status": "draft"}).json()["result"]
    assert listed["total_count"] == 2  # the tenant's own plus this one
    assert {c["id"] for c in listed["campaigns"]} >= {body["id"]}


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"hours": [{"start": "20:00", "end": "08:00"}]}, "hours"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"maxConcurrent": -1}, "max_concurrent"),
        ({"callsPerSecond": 0}, "calls_per_second"),
        ({"days": ["funday"]}, "days"),
        ({"startDate": "2026-12-10", "endDate": "2026-12-01"}, "end_date"),
        ({"retry": {"sleepy": {"maxAttempts": 1}}}, "retry"),
        ({"ringTimeout": "soon"}, "ring_timeout"),
        ({"unknownSetting": 1}, "unknown"),
    ],
)
def test_invalid_settings_are_refused_with_the_field_named(live_server, tenant, db, settings, field):
    response = call(live_server, tenant, "POST", "/campaigns", json={"name": "x", "settings": settings})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 0 and body["code"] == 400
    assert "Validation Failed" in body["message"]
    assert field.split("_")[0] in body["message"].lower().replace("_", "_")
    assert call(live_server, tenant, "GET", "/campaigns").json()["result"]["total_count"] == 1


def test_unknown_scenario_or_pool_is_refused(live_server, tenant):
    missing = call(live_server, tenant, "POST", "/campaigns", json={"name": "x", "scenarioId": "f" * 24})
    assert missing.status_code == 404 and missing.json()["code"] == 3001
    created = call(
        live_server, tenant, "POST", "/campaigns", json={"name": "x", "settings": {"poolHotlineKey": "NOPE"}}
    ).json()["result"]
    start = call(live_server, tenant, "POST", f"/campaigns/{created['id']}/start")
    assert start.status_code == 400
    assert start.json()["code"] == 1406
    assert "NOPE" in start.json()["message"]


def test_lifecycle_transitions_and_the_ones_refused(live_server, tenant, db):
    with db.transaction() as session:
        from aicall.hotlines import service as hotline_service

        hotline_service.ensure_system_pool(session=session)
    cid = tenant.campaign_id
    scenario = Api(live_server, tenant, db).approved_scenario()  # none: the start is refused (1406)
    assert call(live_server, tenant, "PUT", f"/campaigns/{cid}", json={"scenarioId": scenario["id"]}).ok
    assert call(live_server, tenant, "POST", f"/campaigns/{cid}/pause").json()["code"] == 1404  # draft
    assert (
        call(live_server, tenant, "POST", f"/campaigns/{cid}/start").json()["result"]["status"] == "running"
    )
    assert call(live_server, tenant, "POST", f"/campaigns/{cid}/pause").json()["result"]["status"] == "paused"
    resumed = call(live_server, tenant, "POST", f"/campaigns/{cid}/resume").json()["result"]
    assert resumed["status"] == "running" and resumed["pause_reason"] is None
    add = requests.post(
        live_server.url + API + "/campaign",
        json={
            "campaign_id": cid,
            "contacts": [
                {"phone_number": "0987654321", "ho_ten": "Lan", "so_tien": "150000"},
                {"phone_number": "0912345678", "ho_ten": "Minh", "so_tien": "90000"},
            ],
        },
        headers=tenant.headers(),
        timeout=30,
    )
    assert add.status_code == 200
    stopped = call(live_server, tenant, "POST", f"/campaigns/{cid}/stop").json()["result"]
    assert stopped["status"] == "completed"
    assert stopped["counts"]["by_status"] == {"cancelled": 2}
    again = call(live_server, tenant, "POST", f"/campaigns/{cid}/start")
    assert again.status_code == 409 and again.json()["code"] == 1404
    closed = requests.post(
        live_server.url + API + "/campaign",
        json={"campaign_id": cid, "contacts": [{"phone_number": "0987654322"}]},
        headers=tenant.headers(),
        timeout=30,
    )
    assert closed.json()["code"] == 1402


def test_another_applications_campaign_and_contact_look_missing(live_server, tenant, db):
    other = make_tenant(db, "Other")
    add_contacts(db, other, ["+84987654321"])
    foreign = call(live_server, tenant, "GET", f"/campaigns/{other.campaign_id}")
    assert foreign.status_code == 404 and foreign.json()["code"] == 1401
    contacts = call(live_server, other, "GET", f"/campaigns/{other.campaign_id}/contacts").json()["result"][
        "contacts"
    ]
    steal = call(live_server, tenant, "GET", f"/contacts/{contacts[0]['id']}")
    assert steal.status_code == 404 and steal.json()["code"] == 1405
    assert call(live_server, tenant, "POST", f"/contacts/{contacts[0]['id']}/cancel").status_code == 404


async def test_counts_contacts_and_attempts_after_calls(live_server, tenant, db, tmp_path):
    prepare_campaign(db, tenant, retry=NO_RETRY)
    add_contacts(db, tenant, ["+84987654321", "+84987654323", "+84987654328"])
    dialer = make_dialer(db, tmp_path)
    await dialer.router.start()
    await run_until_idle(dialer)
    await dialer.router.close()
    counts = call(live_server, tenant, "GET", f"/campaigns/{tenant.campaign_id}").json()["result"]["counts"]
    assert counts["by_status"] == {"done": 1, "failed": 2}
    assert counts["by_outcome"] == {"answered": 1, "busy": 1, "invalid_number": 1}
    assert counts["calls_in_progress"] == 0
    failed = call(
        live_server,
        tenant,
        "GET",
        f"/campaigns/{tenant.campaign_id}/contacts",
        params={"status": "failed", "limit": 1},
    ).json()["result"]
    assert failed["total_count"] == 2 and len(failed["contacts"]) == 1
    busy = call(
        live_server, tenant, "GET", f"/campaigns/{tenant.campaign_id}/contacts", params={"outcome": "busy"}
    ).json()["result"]["contacts"]
    detail = call(live_server, tenant, "GET", f"/contacts/{busy[0]['id']}").json()["result"]
    [attempt] = detail["call_attempts"]
    assert attempt["outcome"] == "busy" and attempt["sip_code"] == 486 and attempt["cost"] == 0
    answered = call(
        live_server, tenant, "GET", f"/campaigns/{tenant.campaign_id}/contacts", params={"status": "done"}
    ).json()["result"]["contacts"][0]
    detail = call(live_server, tenant, "GET", f"/contacts/{answered['id']}").json()["result"]
    assert detail["call_attempts"][0]["keys_pressed"] == "1"
    assert [s["action_id"] for s in detail["call_attempts"][0]["path"]] == ["menu", "thanks"]
    balance = call(live_server, tenant, "GET", "/balance").json()["result"]
    assert balance["balance"] == 10_000_000 - detail["call_attempts"][0]["cost"]
    assert balance["reserved"] == 0


def test_cancelled_contact_is_never_dialled(live_server, tenant, db):
    add_contacts(db, tenant, ["+84987654321"])
    contact = call(live_server, tenant, "GET", f"/campaigns/{tenant.campaign_id}/contacts").json()["result"][
        "contacts"
    ][0]
    cancelled = call(live_server, tenant, "POST", f"/contacts/{contact['id']}/cancel").json()["result"]
    assert cancelled["status"] == "cancelled"
    again = call(live_server, tenant, "POST", f"/contacts/{contact['id']}/cancel")
    assert again.status_code == 409


def test_balance_pause_is_lifted_by_a_topup(db, tenant):
    from aicall.accounts import flows

    with db.transaction() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        campaign.status, campaign.pause_reason = "paused", "insufficient_balance"
    with db.transaction() as session:
        flows.topup(session=session, account_id=tenant.account_id, amount=50_000)
    with db.reading() as session:
        assert session.get(Campaign, tenant.campaign_id).status == "running"


def test_a_running_campaigns_scenario_changes_only_after_a_pause(live_server, tenant, db):
    """Callees of one running campaign never hear two scripts: another scenario waits for a pause."""
    with db.transaction() as session:
        from aicall.hotlines import service as hotline_service

        hotline_service.ensure_system_pool(session=session)
    cid = tenant.campaign_id
    api = Api(live_server, tenant, db)
    first, second = api.approved_scenario(), api.approved_scenario()
    assert call(live_server, tenant, "PUT", f"/campaigns/{cid}", json={"scenarioId": first["id"]}).ok
    assert call(live_server, tenant, "POST", f"/campaigns/{cid}/start").ok

    refused = call(live_server, tenant, "PUT", f"/campaigns/{cid}", json={"scenarioId": second["id"]})
    assert (refused.status_code, refused.json()["code"]) == (409, 1404)
    assert "pause it first" in refused.json()["message"] + str(refused.json().get("details"))
    same = call(
        live_server, tenant, "PUT", f"/campaigns/{cid}", json={"scenarioId": first["id"], "name": "y"}
    )
    assert same.ok and same.json()["result"]["name"] == "y"  # naming the scenario it has is no change

    assert call(live_server, tenant, "POST", f"/campaigns/{cid}/pause").ok
    changed = call(live_server, tenant, "PUT", f"/campaigns/{cid}", json={"scenarioId": second["id"]})
    assert changed.ok and changed.json()["result"]["scenario_id"] == second["id"]
