"""Menus answered by voice, on a scripted session: match, no match, silence, faults, barge-in."""

from __future__ import annotations

from aicall.calls.outcomes import EndReason
from aicall.interpreter import CallTrace, StepResult, TextPrompter, run_script
from aicall.interpreter.script import Action, ActionType, KeyResponse, ResponseType, Script
from aicall.interpreter.testing import Press, Say, ScriptedSession, script_of
from aicall.speech.asr import EchoAsrEngine, ScriptedAsrEngine
from aicall.speech.asr_types import AsrEngine


def ask(response_type: ResponseType = ResponseType.SPEECH, **options: object) -> Script:
    responses = (
        KeyResponse("", "thanks", intent="yes"),
        KeyResponse("", "later", intent="call_back_later"),
        KeyResponse("", "bye", intent="stop_calling", opt_out=True),
        KeyResponse("", "agent", intent="agent", phrases=("gặp nhân viên",)),
    )
    if response_type is ResponseType.KEYPAD_OR_SPEECH:
        responses = (KeyResponse("1", "thanks", intent="yes"), *responses[1:])
    return script_of(
        Action(
            id="ask",
            type=ActionType.INTERACTIVE_MENU,
            content_text="Anh có xác nhận đơn hàng không?",
            responses=responses,
            response_type=response_type,
            no_input_action_id="silent",
            invalid_action_id="unclear",
            **options,  # type: ignore[arg-type]
        ),
        *(
            Action(id=name, type=ActionType.END_CALL, content_text=name)
            for name in ("thanks", "later", "bye")
        ),
        *(
            Action(id=name, type=ActionType.END_CALL, content_text=name)
            for name in ("agent", "silent", "unclear")
        ),
    )


async def run(script: Script, session: ScriptedSession, asr: AsrEngine | None = None) -> CallTrace:
    return await run_script(
        script, session, values={}, prompter=TextPrompter(), asr=asr or EchoAsrEngine(), asr_timeout=1
    )


async def test_words_that_match_an_intent_follow_its_response() -> None:
    session = ScriptedSession([Say("dạ vâng, đúng rồi ạ")])
    trace = await run(ask(), session)
    assert [(s.action_id, s.result) for s in trace.steps] == [
        ("ask", StepResult.MATCHED),
        ("thanks", StepResult.HANGUP),
    ]
    heard = trace.steps[0].heard
    assert heard is not None and heard.transcript == "dạ vâng, đúng rồi ạ" and heard.intent == "yes"
    assert heard.engine == "echo" and heard.confidence is not None and heard.confidence > 0.5
    assert session.listens[0].timeout == 5.0 and not session.listens[0].keys
    assert trace.end_reason is EndReason.COMPLETED


async def test_a_scenario_intent_and_the_opt_out_intent_are_matched_too() -> None:
    assert (await run(ask(), ScriptedSession([Say("cho tôi gặp nhân viên")]))).path[-1] == "agent"
    refused = await run(ask(), ScriptedSession([Say("đừng gọi cho tôi nữa")]))
    assert refused.path[-1] == "bye" and refused.opted_out


async def test_words_that_match_nothing_replay_then_take_the_invalid_path() -> None:
    session = ScriptedSession([Say("trời hôm nay đẹp quá"), Say("alo alo"), Say("hả")])
    trace = await run(ask(), session)
    assert [s.result for s in trace.steps[:3]] == [StepResult.INVALID] * 3
    assert trace.steps[0].heard is not None and trace.steps[0].heard.intent is None
    assert trace.path == ["ask", "unclear"]


async def test_silence_takes_the_no_input_path() -> None:
    trace = await run(ask(max_retries=1), ScriptedSession([Say(""), ""]))
    assert [s.result for s in trace.steps[:2]] == [StepResult.NO_INPUT] * 2
    assert trace.steps[0].heard is None
    assert trace.path == ["ask", "silent"]


async def test_a_failing_or_slow_recogniser_counts_as_silence_and_is_reported() -> None:
    asr = ScriptedAsrEngine.of([RuntimeError("503 from the server")])
    trace = await run(ask(max_retries=0), ScriptedSession([Say("vâng")]), asr)
    assert trace.path == ["ask", "silent"] and trace.end_reason is EndReason.COMPLETED
    heard = trace.steps[0].heard
    assert heard is not None and heard.transcript is None and "503" in (heard.error or "")
    slow = ScriptedAsrEngine.of(["vâng"], delay=5)
    trace = await run(ask(max_retries=0), ScriptedSession([Say("vâng")]), slow)
    assert trace.path == ["ask", "silent"]
    assert trace.steps[0].heard is not None and "no answer within 1 s" in (trace.steps[0].heard.error or "")


async def test_no_recogniser_configured_is_no_input_not_a_crash() -> None:
    trace = await run_script(
        ask(max_retries=0), ScriptedSession([Say("vâng")]), values={}, prompter=TextPrompter()
    )
    assert trace.path == ["ask", "silent"] and trace.error is None


async def test_speech_during_the_prompt_stops_it_when_the_action_allows() -> None:
    session = ScriptedSession([Say("vâng", during_prompt=True)])
    trace = await run(ask(), session)
    assert trace.steps[0].interrupted and session.played[0].interrupted
    held = ScriptedSession([Say("vâng", during_prompt=True)])
    trace = await run(ask(barge_in=False), held)
    assert not trace.steps[0].interrupted and not held.played[0].interrupted
    assert trace.path[-1] == "thanks"


async def test_keypad_or_speech_takes_a_key_as_well() -> None:
    session = ScriptedSession([Press("1", during_prompt=True)])
    trace = await run(ask(ResponseType.KEYPAD_OR_SPEECH), session)
    assert trace.steps[0].keys == "1" and trace.steps[0].interrupted and trace.path[-1] == "thanks"
    assert session.listens[0].keys
    spoken = await run(ask(ResponseType.KEYPAD_OR_SPEECH), ScriptedSession([Say("để lúc khác đi")]))
    assert spoken.path[-1] == "later"


async def test_what_was_heard_survives_the_trace_round_trip() -> None:
    trace = await run(ask(), ScriptedSession([Say("ừ")]))
    again = CallTrace.from_dict(trace.to_dict())
    assert again.steps[0].heard == trace.steps[0].heard
    assert "heard" not in trace.to_dict()["steps"][1]  # steps without speech read as before
