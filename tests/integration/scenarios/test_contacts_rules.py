"""The contacts API applies the campaign's scenario: readable tag values, duplicate policy."""

from __future__ import annotations

from typing import Any

import requests

from aicall.campaigns import service as campaign_service
from tests.integration.scenarios.helpers import Api, error, result

CONTACTS = "/api/v1/public-api/campaign"


def campaign_for(api: Api, scenario_id: str, **settings: Any) -> str:
    with api.db.transaction() as session:
        campaign = campaign_service.create_campaign(
            session=session, application_id=api.tenant.application_id, name="c", scenario_id=scenario_id,
            settings=settings,
        )  # fmt: skip
        return campaign.id


def add(api: Api, campaign_id: str, contacts: list[dict[str, Any]]) -> requests.Response:
    return requests.post(
        api.server.url + CONTACTS,
        json={"campaign_id": campaign_id, "contacts": contacts},
        headers=api.tenant.headers(),
        timeout=30,
    )


def test_a_contact_whose_tag_cannot_be_read_is_rejected_naming_the_field(api: Api) -> None:
    scenario = api.create_scenario()
    campaign_id = campaign_for(api, scenario["id"])
    response = add(
        api,
        campaign_id,
        [
            {
                "phone_number": "0987654321",
                "ho_ten": "Lan",
                "so_tien": "1.500.000đ",
                "han_thanh_toan": "25/12/2026",
            },
            {"phone_number": "0987654322", "ho_ten": "Minh", "so_tien": "12a"},
            {"phone_number": "0987654323", "Hạn thanh toán": "31/02/2026"},
            {"phone_number": "0987654324", "ho_ten": "Hoa", "ghi_chu": "not a field: kept as is"},
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["so_dien_thoai"] for c in body["result"]] == ["+84987654321", "+84987654324"]
    assert body["result"][1]["ghi_chu"] == "not a field: kept as is"
    rejected = {r["index"]: r["reason"] for r in body["rejected"]}
    assert set(rejected) == {1, 2}
    assert (
        "so_tien" in rejected[1]
        and "Số tiền" in rejected[1]
        and "CURRENCY" in rejected[1]
        and "12a" in rejected[1]
    )
    assert "Hạn thanh toán" in rejected[2] and "DATE" in rejected[2]


def test_when_every_contact_is_unreadable_nothing_is_added(api: Api) -> None:
    scenario = api.create_scenario()
    campaign_id = campaign_for(api, scenario["id"])
    body = error(add(api, campaign_id, [{"phone_number": "0987654321", "so_tien": "12a"}]), 400, 1403)
    assert "so_tien" in body["details"][0]["reason"]


def test_the_scenarios_allow_duplicate_phone_applies_unless_the_campaign_overrides_it(api: Api) -> None:
    allowing = api.create_scenario(callConfig={"allowDuplicatePhone": True})
    refusing = api.create_scenario()
    same_twice = [{"phone_number": "0987654321"}, {"phone_number": "0987654321"}]
    assert len(add(api, campaign_for(api, allowing["id"]), same_twice).json()["result"]) == 2
    assert len(add(api, campaign_for(api, refusing["id"]), same_twice).json()["result"]) == 1
    overridden = campaign_for(api, allowing["id"], allow_duplicate_phone=False)
    assert len(add(api, overridden, same_twice).json()["result"]) == 1
    overriding = campaign_for(api, refusing["id"], allow_duplicate_phone=True)
    assert len(add(api, overriding, same_twice).json()["result"]) == 2


def test_an_edit_of_the_scenario_applies_to_the_next_import(api: Api) -> None:
    scenario = api.create_scenario()
    campaign_id = campaign_for(api, scenario["id"])
    error(add(api, campaign_id, [{"phone_number": "0987654321", "so_tien": "ba trăm"}]), 400, 1403)
    result(
        api.put(
            f"/scenarios/{scenario['id']}",
            {"personalizedFields": [{"name": "Số tiền", "readingType": "TEXT"}]},
        )
    )
    assert add(api, campaign_id, [{"phone_number": "0987654321", "so_tien": "ba trăm"}]).status_code == 200
