"""The public API says why a campaign waits (campaigns.waiting, read through campaigns.queries)."""

from __future__ import annotations

import requests

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
