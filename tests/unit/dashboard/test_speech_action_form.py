"""The dashboard's action form opens a menu whose responses are spoken (no key) without failing."""

from __future__ import annotations

from types import SimpleNamespace

from aicall.dashboard.pages.scenario_forms import action_values


def test_a_spoken_response_has_an_empty_key_in_the_form() -> None:
    action = SimpleNamespace(
        label="ask", type="INTERACTIVE_MENU", content_text="Anh có đồng ý không?", next_action_id=None,
        transfer_to=None, timeout=5.0, max_retries=1, no_input_action_id=None, invalid_action_id=None,
        response_type="KEYPAD_OR_SPEECH",
        responses=[{"intent": "yes", "next_action_id": "bye"}, {"key_pad_match": "1", "next_action_id": "x"}],
    )  # fmt: skip
    values = action_values(action)
    assert values["responses[0].keyPadMatch"] == "" and values["responses[1].keyPadMatch"] == "1"
    assert (values["responses[0].intent"], values["responses[1].intent"]) == ("yes", "")
    assert values["responseSetting.responseType"] == "KEYPAD_OR_SPEECH"
