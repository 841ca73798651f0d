"""Keypad menus: matches, chains, retries, the no-input and invalid paths, barge-in, multi-digit keys."""

from __future__ import annotations

from typing import Any

from aicall.calls.outcomes import EndReason
from aicall.interpreter import CallTrace, StepResult, TextPrompter, run_script
from aicall.interpreter.script import Action, ActionType, KeyResponse, Script
from aicall.interpreter.testing import Press, ScriptedSession, script_of


def menu(action_id: str, text: str, keys: dict[str, str | None], **options: Any) -> Action:
    """A menu with `keys` mapped to their targets; `options` set the other `Action` fields."""
    responses = tuple(KeyResponse(key, target) for key, target in keys.items())
    return Action(
        id=action_id,
        type=ActionType.INTERACTIVE_MENU,
        label=action_id.title(),
        content_text=text,
        responses=responses,
        **options,
    )


def end(action_id: str, text: str = "") -> Action:
    return Action(id=action_id, type=ActionType.END_CALL, content_text=text)


async def run(script: Script, session: ScriptedSession) -> CallTrace:
    return await run_script(script, session, values={}, prompter=TextPrompter())


ORDER = script_of(
    menu(
        "confirm",
        "Bấm 1 để xác nhận, bấm 2 để huỷ.",
        {"1": "thanks", "2": "sorry"},
        no_input_action_id="silent",
        invalid_action_id="confused",
    ),
    end("thanks", "Cảm ơn quý khách."),
    end("sorry", "Đơn hàng đã huỷ."),
    end("silent", "Không nhận được phím bấm."),
    end("confused", "Phím không hợp lệ."),
)


async def test_a_matching_key_follows_its_response() -> None:
    session = ScriptedSession(["1"])

    trace = await run(ORDER, session)

    assert [(s.action_id, s.result) for s in trace.steps] == [
        ("confirm", StepResult.MATCHED),
        ("thanks", StepResult.HANGUP),
    ]
    assert trace.steps[0].keys == "1"
    assert trace.keys_pressed == "1"
    assert trace.end_reason is EndReason.COMPLETED
    assert session.heard == ["Bấm 1 để xác nhận, bấm 2 để huỷ.", "Cảm ơn quý khách."]
    assert session.end_reason is EndReason.COMPLETED


async def test_the_menu_waits_for_a_key_as_long_as_its_timeout() -> None:
    script = script_of(menu("m", "Bấm 1.", {"1": None}, timeout=7.5))
    session = ScriptedSession(["1"])

    await run(script, session)

    assert session.collects[0].timeout == 7.5
    assert session.collects[0].max_digits == 1


async def test_menus_chain_from_key_to_key() -> None:
    script = script_of(
        menu("first", "Bấm 1.", {"1": "second"}),
        menu("second", "Bấm 2.", {"2": "third"}),
        menu("third", "Bấm 3.", {"3": "bye"}),
        end("bye", "Tạm biệt."),
    )

    trace = await run(script, ScriptedSession(["1", "2", "3"]))

    assert trace.path == ["first", "second", "third", "bye"]
    assert trace.keys_pressed == "123"
    assert trace.end_reason is EndReason.COMPLETED


async def test_no_input_replays_the_prompt_then_takes_the_no_input_path() -> None:
    session = ScriptedSession(["", "", ""])

    trace = await run(ORDER, session)

    assert [(s.action_id, s.repeat, s.result) for s in trace.steps] == [
        ("confirm", 0, StepResult.NO_INPUT),
        ("confirm", 1, StepResult.NO_INPUT),
        ("confirm", 2, StepResult.NO_INPUT),
        ("silent", 0, StepResult.HANGUP),
    ]
    assert session.heard.count("Bấm 1 để xác nhận, bấm 2 để huỷ.") == 3  # first play + max_retries=2
    assert trace.keys_pressed == ""


async def test_a_key_on_a_replay_is_followed() -> None:
    trace = await run(ORDER, ScriptedSession(["", "2"]))

    assert [(s.repeat, s.result) for s in trace.steps[:2]] == [
        (0, StepResult.NO_INPUT),
        (1, StepResult.MATCHED),
    ]
    assert trace.path == ["confirm", "sorry"]


