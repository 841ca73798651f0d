"""Scenario actions: create each type, partial updates, links, deletes."""

from __future__ import annotations

import pytest

from tests.integration.scenarios.helpers import Api, error, result
from tests.integration.support import make_tenant


def test_each_action_type_answers_with_its_own_fields(api: Api) -> None:
    scenario = api.create_scenario()
    sid = scenario["id"]
    menu = api.create_action(sid, label="menu", type="INTERACTIVE_MENU", contentText="Bấm phím")
    message = api.create_action(
        sid, label="msg", type="PLAY_MESSAGE", contentText="Thông báo", nextActionId=menu["id"]
    )
    end = api.create_action(sid, label="end", type="END_CALL", contentText="Tạm biệt")
    transfer = api.create_action(
        sid, label="agent", type="TRANSFER_CALL", contentText="Xin chờ", transferTo="+84901234567"
    )
    common = {"id", "scenario_id", "type", "label", "action_inputs", "created_at", "updated_at"}
    content = {"content_type", "content_text"}
    assert set(menu) == common | content | {"response_setting", "responses"}
    assert menu["response_setting"] == {
        "response_type": "KEYPAD", "timeout": 5, "max_retries": 2,
        "no_input_action_id": None, "invalid_action_id": None,
    }  # fmt: skip
    assert set(message) == common | content | {"next_action_id"}
    assert message["next_action_id"] == menu["id"]
    assert set(end) == common | content
    assert set(transfer) == common | content | {"transfer_to"}
    assert transfer["transfer_to"] == "+84901234567"
    assert [a["type"] for a in api.actions(sid)] == [
        "OUTBOUND_CALL", "INTERACTIVE_MENU", "INTERACTIVE_MENU", "PLAY_MESSAGE", "END_CALL", "TRANSFER_CALL",
    ]  # fmt: skip
    assert result(api.get(f"/scenario-actions/{end['id']}")) == end


def test_an_action_without_a_type_is_a_menu(api: Api) -> None:
    scenario = api.create_scenario()
    assert api.create_action(scenario["id"], label="x")["type"] == "INTERACTIVE_MENU"


