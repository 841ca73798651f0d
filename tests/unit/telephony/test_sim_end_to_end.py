"""The interpreter driving calls on the simulator, as the dialer will: originate, then run_script."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.interpreter import CallTrace, StepResult, TextPrompter, run_script
from aicall.interpreter.script import Action, ActionType, KeyResponse
from aicall.interpreter.testing import script_of
from aicall.telephony.session import DialRequest
from aicall.telephony.sim import SimBackend, SimCallSession, SimRules

T0 = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)
VALUES = {"ho_ten": "Chị Lan", "ma_don": "DH2041"}

DELIVERY = script_of(
    Action(
        id="greet",
        type=ActionType.INTERACTIVE_MENU,
        label="Xác nhận đơn",
        content_text="Xin chào {{ho_ten}}. Đơn {{ma_don}} sắp giao. Bấm 1 để xác nhận, bấm 2 để huỷ.",
        responses=(KeyResponse("1", "slot"), KeyResponse("2", "cancelled")),
        no_input_action_id="call_back",
        invalid_action_id="call_back",
    ),
    Action(
        id="slot",
        type=ActionType.INTERACTIVE_MENU,
        label="Chọn giờ giao",
        content_text="Bấm 1 giao buổi sáng, bấm 2 buổi chiều, bấm 9 gặp nhân viên.",
        responses=(KeyResponse("1", "morning"), KeyResponse("2", "afternoon"), KeyResponse("9", "agent")),
        no_input_action_id="call_back",
    ),
    Action(id="morning", type=ActionType.END_CALL, content_text="Đơn sẽ giao buổi sáng. Cảm ơn."),
    Action(id="afternoon", type=ActionType.END_CALL, content_text="Đơn sẽ giao buổi chiều. Cảm ơn."),
    Action(id="cancelled", type=ActionType.END_CALL, content_text="Đơn {{ma_don}} đã huỷ."),
    Action(id="call_back", type=ActionType.END_CALL, content_text="Chúng tôi sẽ gọi lại sau."),
    Action(
        id="agent", type=ActionType.TRANSFER_CALL, content_text="Xin chờ.", transfer_to="sip:cskh@pbx.example"
    ),
)


async def call(
    backend: SimBackend, number: str, *, max_duration: float = 300.0
) -> tuple[CallTrace, SimCallSession]:
    request = DialRequest(
        call_id=f"c-{number}", to_number=number, from_number="+842873001234", max_duration=max_duration
    )
    result = await backend.originate(request)
    assert result.outcome is CallOutcome.ANSWERED
    assert isinstance(result.session, SimCallSession)
    session = result.session
    trace = await run_script(DELIVERY, session, values=VALUES, prompter=TextPrompter(), clock=session.now)
    return trace, session


def results(trace: CallTrace) -> list[tuple[str, str]]:
    return [(step.action_id, step.result.value) for step in trace.steps]


async def test_a_phone_ending_in_1_confirms_then_stays_silent() -> None:
    trace, session = await call(SimBackend(time_scale=0, clock=lambda: T0), "+84901000001")

    assert results(trace) == [
        ("greet", "matched"),
        ("slot", "no_input"),
        ("slot", "no_input"),
        ("slot", "no_input"),
        ("call_back", "hangup"),
    ]
    assert trace.steps[0].interrupted  # pressed a second into the greeting
    assert trace.steps[0].text == "Xin chào Chị Lan. Đơn DH2041 sắp giao. Bấm 1 để xác nhận, bấm 2 để huỷ."
    assert trace.keys_pressed == "1"
    assert trace.end_reason is EndReason.COMPLETED
    assert session.end_reason is EndReason.COMPLETED
    assert session.keys_sent == ["1"]
    assert session.heard[-1] == "Chúng tôi sẽ gọi lại sau."
    assert trace.steps[0].at == session.answered_at  # the trace is stamped in call time
    assert trace.ended_at == session.ended_at


async def test_a_phone_ending_in_2_cancels() -> None:
    trace, session = await call(SimBackend(time_scale=0), "+84901000002")

    assert results(trace) == [("greet", "matched"), ("cancelled", "hangup")]
    assert trace.keys_pressed == "2"
    assert session.heard[-1] == "Đơn DH2041 đã huỷ."
    assert trace.end_reason is EndReason.COMPLETED


async def test_a_phone_ending_in_5_hangs_up_during_the_greeting() -> None:
    trace, session = await call(SimBackend(time_scale=0), "+84901000005")

    assert results(trace) == [("greet", "ended")]
    assert trace.end_reason is EndReason.REMOTE_HANGUP
    assert session.end_reason is EndReason.REMOTE_HANGUP
    assert trace.keys_pressed == ""


async def test_a_phone_ending_in_7_never_answers_the_menu() -> None:
    trace, session = await call(SimBackend(time_scale=0), "+84901000007")

    assert results(trace) == [("greet", "no_input")] * 3 + [("call_back", "hangup")]
    assert [step.repeat for step in trace.steps[:3]] == [0, 1, 2]
    assert trace.end_reason is EndReason.COMPLETED
    greeting = len(trace.steps[0].text) * 0.06
    goodbye = len("Chúng tôi sẽ gọi lại sau.") * 0.06
    assert abs(session.duration - (3 * (greeting + 5.0) + goodbye)) < 1e-6


async def test_a_rules_file_walks_both_menu_levels(tmp_path: Path) -> None:
    path = tmp_path / "phones.toml"
    path.write_text(
        '[[rules]]\nnumber = "+84911111111"\nkeys = ["1", "2"]\n\n'
        '[[rules]]\nnumber = "+84922222222"\nkeys = ["", "1", "9"]\n',
        encoding="utf-8",
    )
    backend = SimBackend(time_scale=0, rules=SimRules.load(path))

    afternoon, _ = await call(backend, "+84911111111")
    agent, session = await call(backend, "+84922222222")

    assert afternoon.path == ["greet", "slot", "afternoon"]
    assert afternoon.keys_pressed == "12"
    assert results(agent) == [
        ("greet", "no_input"),
        ("greet", "matched"),
        ("slot", "matched"),
        ("agent", "transferred"),
    ]
    assert agent.end_reason is EndReason.TRANSFERRED
    assert session.transferred_to == "sip:cskh@pbx.example"


async def test_the_time_limit_cuts_a_silent_callee_short() -> None:
    trace, session = await call(SimBackend(time_scale=0), "+84901000007", max_duration=12.0)

    assert trace.end_reason is EndReason.MAX_DURATION
    assert trace.steps[-1].result is StepResult.ENDED
    assert session.duration == 12.0


async def test_a_scaled_call_takes_a_fraction_of_its_length() -> None:
    backend = SimBackend(time_scale=0.002)
    loop = asyncio.get_running_loop()
    began = loop.time()

    trace, session = await call(backend, "+84901000007")

    assert trace.end_reason is EndReason.COMPLETED
    real = loop.time() - began
    assert session.duration > 20  # three greetings and three five-second waits
    assert real < (session.duration + 4) * 0.002 + 0.5


async def test_a_thousand_scripted_calls_run_concurrently_at_scale_zero() -> None:
    backend = SimBackend(time_scale=0)

    async def one(index: int) -> str:
        number = f"+849{index:08d}"
        request = DialRequest(call_id=f"load-{index}", to_number=number, from_number="+842873001234")
        result = await backend.originate(request)
        if result.session is None:
            return result.outcome.value
        trace = await run_script(DELIVERY, result.session, values=VALUES, prompter=TextPrompter())
        return "/".join(trace.path)

    paths = Counter(await asyncio.wait_for(asyncio.gather(*(one(index) for index in range(1000))), 60))

    assert paths == {
        "greet/slot/call_back": 300,  # last digits 1, 9, 0
        "greet/cancelled": 100,
        "busy": 100,
        "no_answer": 100,
        "greet": 100,  # 5: hung up during the greeting
        "rejected": 100,
        "greet/call_back": 100,  # 7: silent
        "invalid_number": 100,
    }
    assert backend.live == set()  # every answered call was hung up
