"""What stops a scenario from being saved, submitted or approved, one rule per test."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from aicall.errors import ValidationFailed
from aicall.scenarios import service
from aicall.scenarios.models import Scenario, ScenarioAction
from tests.integration.scenarios.helpers import Api, error, result


def submit_error(api: Api, scenario_id: str, *contains: str) -> dict[str, Any]:
    body = error(api.post(f"/scenarios/{scenario_id}/submit"), 400, 400, "Validation Failed", *contains)
    assert result(api.get(f"/scenarios/{scenario_id}"))["status"] == "DRAFT"
    return body


def test_a_link_to_an_action_that_does_not_exist_is_refused(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    missing = "a" * 24
    for body, field in [
        ({"responses": [{"keyPadMatch": "1", "nextActionId": missing}]}, "responses[0].nextActionId"),
        ({"responseSetting": {"invalidActionId": missing}}, "responseSetting.invalidActionId"),
    ]:
        error(
            api.put(f"/scenario-actions/{start['id']}", body),
            400,
            400,
            field,
            "not an action of this scenario",
        )
    error(
        api.post(
            "/scenario-actions",
            {"scenarioId": scenario["id"], "type": "PLAY_MESSAGE", "nextActionId": missing},
        ),
        400, 400, "nextActionId", missing,
    )  # fmt: skip


def test_a_link_to_an_action_of_another_scenario_is_refused(api: Api) -> None:
    mine = api.create_scenario(name="mine")
    theirs = api.create_scenario(name="theirs")
    start = api.action(mine["id"], "start")
    foreign = api.action(theirs["id"], "start")
    error(
        api.put(
            f"/scenario-actions/{start['id']}",
            {"responses": [{"keyPadMatch": "1", "nextActionId": foreign["id"]}]},
        ),
        400, 400, "responses[0].nextActionId", "not an action of this scenario",
    )  # fmt: skip
    assert api.action(mine["id"], "start")["responses"] == []


def test_a_dangling_link_already_stored_stops_the_submission(api: Api, db) -> None:
    # Links are checked when written; this proves submit checks them again (rows edited by hand,
    # an import, a bug): the graph the dialer gets is never broken.
    scenario = api.runnable_scenario()
    start = api.action(scenario["id"], "start")
    other = api.create_scenario(name="other")
    foreign = api.action(other["id"], "start")
    with db.transaction() as session:
        session.execute(
            update(ScenarioAction)
            .where(ScenarioAction.id == start["id"])
            .values(responses=[{"key_pad_match": "1", "next_action_id": foreign["id"]}])
        )
    body = submit_error(
        api, scenario["id"], "actions[start].responses[0].nextActionId", "not an action of this scenario"
    )
    assert body["details"][0]["field"] == "actions[start].responses[0].nextActionId"


def test_an_unknown_placeholder_is_refused_when_written_and_when_submitted(api: Api) -> None:
    scenario = api.runnable_scenario()
    start = api.action(scenario["id"], "start")
    error(
        api.put(f"/scenario-actions/{start['id']}", {"contentText": "Chào {{ten_cong_ty}}"}),
        400, 400, "contentText", "{{ten_cong_ty}}", "ho_ten, so_tien",
    )  # fmt: skip
    # Display names are placeholders too.
    assert api.update_action(start["id"], contentText="Chào {{Họ tên}}, nợ {{ so_tien }}.")["content_text"]
    # A field removed after the prompt was written: the submission names what broke.
    result(api.put(f"/scenarios/{scenario['id']}", {"personalizedFields": [{"name": "Họ tên"}]}))
    submit_error(api, scenario["id"], "actions[start].contentText", "{{so_tien}}")


def test_an_unknown_reading_type_is_refused(api: Api) -> None:
    body = error(
        api.post(
            "/scenarios", {"name": "x", "personalizedFields": [{"name": "Số tiền", "readingType": "MONEY"}]}
        ),
        400, 400, "personalizedFields[0].readingType", "MONEY", "CURRENCY",
    )  # fmt: skip
    assert body["details"][0]["field"] == "personalizedFields[0].readingType"
    scenario = api.create_scenario()
    error(
        api.put(
            f"/scenarios/{scenario['id']}", {"personalizedFields": [{"name": "a", "readingType": "ROMAN"}]}
        ),
        400, 400, "personalizedFields[0].readingType",
    )  # fmt: skip


def test_an_unknown_voice_code_is_refused(api: Api) -> None:
    error(
        api.post("/scenarios", {"name": "x", "ttsConfig": {"voiceCode": "robot_voice_1"}}),
        400, 400, "ttsConfig.voiceCode", "robot_voice_1",
    )  # fmt: skip
    scenario = api.create_scenario()
    error(
        api.put(f"/scenarios/{scenario['id']}", {"ttsConfig": {"voiceCode": "espeak:en"}}),
        400,
        400,
        "ttsConfig.voiceCode",
    )
    for code in ("sg_female_thaotrinh_full_48k-fhg", "espeak:vi", "openai:alloy"):
        updated = result(api.put(f"/scenarios/{scenario['id']}", {"ttsConfig": {"voiceCode": code}}))
        assert updated["tts_config"]["voice_code"] == code


def test_a_scenario_with_no_way_to_end_the_call_cannot_be_submitted(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    loop = api.create_action(scenario["id"], label="loop", contentText="Bấm 1 để quay lại")
    api.update_action(
        start["id"], contentText="Bấm 1", responses=[{"keyPadMatch": "1", "nextActionId": loop["id"]}]
    )
    api.update_action(loop["id"], responses=[{"keyPadMatch": "1", "nextActionId": start["id"]}])
    submit_error(api, scenario["id"], "no way to end the call")
    # An ending that cannot be reached does not count...
    end = api.create_action(scenario["id"], label="end", type="END_CALL")
    submit_error(api, scenario["id"], "no way to end the call")
    # ...one that can does.
    api.update_action(
        loop["id"],
        responses=[
            {"keyPadMatch": "1", "nextActionId": start["id"]},
            {"keyPadMatch": "9", "nextActionId": end["id"]},
        ],
    )
    assert api.submit(scenario["id"])["message"] == "success"


def test_a_key_that_hangs_up_is_an_ending(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    api.update_action(
        start["id"],
        contentText="Bấm 1",
        responses=[
            {"keyPadMatch": "1", "nextActionId": start["id"]},
            {"keyPadMatch": "0", "nextActionId": None},
        ],
    )
    assert api.submit(scenario["id"])["message"] == "success"


def test_a_new_scenario_has_nothing_to_say_and_cannot_be_submitted(api: Api) -> None:
    scenario = api.create_scenario()
    body = submit_error(api, scenario["id"], "actions[start].contentText", "empty")
    assert {
        "field": "actions[start].contentText",
        "message": "is empty: the action has nothing to say",
    } in body["details"]


def test_a_transfer_without_a_target_cannot_be_submitted(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    agent = api.create_action(scenario["id"], label="agent", type="TRANSFER_CALL", contentText="Xin chờ")
    api.update_action(
        start["id"], contentText="Bấm 0", responses=[{"keyPadMatch": "0", "nextActionId": agent["id"]}]
    )
    submit_error(api, scenario["id"], "actions[agent].transferTo")
    api.update_action(agent["id"], transferTo="sip:agent@example.com")
    assert api.submit(scenario["id"])["message"] == "success"


def test_approval_validates_again(api: Api, db) -> None:
    scenario = api.runnable_scenario()
    api.submit(scenario["id"])
    with db.transaction() as session:  # a voice withdrawn while the scenario waited for review
        session.execute(
            update(Scenario)
            .where(Scenario.id == scenario["id"])
            .values(tts_config={"voice_code": "nope", "speed": 1})
        )
    with pytest.raises(ValidationFailed, match=r"ttsConfig\.voiceCode"), db.transaction() as session:
        service.approve(session=session, scenario_id=scenario["id"])
    assert result(api.get(f"/scenarios/{scenario['id']}"))["status"] == "REVIEWING"