def test_put_changes_only_the_fields_it_names_and_responses_replace_the_whole_list(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    a = api.create_action(scenario["id"], label="a", contentText="A")
    b = api.create_action(scenario["id"], label="b", contentText="B")
    api.update_action(start["id"], contentText="Chọn", responseSetting={"timeout": 7, "maxRetries": 1})
    api.update_action(
        start["id"],
        responses=[
            {"keyPadMatch": "1", "nextActionId": a["id"]},
            {"keyPadMatch": "#", "nextActionId": b["id"]},
        ],
    )
    after = api.update_action(start["id"], responseSetting={"noInputActionId": b["id"]})
    assert after["content_text"] == "Chọn"
    assert after["response_setting"]["timeout"] == 7 and after["response_setting"]["max_retries"] == 1
    assert after["response_setting"]["no_input_action_id"] == b["id"]
    assert [r["key_pad_match"] for r in after["responses"]] == ["1", "#"]
    relinked = api.update_action(start["id"], responses=[{"keyPadMatch": 2, "nextActionId": a["id"]}])
    assert [(r["key_pad_match"], r["next_action_id"]) for r in relinked["responses"]] == [("2", a["id"])]
    cleared = api.update_action(start["id"], responses=[])
    assert cleared["responses"] == []


def test_response_ids_are_stable_across_reads(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    a = api.create_action(scenario["id"], label="a")
    first = api.update_action(start["id"], responses=[{"keyPadMatch": "1", "nextActionId": a["id"]}])
    again = api.action(scenario["id"], "start")
    assert first["responses"][0]["id"] == again["responses"][0]["id"]
    [entry] = api.action(scenario["id"], "a")["action_inputs"]
    assert entry["output_id"] == first["responses"][0]["id"] and entry["action_id"] == a["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "OUTBOUND_CALL"}, "type"),
        ({"type": "DANCE"}, "type"),
        ({"contentType": "AUDIO"}, "contentType"),
        ({"responseSetting": {"responseType": "VOICE"}}, "responseSetting.responseType"),
        ({"responseSetting": {"timeout": 0}}, "responseSetting.timeout"),
        ({"responseSetting": {"timeout": 61}}, "responseSetting.timeout"),
        ({"responses": [{"keyPadMatch": "A", "nextActionId": None}]}, "responses[0].keyPadMatch"),
        ({"responses": [{"keyPadMatch": "1"}, {"keyPadMatch": "1"}]}, "responses"),
    ],
)
def test_invalid_action_bodies_fail_naming_the_field(api: Api, body: dict[str, object], field: str) -> None:
    scenario = api.create_scenario()
    answer = error(api.post("/scenario-actions", {"scenarioId": scenario["id"], **body}), 400, 400, field)
    assert answer["details"][0]["field"] == field


def test_scenario_id_is_required_to_create_or_list_actions(api: Api) -> None:
    error(api.post("/scenario-actions", {"type": "END_CALL"}), 400, 400, "scenarioId")
    listed = error(api.get("/scenario-actions"), 400, 400, "scenarioId")
    # Named in `details` too, as every other missing field is (it had none).
    assert listed["details"] == [{"field": "scenarioId", "message": "is required"}]


def test_the_root_cannot_be_deleted_and_only_its_first_action_can_change(api: Api) -> None:
    scenario = api.create_scenario()
    root = api.actions(scenario["id"])[0]
    error(api.delete(f"/scenario-actions/{root['id']}"), 400, 400, "root cannot be deleted")
    error(api.put(f"/scenario-actions/{root['id']}", {"contentText": "x"}), 400, 400, "contentText")
    other = api.create_action(scenario["id"], label="greeting", type="PLAY_MESSAGE", contentText="Chào")
    moved = api.update_action(root["id"], nextActionId=other["id"])
    assert moved["system_outputs"][0]["next_action_id"] == other["id"]


def test_an_action_something_links_to_cannot_be_deleted_until_unlinked(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    target = api.create_action(scenario["id"], label="target", type="END_CALL")
    api.update_action(start["id"], responses=[{"keyPadMatch": "1", "nextActionId": target["id"]}])
    body = error(api.delete(f"/scenario-actions/{target['id']}"), 409, 409, "linked from 'start'")
    assert body["details"] == {"linked_from": ["start"]}
    error(api.delete(f"/scenario-actions/{start['id']}"), 409, 409, "OUTBOUND_CALL")
    api.update_action(start["id"], responses=[])
    assert result(api.delete(f"/scenario-actions/{target['id']}")) == {"id": target["id"], "deleted": True}
    assert [a["label"] for a in api.actions(scenario["id"])] == ["OUTBOUND_CALL", "start"]


def test_changing_the_type_drops_the_fields_of_the_old_type(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    end = api.create_action(scenario["id"], label="end", type="END_CALL")
    api.update_action(start["id"], responses=[{"keyPadMatch": "1", "nextActionId": end["id"]}])
    changed = api.update_action(start["id"], type="PLAY_MESSAGE", nextActionId=end["id"])
    assert "responses" not in changed and changed["next_action_id"] == end["id"]
    assert [i["from_action_id"] for i in api.action(scenario["id"], "end")["action_inputs"]] == [start["id"]]


def test_another_applications_action_looks_exactly_like_a_missing_one(api: Api, db) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    other = Api(api.server, make_tenant(db, "Other"), db)
    for action_id in (start["id"], "f" * 24):
        for response in (
            other.get(f"/scenario-actions/{action_id}"),
            other.put(f"/scenario-actions/{action_id}", {"label": "mine"}),
            other.delete(f"/scenario-actions/{action_id}"),
        ):
            assert error(response, 404, 404) == {
                "status": 0,
                "code": 404,
                "message": "Scenario action not found",
            }
    assert api.action(scenario["id"], "start")["label"] == "start"