async def test_an_unmatched_key_replays_then_takes_the_invalid_path() -> None:
    trace = await run(ORDER, ScriptedSession(["9", "8", "7"]))

    assert [s.result for s in trace.steps] == [StepResult.INVALID] * 3 + [StepResult.HANGUP]
    assert trace.path == ["confirm", "confused"]
    assert trace.keys_pressed == "987"


async def test_the_last_try_decides_between_no_input_and_invalid() -> None:
    assert (await run(ORDER, ScriptedSession(["9", "9", ""]))).path == ["confirm", "silent"]
    assert (await run(ORDER, ScriptedSession(["", "", "9"]))).path == ["confirm", "confused"]


async def test_no_retries_means_one_play() -> None:
    script = script_of(menu("m", "Bấm 1.", {"1": None}, max_retries=0, no_input_action_id="bye"), end("bye"))

    trace = await run(script, ScriptedSession([""]))

    assert [(s.action_id, s.result) for s in trace.steps] == [
        ("m", StepResult.NO_INPUT),
        ("bye", StepResult.HANGUP),
    ]


async def test_a_menu_without_a_fallback_ends_the_call_after_its_retries() -> None:
    script = script_of(menu("m", "Bấm 1.", {"1": None}, max_retries=1))
    session = ScriptedSession([])

    trace = await run(script, session)

    assert [s.result for s in trace.steps] == [StepResult.NO_INPUT, StepResult.NO_INPUT]
    assert trace.end_reason is EndReason.COMPLETED
    assert session.hangups == 1


async def test_a_response_without_a_target_ends_the_call() -> None:
    session = ScriptedSession(["2"])
    script = script_of(menu("m", "Bấm 2 để kết thúc.", {"1": "m", "2": None}))

    trace = await run(script, session)

    assert [s.result for s in trace.steps] == [StepResult.MATCHED]
    assert trace.end_reason is EndReason.COMPLETED
    assert session.ended


async def test_a_key_during_the_prompt_interrupts_it_when_barge_in_is_on() -> None:
    session = ScriptedSession([Press("1", during_prompt=True)])

    trace = await run(ORDER, session)

    assert trace.steps[0].interrupted
    assert session.played[0].barge_in
    assert trace.path == ["confirm", "thanks"]


async def test_a_key_during_the_prompt_waits_for_its_end_when_barge_in_is_off() -> None:
    script = script_of(menu("m", "Nghe hết rồi bấm.", {"1": "bye"}, barge_in=False), end("bye"))
    session = ScriptedSession([Press("1", during_prompt=True)])

    trace = await run(script, session)

    assert not session.played[0].barge_in
    assert not trace.steps[0].interrupted
    assert trace.steps[0].result is StepResult.MATCHED


async def test_multi_digit_keys_are_collected_whole() -> None:
    script = script_of(
        menu("m", "Nhập mã.", {"12": "twelve", "3": "three"}),
        end("twelve", "Mười hai."),
        end("three", "Ba."),
    )
    session = ScriptedSession(["12"])

    trace = await run(script, session)

    assert session.collects[0].max_digits == 2
    assert session.collects[0].terminator == "#"
    assert trace.path == ["m", "twelve"]
    assert trace.keys_pressed == "12"


async def test_a_hash_key_is_not_taken_as_the_terminator() -> None:
    script = script_of(menu("m", "Bấm # để nghe lại.", {"#": None, "1": None}))
    session = ScriptedSession(["#"])

    trace = await run(script, session)

    assert session.collects[0].terminator is None
    assert trace.steps[0].result is StepResult.MATCHED


async def test_a_negative_retry_count_still_plays_the_menu_once() -> None:
    script = script_of(menu("m", "Bấm 1.", {"1": None}, max_retries=-1, invalid_action_id="bye"), end("bye"))

    trace = await run(script, ScriptedSession(["4"]))

    assert [(s.action_id, s.result) for s in trace.steps] == [
        ("m", StepResult.INVALID),
        ("bye", StepResult.HANGUP),
    ]
