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
