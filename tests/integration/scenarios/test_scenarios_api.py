"""Scenarios: create, read, list, edit, delete, submit; tenants never see each other's."""

from __future__ import annotations

import re

import pytest

from aicall.accounts.models import Account
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Campaign
from tests.integration.scenarios.helpers import VOICE, Api, error, result
from tests.integration.support import make_tenant

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_a_new_scenario_reads_back_with_exactly_the_documented_fields_and_defaults(api: Api) -> None:
    created = api.create_scenario(name="Xác nhận lịch hẹn", description="Lịch khám")
    got = result(api.get(f"/scenarios/{created['id']}"))
    assert got == created
    documented = {"id", "name", "description", "image_url", "status", "tags", "created_at", "updated_at",
                  "personalized_fields", "tts_config", "call_config"}  # fmt: skip
    assert documented <= set(got)
    assert set(got) - documented == {"dialect", "version", "published_version", "reject_reason"}
    assert ISO.match(got["created_at"]) and ISO.match(got["updated_at"])
    assert got["status"] == "DRAFT" and got["tags"] == [] and got["image_url"] is None
    assert got["tts_config"] == {"speed": 1, "voice_code": VOICE}
    assert got["call_config"] == {
        "allow_duplicate_phone": False,
        "call_routing": "RANDOM",
        "max_concurrent": 10,
        "max_duration": 300,
        "pool_hotline_key": "POOL_SYSTEM",
        "re_call": {"times": 2, "delay": 30, "is_busy": True, "is_failed": True, "is_no_answer": True,
                    "is_voice_mail": False},
    }  # fmt: skip
    assert got["dialect"] == "north"


def test_snake_case_bodies_are_accepted_as_well_as_camel_case(api: Api) -> None:
    created = result(
        api.post(
            "/scenarios",
            {
                "name": "snake",
                "tts_config": {"voice_code": "sg_male_minhhoang_full_48k-fhg", "speed": 0.9},
                "call_config": {"allow_duplicate_phone": True, "re_call": {"is_voice_mail": True}},
                "personalized_fields": [{"name": "Mã đơn", "reading_type": "seq2seq"}],
                "dialect": "South",
            },
        )
    )
    assert created["tts_config"] == {"speed": 0.9, "voice_code": "sg_male_minhhoang_full_48k-fhg"}
    assert created["call_config"]["allow_duplicate_phone"] is True
    assert created["call_config"]["re_call"]["is_voice_mail"] is True
    assert created["call_config"]["re_call"]["times"] == 2  # the rest of re_call keeps its defaults
    assert created["personalized_fields"] == [{"name": "Mã đơn", "key": "ma_don", "reading_type": "SEQ2SEQ"}]
    assert created["dialect"] == "south"


def test_put_changes_only_the_fields_it_names(api: Api) -> None:
    created = api.create_scenario(description="trước", tags=["a"])
    updated = result(
        api.put(f"/scenarios/{created['id']}", {"name": "Tên mới", "callConfig": {"reCall": {"delay": 60}}})
    )
    assert updated["name"] == "Tên mới"
    assert updated["description"] == "trước" and updated["tags"] == ["a"]
    assert updated["call_config"]["re_call"] == {**created["call_config"]["re_call"], "delay": 60}
    assert updated["personalized_fields"] == created["personalized_fields"]
    assert updated["version"] == created["version"] + 1
    assert updated["updated_at"] >= created["updated_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x", "callConfig": {"maxConcurrent": 0}}, "callConfig.maxConcurrent"),
        ({"name": "x", "callConfig": {"callRouting": "FASTEST"}}, "callConfig.callRouting"),
        ({"name": "x", "ttsConfig": {"speed": 9}}, "ttsConfig.speed"),
        ({"name": "x", "dialect": "central"}, "dialect"),
        ({"name": "x", "personalizedFields": [{"name": "Họ tên"}, {"name": "Ho ten"}]}, "personalizedFields"),
        ({"name": "x", "personalizedFields": [{"name": "!!!"}]}, "personalizedFields[0].name"),
    ],
)
def test_invalid_scenario_bodies_fail_naming_the_field(api: Api, body: dict[str, object], field: str) -> None:
    answer = error(api.post("/scenarios", body), 400, 400, "Validation Failed", field)
    assert answer["details"][0]["field"] == field


def test_list_filters_by_status_pages_and_counts(api: Api) -> None:
    made = [api.runnable_scenario(name=f"S{i}") for i in range(4)]
    api.submit(made[0]["id"])
    api.submit(made[1]["id"])
    page = result(api.get("/scenarios", limit=3))
    assert page["total_count"] == 4
    assert [s["name"] for s in page["scenarios"]] == ["S3", "S2", "S1"]  # newest first
    rest = result(api.get("/scenarios", limit=3, offset=3))
    assert [s["name"] for s in rest["scenarios"]] == ["S0"] and rest["total_count"] == 4
    reviewing = result(api.get("/scenarios", status="REVIEWING"))
    assert reviewing["total_count"] == 2
    assert {s["name"] for s in reviewing["scenarios"]} == {"S0", "S1"}
    assert result(api.get("/scenarios", status="ACTIVE")) == {"scenarios": [], "total_count": 0}
    assert len(result(api.get("/scenarios"))["scenarios"]) == 4  # default limit 10


def test_list_returns_only_the_fields_asked_for_plus_the_id(api: Api) -> None:
    api.create_scenario(name="Một")
    page = result(api.get("/scenarios", fields="name,status,callConfig"))
    [only] = page["scenarios"]
    assert set(only) == {"id", "name", "status", "call_config"}
    error(api.get("/scenarios", fields="name,secret"), 400, 400, "fields", "secret")


