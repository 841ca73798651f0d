"""POST /scenarios/{id}/resume: contacts go to the scenario's default campaign, which runs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aicall.campaigns.models import Campaign, Contact
from aicall.hotlines import service as hotline_service
from tests.integration.scenarios.helpers import Api, error, result


@pytest.fixture(autouse=True)
def system_pool(api: Api) -> None:
    """The shared POOL_SYSTEM hotline pool: without a pool a campaign cannot start."""
    with api.db.transaction() as session:
        hotline_service.ensure_system_pool(session=session)


# The values the approved scenario's prompts read: a contact without them is never dialled.
TAGS = {"ho_ten": "Lan", "so_tien": "150000"}


def count(api: Api, model: type[Campaign] | type[Contact]) -> int:
    with api.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_resume_adds_contacts_to_a_default_campaign_and_sets_it_running(api: Api) -> None:
    scenario = api.approved_scenario(name="Nhắc nợ tháng 11")
    answer = result(
        api.post(
            f"/scenarios/{scenario['id']}/resume",
            {
                "contacts": [
                    {"phone_number": "0987654321", "ho_ten": "Lan", "so_tien": "150000"},
                    {"phone_number": "12"},
                ]
            },
        )
    )
    campaign_id = answer["campaign_id"]
    [added] = answer["added"]
    assert (
        added["so_dien_thoai"] == "+84987654321"
        and added["ho_ten"] == "Lan"
        and len(added["contact_id"]) == 36
    )
    assert [r["index"] for r in answer["rejected"]] == [1]
    assert answer["campaign_status"] == "running"
    with api.db.reading() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert (campaign.name, campaign.scenario_id, campaign.status) == (
            "Nhắc nợ tháng 11",
            scenario["id"],
            "running",
        )
        assert campaign.application_id == api.tenant.application_id

    # The next resume reuses the same campaign, with the same duplicate rules as POST /campaign.
    again = result(
        api.post(
            f"/scenarios/{scenario['id']}/resume",
            {
                "contacts": [
                    {"phone_number": "0912345678", **TAGS, "ho_ten": "Minh"},
                    {"phone_number": "0987654321", **TAGS},
                ]
            },
        )
    )
    assert again["campaign_id"] == campaign_id
    assert [c["so_dien_thoai"] for c in again["added"]] == ["+84912345678"]
    assert "already has this number" in again["rejected"][0]["reason"]
    with api.db.reading() as session:
        phones = session.scalars(select(Contact.phone).where(Contact.campaign_id == campaign_id)).all()
    assert sorted(phones) == ["+84912345678", "+84987654321"]


def test_resume_checks_tag_values_against_the_scenarios_fields(api: Api) -> None:
    scenario = api.approved_scenario()
    body = error(
        api.post(
            f"/scenarios/{scenario['id']}/resume",
            {"contacts": [{"phone_number": "0987654321", "so_tien": "12a"}]},
        ),
        400, 1403,
    )  # fmt: skip
    assert "so_tien" in body["details"][0]["reason"]


def test_resume_is_refused_for_a_scenario_never_approved(api: Api) -> None:
    scenario = api.runnable_scenario()
    error(
        api.post(f"/scenarios/{scenario['id']}/resume", {"contacts": [{"phone_number": "0987654321"}]}),
        409, 409, "no approved version",
    )  # fmt: skip
    with api.db.reading() as session:
        assert session.scalars(select(Campaign).where(Campaign.scenario_id == scenario["id"])).all() == []


def test_resume_needs_a_list_of_contacts(api: Api) -> None:
    scenario = api.approved_scenario()
    for body, message in [
        ({}, "contacts is required"),
        ({"contacts": {}}, "must be a list"),
        ({"contacts": []}, "empty"),
    ]:
        error(api.post(f"/scenarios/{scenario['id']}/resume", body), 400, 400, message)


def test_a_closed_default_campaign_is_replaced_by_a_new_one(api: Api) -> None:
    scenario = api.approved_scenario()
    first = result(
        api.post(
            f"/scenarios/{scenario['id']}/resume", {"contacts": [{"phone_number": "0987654321", **TAGS}]}
        )
    )
    with api.db.transaction() as session:
        session.get(Campaign, first["campaign_id"]).status = "completed"
    second = result(
        api.post(
            f"/scenarios/{scenario['id']}/resume", {"contacts": [{"phone_number": "0987654321", **TAGS}]}
        )
    )
    assert second["campaign_id"] != first["campaign_id"]
    assert len(second["added"]) == 1


def test_resume_that_cannot_start_the_campaign_stores_nothing(api: Api) -> None:
    scenario = api.approved_scenario(callConfig={"poolHotlineKey": "NO_SUCH_POOL"})
    campaigns_before = count(api, Campaign)
    error(
        api.post(f"/scenarios/{scenario['id']}/resume", {"contacts": [{"phone_number": "0987654321"}]}),
        400, 1406, "NO_SUCH_POOL",
    )  # fmt: skip
    assert count(api, Contact) == 0
    assert count(api, Campaign) == campaigns_before


def test_resume_restarts_a_paused_default_campaign(api: Api) -> None:
    scenario = api.approved_scenario()
    first = result(
        api.post(
            f"/scenarios/{scenario['id']}/resume", {"contacts": [{"phone_number": "0987654321", **TAGS}]}
        )
    )
    with api.db.transaction() as session:
        session.get(Campaign, first["campaign_id"]).status = "paused"
    again = result(
        api.post(
            f"/scenarios/{scenario['id']}/resume", {"contacts": [{"phone_number": "0912345678", **TAGS}]}
        )
    )
    assert (again["campaign_id"], again["campaign_status"]) == (first["campaign_id"], "running")
