"""Add-contacts' errors about the request as a whole (no campaign_id, contacts not a list) carry
`details: [{field, message}]` like every other validation error, and keep the message clients match."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.support import LiveServer, Tenant

URL = "/api/v1/public-api/campaign"
PHONE = {"phone_number": "0987654321"}


def post(server: LiveServer, tenant: Tenant, body: Any) -> dict[str, Any]:
    response = requests.post(server.url + URL, json=body, headers=tenant.headers(), timeout=30)
    assert response.status_code == 400, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"contacts": [PHONE]}, "campaign_id", "is required"),
        ({"campaign_id": 12345, "contacts": [PHONE]}, "campaign_id", "must be a string"),
        ({"campaign_id": " ", "contacts": [PHONE]}, "campaign_id", "is empty"),
        ({"campaign_id": "x"}, "contacts", "is required"),
        ({"campaign_id": "x", "contacts": PHONE}, "contacts", "must be a list"),
        ({"campaign_id": "x", "contacts": []}, "contacts", "is empty"),
        ([PHONE], "", "must be a JSON object"),
    ],
)
def test_a_malformed_request_names_the_field_in_details(live_server, tenant, body, field, reason):
    answer = post(live_server, tenant, body)
    sentence = f"{field} {reason}" if field else f"the request body {reason}"
    assert (answer["code"], answer["message"]) == (400, f"Validation Failed: {sentence}")
    assert answer["details"] == [{"field": field, "message": reason}]


def test_its_details_have_the_shape_of_another_endpoints_validation_error(live_server, tenant):
    other = requests.post(
        live_server.url + "/api/v1/public-api/campaigns", json={}, headers=tenant.headers(), timeout=30
    ).json()
    answer = post(live_server, tenant, {"contacts": [PHONE]})
    assert other["code"] == answer["code"] == 400
    assert [set(d) for d in other["details"]] == [set(d) for d in answer["details"]] == [{"field", "message"}]