def test_list_default_limit_is_ten_and_more_than_fifty_is_refused(api: Api) -> None:
    for i in range(11):
        api.create_scenario(name=f"S{i}")
    page = result(api.get("/scenarios"))
    assert len(page["scenarios"]) == 10 and page["total_count"] == 11
    assert len(result(api.get("/scenarios", limit=50))["scenarios"]) == 11
    error(api.get("/scenarios", limit=51), 400, 400, "limit", "at most 50")
    error(api.get("/scenarios", limit=0), 400, 400, "limit")
    error(api.get("/scenarios", offset=-1), 400, 400, "offset")
    error(api.get("/scenarios", limit="ten"), 400, 400, "limit")
    error(api.get("/scenarios", status="DONE"), 400, 400, "status")


def test_another_applications_scenario_looks_exactly_like_a_missing_one(api: Api, db) -> None:
    mine = api.create_scenario()
    other = Api(api.server, make_tenant(db, "Other"), db)
    missing = "0" * 24
    for scenario_id in (mine["id"], missing):
        bodies = [
            other.get(f"/scenarios/{scenario_id}"),
            other.put(f"/scenarios/{scenario_id}", {"name": "x"}),
            other.delete(f"/scenarios/{scenario_id}"),
            other.post(f"/scenarios/{scenario_id}/submit"),
            other.post(f"/scenarios/{scenario_id}/resume", {"contacts": [{"phone_number": "0987654321"}]}),
            other.post(f"/scenarios/{scenario_id}/preview", {"actionId": "x", "values": {}}),
            other.get("/scenario-actions", scenarioId=scenario_id),
            other.post("/scenario-actions", {"scenarioId": scenario_id, "type": "END_CALL"}),
        ]
        for response in bodies:
            assert error(response, 404, 3001) == {"status": 0, "code": 3001, "message": "Scenario not found"}
    assert result(other.get("/scenarios"))["total_count"] == 0
    assert result(api.get(f"/scenarios/{mine['id']}"))["name"] == mine["name"]


def test_submit_moves_draft_to_reviewing_and_refuses_any_other_status(api: Api) -> None:
    scenario = api.runnable_scenario()
    assert api.submit(scenario["id"]) == {"message": "success", "status": 1, "scenario_status": "REVIEWING"}
    body = error(api.post(f"/scenarios/{scenario['id']}/submit"), 400, 3006)
    assert body["message"] == "Status of scenario must be DRAFT to submit"
    api.approve(scenario["id"])
    error(api.post(f"/scenarios/{scenario['id']}/submit"), 400, 3006)


def test_an_account_that_approves_its_own_scenarios_goes_straight_to_active(api: Api, db) -> None:
    with db.transaction() as session:
        session.get(Account, api.tenant.account_id).auto_approve_scenarios = True
    scenario = api.runnable_scenario()
    assert api.submit(scenario["id"])["scenario_status"] == "ACTIVE"
    got = result(api.get(f"/scenarios/{scenario['id']}"))
    assert got["status"] == "ACTIVE" and got["published_version"] == got["version"]


def test_editing_an_active_scenario_makes_a_draft_while_the_approved_version_keeps_running(api: Api) -> None:
    scenario = api.approved_scenario()
    before = result(api.get(f"/scenarios/{scenario['id']}"))
    edited = result(api.put(f"/scenarios/{scenario['id']}", {"name": "v2"}))
    assert edited["status"] == "DRAFT"
    assert edited["published_version"] == before["published_version"] < edited["version"]


def test_delete_removes_the_scenario_and_its_actions(api: Api) -> None:
    scenario = api.create_scenario()
    actions = api.actions(scenario["id"])
    assert result(api.delete(f"/scenarios/{scenario['id']}")) == {"id": scenario["id"], "deleted": True}
    error(api.get(f"/scenarios/{scenario['id']}"), 404, 3001)
    error(api.get(f"/scenario-actions/{actions[1]['id']}"), 404, 404)


@pytest.mark.parametrize("status", ["running", "paused"])
def test_delete_is_refused_while_a_campaign_dials_with_the_scenario(api: Api, db, status: str) -> None:
    scenario = api.create_scenario()
    with db.transaction() as session:
        campaign = campaign_service.create_campaign(
            session=session, application_id=api.tenant.application_id, name="c", scenario_id=scenario["id"]
        )
        campaign.status = status
        campaign_id = campaign.id
    body = error(api.delete(f"/scenarios/{scenario['id']}"), 409, 409, "in use", campaign_id)
    assert body["details"] == {"campaign_ids": [campaign_id]}
    assert result(api.get(f"/scenarios/{scenario['id']}"))["id"] == scenario["id"]
    with db.transaction() as session:
        session.get(Campaign, campaign_id).status = "completed"
    assert result(api.delete(f"/scenarios/{scenario['id']}"))["deleted"] is True


def test_a_put_that_changes_nothing_keeps_the_version_and_the_status(api: Api) -> None:
    scenario = api.approved_scenario()
    current = result(api.get(f"/scenarios/{scenario['id']}"))
    same = result(
        api.put(
            f"/scenarios/{scenario['id']}", {"name": current["name"], "callConfig": {"maxConcurrent": 10}}
        )
    )
    assert (same["version"], same["status"]) == (current["version"], "ACTIVE")
    start = api.action(scenario["id"], "start")
    api.update_action(start["id"], contentText=start["content_text"])
    assert result(api.get(f"/scenarios/{scenario['id']}"))["version"] == current["version"]


def test_an_unexpected_fault_answers_unknown_error_9999(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from aicall.scenarios import service

    def broken(**_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "list_scenarios", broken)
    body = error(api.get("/scenarios"), 500, 9999)
    assert body == {"status": 0, "code": 9999, "message": "Unknown error"}
