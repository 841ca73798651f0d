"""How a run ends: messages, goodbyes, transfers, hang-ups, time limits, faults and cycles."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from aicall.calls.outcomes import EndReason
from aicall.interpreter import CallTrace, StepResult, TextPrompter, run_script
from aicall.interpreter.script import Action, ActionType, KeyResponse, Script
from aicall.interpreter.testing import ScriptedSession, StepClock, script_of
from aicall.media import Audio


def message(action_id: str, text: str, next_action_id: str | None = None) -> Action:
    return Action(
        id=action_id, type=ActionType.PLAY_MESSAGE, content_text=text, next_action_id=next_action_id
    )


def menu(action_id: str, text: str, keys: dict[str, str | None]) -> Action:
    return Action(
        id=action_id,
        type=ActionType.INTERACTIVE_MENU,
        content_text=text,
        responses=tuple(KeyResponse(key, target) for key, target in keys.items()),
    )


def transfer(action_id: str, target: str | None) -> Action:
    return Action(id=action_id, type=ActionType.TRANSFER_CALL, content_text="Xin chờ.", transfer_to=target)


async def run(script: Script, session: ScriptedSession, values: Mapping[str, str] | None = None) -> CallTrace:
    return await run_script(script, session, values=values or {}, prompter=TextPrompter())


async def test_messages_play_in_order_then_the_call_is_hung_up() -> None:
    script = script_of(
        message("hello", "Xin chào {{ho_ten}}.", "info"), message("info", "Đơn {{ma_don}} đã giao.")
    )
    session = ScriptedSession()

    trace = await run(script, session, {"ho_ten": "Anh Minh", "ma_don": "DH01"})

    assert session.heard == ["Xin chào Anh Minh.", "Đơn DH01 đã giao."]
    assert [s.result for s in trace.steps] == [StepResult.PLAYED, StepResult.PLAYED]
    assert [s.text for s in trace.steps] == session.heard
    assert all(not prompt.barge_in for prompt in session.played)
    assert trace.end_reason is EndReason.COMPLETED
    assert session.hangups == 1


async def test_an_empty_goodbye_hangs_up_without_playing() -> None:
    session = ScriptedSession()

    trace = await run(script_of(Action(id="bye", type=ActionType.END_CALL)), session)

    assert session.played == []
    assert [(s.action_id, s.result, s.text) for s in trace.steps] == [("bye", StepResult.HANGUP, "")]
    assert session.end_reason is EndReason.COMPLETED


async def test_a_script_with_nothing_after_the_answer_just_hangs_up() -> None:
    session = ScriptedSession()

    trace = await run(script_of(), session)

    assert trace.steps == []
    assert trace.end_reason is EndReason.COMPLETED
    assert session.hangups == 1


async def test_a_transfer_plays_its_prompt_and_hands_the_call_over() -> None:
    session = ScriptedSession()

    trace = await run(script_of(transfer("agent", "sip:agent@pbx.example")), session)

    assert session.heard == ["Xin chờ."]
    assert session.transfers == ["sip:agent@pbx.example"]
    assert trace.steps[0].result is StepResult.TRANSFERRED
    assert trace.transferred_to == "sip:agent@pbx.example"
    assert trace.end_reason is EndReason.TRANSFERRED
    assert session.hangups == 0  # the call left with the transfer; nothing to hang up


async def test_a_refused_transfer_ends_the_call_as_an_error() -> None:
    session = ScriptedSession(accept_transfer=False)

    trace = await run(script_of(transfer("agent", "+84281234567")), session)

    assert trace.steps[0].result is StepResult.TRANSFER_FAILED
    assert trace.end_reason is EndReason.ERROR
    assert trace.error == "transfer to +84281234567 was refused"
    assert trace.transferred_to is None
    assert session.end_reason is EndReason.COMPLETED  # we hung up


async def test_a_transfer_without_a_target_is_an_error() -> None:
    trace = await run(script_of(transfer("agent", None)), ScriptedSession())

    assert trace.end_reason is EndReason.ERROR
    assert trace.error is not None and "no target" in trace.error


async def test_a_hang_up_during_a_prompt_stops_the_run() -> None:
    script = script_of(message("hello", "Xin chào.", "menu"), menu("menu", "Bấm 1.", {"1": None}))
    session = ScriptedSession(["1"], end_on_play=2)

    trace = await run(script, session)

    assert [(s.action_id, s.result) for s in trace.steps] == [
        ("hello", StepResult.PLAYED),
        ("menu", StepResult.ENDED),
    ]
    assert trace.end_reason is EndReason.REMOTE_HANGUP
    assert session.collects == []
    assert session.hangups == 0  # nobody left to hang up on


async def test_the_time_limit_ends_the_call_while_waiting_for_a_key() -> None:
    script = script_of(menu("first", "Bấm 1.", {"1": "second"}), menu("second", "Bấm 2.", {"2": None}))
    session = ScriptedSession(["1"], end_on_collect=2, end_reason=EndReason.MAX_DURATION)

    trace = await run(script, session)

    assert [(s.action_id, s.result) for s in trace.steps] == [
        ("first", StepResult.MATCHED),
        ("second", StepResult.ENDED),
    ]
    assert trace.end_reason is EndReason.MAX_DURATION
    assert trace.keys_pressed == "1"


async def test_a_call_already_over_ends_at_the_first_prompt() -> None:
    session = ScriptedSession()
    await session.transfer("elsewhere")

    trace = await run(script_of(message("hello", "Xin chào.")), session)

    assert trace.end_reason is EndReason.TRANSFERRED
    assert trace.steps[0].result is StepResult.ENDED


async def test_a_cyclic_script_is_stopped_by_the_loop_guard() -> None:
    script = script_of(message("a", "A.", "b"), message("b", "B.", "a"))
    session = ScriptedSession()

    trace = await run_script(script, session, values={}, prompter=TextPrompter(), max_steps=10)

    assert len(trace.steps) == 10
    assert trace.end_reason is EndReason.ERROR
    assert trace.error is not None and "loop guard" in trace.error
    assert session.end_reason is EndReason.COMPLETED


async def test_the_loop_guard_defaults_to_a_hundred_actions() -> None:
    script = script_of(menu("a", "A.", {"1": "b"}), menu("b", "B.", {"1": "a"}))

    trace = await run(script, ScriptedSession(["1"] * 500))

    assert len(trace.steps) == 100
    assert trace.end_reason is EndReason.ERROR


async def test_a_prompt_that_cannot_be_rendered_ends_the_call_with_the_reason() -> None:
    script = script_of(message("hello", "Xin chào.", "debt"), message("debt", "Quý khách nợ {{so_tien}}."))
    session = ScriptedSession()

    trace = await run(script, session)

    assert [s.result for s in trace.steps] == [StepResult.PLAYED, StepResult.ERROR]
    assert trace.end_reason is EndReason.ERROR
    assert trace.error is not None and "{{so_tien}}" in trace.error and "'debt'" in trace.error
    assert session.heard == ["Xin chào."]
    assert session.ended


async def test_any_prompter_fault_is_caught_and_recorded() -> None:
    class BrokenTts:
        async def render(self, template: str, values: Mapping[str, str]) -> Audio:
            raise ConnectionError("TTS server unreachable")

    session = ScriptedSession()

    trace = await run_script(script_of(message("m", "Xin chào.")), session, values={}, prompter=BrokenTts())

    assert trace.end_reason is EndReason.ERROR
    assert trace.error is not None and "TTS server unreachable" in trace.error
    assert session.ended


async def test_a_session_fault_is_caught_and_recorded() -> None:
    class FlakySession(ScriptedSession):
        async def collect_digits(
            self, *, max_digits: int = 1, timeout: float = 5.0, terminator: str | None = "#"
        ) -> str:
            raise OSError("socket closed")

    session = FlakySession()

    trace = await run(script_of(menu("m", "Bấm 1.", {"1": None})), session)

    assert trace.end_reason is EndReason.ERROR
    assert trace.error == "OSError: socket closed"
    assert trace.steps[0].result is StepResult.ERROR
    assert session.ended


async def test_a_link_to_a_missing_action_is_an_error() -> None:
    trace = await run(script_of(message("m", "Xin chào.", "nowhere")), ScriptedSession())

    assert trace.end_reason is EndReason.ERROR
    assert trace.error is not None and "'nowhere'" in trace.error


async def test_cancelling_the_run_hangs_up_the_call() -> None:
    class SlowSession(ScriptedSession):
        async def play(self, audio: Audio, *, barge_in: bool = True) -> bool:
            await asyncio.sleep(3600)
            return False

    session = SlowSession()
    task = asyncio.create_task(run(script_of(message("m", "Xin chào.")), session))
    await asyncio.sleep(0)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert session.end_reason is EndReason.COMPLETED


async def test_steps_are_stamped_by_the_injected_clock() -> None:
    clock = StepClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    script = script_of(message("a", "A.", "b"), message("b", "B."))

    trace = await run_script(script, ScriptedSession(), values={}, prompter=TextPrompter(), clock=clock)

    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert trace.started_at == start
    assert [s.at for s in trace.steps] == [start + timedelta(seconds=1), start + timedelta(seconds=2)]
    assert trace.ended_at == start + timedelta(seconds=3)


async def test_the_trace_round_trips_through_json() -> None:
    script = script_of(menu("m", "Bấm 1 {{ten}}.", {"1": "agent"}), transfer("agent", "+84281234567"))

    trace = await run(script, ScriptedSession(["", "1"]), {"ten": "Lan"})
    data = json.loads(json.dumps(trace.to_dict()))

    assert data["keys_pressed"] == "1"
    assert data["end_reason"] == "transferred"
    assert data["transferred_to"] == "+84281234567"
    assert data["steps"][0] == {
        "action_id": "m",
        "label": "",
        "type": "INTERACTIVE_MENU",
        "text": "Bấm 1 Lan.",
        "keys": "",
        "result": "no_input",
        "at": trace.steps[0].at.isoformat(),
        "repeat": 0,
        "interrupted": False,
    }
    assert CallTrace.from_dict(data) == trace
