"""PUT /campaigns/{id} refuses `null` for a field: none can be cleared, and `{"scenarioId": null}`
answered 200 with the scenario kept, as if it had been removed (found sweeping nested nulls)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.support import LiveServer, Tenant

BASE = "/api/v1/public-api"


def _put(server: LiveServer, tenant: Tenant, body: dict[str, Any]) -> requests.Response:
    return requests.put(
        f"{server.url}{BASE}/campaigns/{tenant.campaign_id}", json=body, headers=tenant.headers(), timeout=30
    )


def _read(server: LiveServer, tenant: Tenant) -> dict[str, Any]:
    answer = requests.get(
        f"{server.url}{BASE}/campaigns/{tenant.campaign_id}", headers=tenant.headers(), timeout=30
    )
    result: dict[str, Any] = answer.json()["result"]
    return result


@pytest.mark.parametrize(
    ("sent", "field"),
    [("name", "name"), ("scenarioId", "scenarioId"), ("scenario_id", "scenarioId"), ("settings", "settings")],
)
def test_a_null_field_is_refused_naming_it_and_nothing_changes(live_server, tenant, sent, field):
    before = _read(live_server, tenant)
    answer = _put(live_server, tenant, {sent: None, "name": "renamed"} if sent != "name" else {sent: None})
    assert answer.status_code == 400, answer.text
    reason = f"cannot be null: leave {field} out to keep its value"
    assert answer.json()["message"] == f"Validation Failed: {field}: {reason}"
    assert answer.json()["details"] == [{"field": field, "message": reason}]
    after = _read(live_server, tenant)
    assert (after["name"], after["scenario_id"]) == (before["name"], before["scenario_id"])


def test_a_field_left_out_is_kept(live_server, tenant):
    answer = _put(live_server, tenant, {"name": "renamed"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["name"] == "renamed"
