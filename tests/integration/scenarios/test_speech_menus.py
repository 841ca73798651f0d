"""Menus that listen: responseType SPEECH / KEYPAD_OR_SPEECH, responses by intent (issue 16)."""

from __future__ import annotations

from aicall.interpreter.script import ResponseType
from aicall.scenarios.snapshot import from_json, load_script, to_json
from tests.integration.scenarios.helpers import Api, error, result


def _speech_scenario(api: Api) -> tuple[dict, dict, dict]:
    scenario = api.create_scenario()
    goodbye = api.create_action(scenario["id"], label="goodbye", type="END_CALL", contentText="Cảm ơn.")
    agent = api.create_action(scenario["id"], label="agent", type="END_CALL", contentText="Xin chờ.")
    start = api.update_action(
        api.action(scenario["id"], "start")["id"],
        contentText="Anh có xác nhận không?",
        responseSetting={"responseType": "speech"},
        responses=[
            {"intent": "yes", "nextActionId": goodbye["id"]},
            {"intent": "Agent", "phrases": ["gặp nhân viên", "tư  vấn"], "nextActionId": agent["id"]},
        ],
    )
    return scenario, start, goodbye


def test_a_speech_menu_names_intents_and_reads_back_as_written(api: Api) -> None:
    scenario, start, _goodbye = _speech_scenario(api)
    assert start["response_setting"]["response_type"] == "SPEECH"
    assert [(r["key_pad_match"], r["intent"], r["phrases"]) for r in start["responses"]] == [
        (None, "yes", []),
        (None, "agent", ["gặp nhân viên", "tư vấn"]),
    ]
    # Output ids stay distinct and lead where the responses say.
    assert len({r["id"] for r in start["responses"]}) == 2
    inputs = api.action(scenario["id"], "goodbye")["action_inputs"]
    assert [i["from_action_id"] for i in inputs] == [start["id"]]
    assert api.submit(scenario["id"])["status"] == 1


def test_the_script_a_call_runs_carries_the_intents(api: Api) -> None:
    scenario, start, _goodbye = _speech_scenario(api)
    with api.db.transaction() as session:
        script = load_script(session, scenario["id"])
    menu = script.action(start["id"])
    assert menu.response_type is ResponseType.SPEECH
    assert [(r.key, r.intent, r.phrases) for r in menu.responses] == [
        ("", "yes", ()),
        ("", "agent", ("gặp nhân viên", "tư vấn")),
    ]
    assert from_json(to_json(script)) == script


def test_keypad_or_speech_takes_both_on_one_response(api: Api) -> None:
    scenario = api.create_scenario()
    bye = api.create_action(scenario["id"], label="bye", type="END_CALL", contentText="Chào.")
    start = api.update_action(
        api.action(scenario["id"], "start")["id"],
        responseSetting={"responseType": "KEYPAD_OR_SPEECH"},
        responses=[{"keyPadMatch": "1", "intent": "yes", "nextActionId": bye["id"]}],
    )
    assert start["responses"][0]["key_pad_match"] == "1" and start["responses"][0]["intent"] == "yes"


def test_what_a_menu_listens_for_decides_what_its_responses_need(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")["id"]
    put = api.put
    error(put(f"/scenario-actions/{start}", {"responses": [{"intent": "yes"}]}), 400, 400, "keyPadMatch")
    speech = {"responseType": "SPEECH"}
    body = {"responseSetting": speech, "responses": [{"keyPadMatch": "1"}]}
    error(put(f"/scenario-actions/{start}", body), 400, 400, "intent")
    error(put(f"/scenario-actions/{start}", {"responses": [{"nextActionId": None}]}), 400, 400, "intent")
    body = {"responseSetting": speech, "responses": [{"intent": "agent"}]}
    error(put(f"/scenario-actions/{start}", body), 400, 400, "phrases")
    body = {"responseSetting": speech, "responses": [{"intent": "yes"}, {"intent": "yes"}]}
    error(put(f"/scenario-actions/{start}", body), 400, 400, "used twice")
    body = {"responseSetting": {"responseType": "VOICE"}}
    error(put(f"/scenario-actions/{start}", body), 400, 400, "responseType")


def test_keypad_menus_read_exactly_as_before(api: Api) -> None:
    scenario = api.runnable_scenario()
    start = api.action(scenario["id"], "start")
    assert set(start["responses"][0]) == {"id", "key_pad_match", "next_action_id", "opt_out"}
    assert (
        result(api.get(f"/scenario-actions/{start['id']}"))["response_setting"]["response_type"] == "KEYPAD"
    )
