"""The speech-menu form of the dashboard <-> the API's request body, and where errors land."""

from __future__ import annotations

from types import SimpleNamespace

from aicall.dashboard.pages.scenario_forms import (
    CUSTOM_INTENT,
    action_payload,
    action_values,
    on_response_inputs,
    split_phrases,
)
from aicall.scenarios.schemas import ActionUpdate, parse


def test_phrases_are_one_a_line_or_comma_separated_and_blank_ones_are_dropped() -> None:
    assert split_phrases("có, vâng\n đúng rồi ,,\n\n") == ["có", "vâng", "đúng rồi"]
    assert split_phrases("  ") == []


def test_a_form_row_becomes_a_key_a_built_in_intent_or_an_own_intent_with_its_phrases() -> None:
    form = {
        "contentText": "Anh có đồng ý không?",
        "responseSetting.responseType": "KEYPAD_OR_SPEECH",
        "responses[0].keyPadMatch": "1",
        "responses[0].intent": "yes",
        "responses[0].nextActionId": "bye",
        "responses[1].intent": CUSTOM_INTENT,
        "responses[1].customIntent": "hoi_gia",
        "responses[1].phrases": "giá bao nhiêu, bao nhiêu tiền",
        "responses[1].nextActionId": "price",
        "responses[2].customIntent": "gap_nguoi",  # a name typed, the select left alone: still meant
        "responses[2].phrases": "gặp người thật",
        "responses[3].intent": "stop_calling",
        "responses[3].optOut": "1",
        "responses[4].intent": "",  # an empty row
        "responses[4].phrases": " ",
    }
    payload, _shown = action_payload(form, current_type="INTERACTIVE_MENU")

    assert payload["responseSetting"]["responseType"] == "KEYPAD_OR_SPEECH"
    assert payload["responses"] == [
        {"keyPadMatch": "1", "nextActionId": "bye", "intent": "yes"},
        {"keyPadMatch": None, "nextActionId": "price", "intent": "hoi_gia",
         "phrases": ["giá bao nhiêu", "bao nhiêu tiền"]},
        {"keyPadMatch": None, "nextActionId": None, "intent": "gap_nguoi", "phrases": ["gặp người thật"]},
        {"keyPadMatch": None, "nextActionId": None, "intent": "stop_calling", "optOut": True},
    ]  # fmt: skip
    parse(ActionUpdate, payload)  # the API's schema takes it as it is


def test_a_stored_speech_menu_fills_the_form_it_was_saved_from() -> None:
    action = SimpleNamespace(
        label="ask", type="INTERACTIVE_MENU", content_text="Anh có đồng ý không?", next_action_id=None,
        transfer_to=None, timeout=6.0, max_retries=1, no_input_action_id=None, invalid_action_id=None,
        response_type="SPEECH",
        responses=[
            {"intent": "yes", "phrases": ["chuẩn luôn"], "next_action_id": "bye"},
            {"intent": "hoi_gia", "phrases": ["giá bao nhiêu", "bao nhiêu tiền"], "next_action_id": "price"},
            {"intent": "stop_calling", "next_action_id": None, "opt_out": True},
        ],
    )  # fmt: skip
    values = action_values(action)
    assert (values["responses[0].intent"], values["responses[0].customIntent"]) == ("yes", "")
    assert values["responses[0].phrases"] == "chuẩn luôn"
    assert (values["responses[1].intent"], values["responses[1].customIntent"]) == (CUSTOM_INTENT, "hoi_gia")
    assert values["responses[1].phrases"] == "giá bao nhiêu\nbao nhiêu tiền"
    assert values["responses[2].optOut"] == "1" and values["responses[0].optOut"] == ""

    again, _shown = action_payload(values, current_type="INTERACTIVE_MENU")
    assert [(r.get("intent"), r.get("phrases"), r.get("optOut", False)) for r in again["responses"]] == [
        ("yes", ["chuẩn luôn"], False),
        ("hoi_gia", ["giá bao nhiêu", "bao nhiêu tiền"], False),
        ("stop_calling", None, True),
    ]


def test_errors_of_a_row_land_on_the_input_the_row_shows() -> None:
    found = [
        ("responses[0].phrases[2]", "String should have at most 100 characters"),
        ("responses[1]", "a response needs a keyPadMatch (keypad) or an intent (speech)"),
        ("responses[2]", "intent 'hoi_gia' is not built in (yes, no): give its phrases"),
        ("actions[start].responses[0]", "a response needs a key or an intent"),
        ("contentText", "is empty"),
    ]
    assert on_response_inputs(found, "SPEECH") == [
        ("responses[0].phrases", "phrase 3: String should have at most 100 characters"),
        ("responses[1].intent", "a response needs a keyPadMatch (keypad) or an intent (speech)"),
        ("responses[2].phrases", "intent 'hoi_gia' is not built in (yes, no): give its phrases"),
        ("actions[start].responses[0].intent", "a response needs a key or an intent"),
        ("contentText", "is empty"),
    ]
    assert on_response_inputs([("responses[1]", "x")], "KEYPAD") == [("responses[1].keyPadMatch", "x")]
