"""Answering-machine detection in the call path (issue 15): a machine ends the attempt
`voicemail` with or without a message, a person hears the scenario; `sync` holds the first prompt
until the verdict, `async` plays at once and stops for a machine. The far end is a fake line
whose media clock counts 20 ms frames, so every moment below is a frame count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.settings import CampaignSettings
from aicall.dialer.call_task import place_call
from aicall.dialer.jobs import CallJob, CallResult
from aicall.interpreter.prompter import Prompter, TextPrompter
from aicall.interpreter.script import Action, ActionType, KeyResponse, Script
from aicall.interpreter.testing import script_of

from .amd_fakes import HUMAN, LONG_GREETING, VOICEMAIL, FakeBackend, FakeLine, silence, voice

GREETING = Action(
    id="greeting",
    type=ActionType.INTERACTIVE_MENU,
    label="greeting",
    content_text="Xin chào, đây là lời nhắc lịch hẹn ngày mai của phòng khám.",
    responses=(KeyResponse(key="1", next_action_id="bye"),),
    timeout=1.0,
    max_retries=0,
)
BYE = Action(id="bye", type=ActionType.END_CALL, content_text="Cảm ơn.")
MESSAGE = Action(
    id="vm", type=ActionType.PLAY_MESSAGE, label="voicemail", content_text="Chúng tôi sẽ gọi lại."
)
SCRIPT = script_of(GREETING, BYE, MESSAGE)  # the message is reached by no key: only as voicemail


def job(**settings: Any) -> CallJob:
    return CallJob(
        attempt_id="a1",
        attempt_number=1,
        contact_id="c1",
        campaign_id="k1",
        application_id="p1",
        account_id="acc1",
        phone="+84987654321",
        tags={},
        hotline="+842873001234",
        trunk=None,
        settings=CampaignSettings(**settings),
        script=SCRIPT,
        reserved=0,
        price_per_minute=0,
        billing_increment=1,
        charge_unanswered=False,
    )


def text_prompts(script: Script, audio: bool) -> Prompter:
    return TextPrompter()


async def call(line: FakeLine, **settings: Any) -> CallResult:
    prompter_for: Callable[[Script, bool], Prompter] = text_prompts
    return await place_call(job(**settings), backend=FakeBackend(line), prompter_for=prompter_for)


def frames(seconds: float) -> int:
    return round(seconds / 0.02)


async def test_sync_a_machine_ends_voicemail_and_hears_nothing_of_the_scenario() -> None:
    line = FakeLine(VOICEMAIL)

    result = await call(line, amd=True)

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None
    assert (result.amd["verdict"], result.amd["reason"], result.amd["message_left"]) == (
        "machine",
        "beep",
        False,
    )
    assert 2.5 < result.amd["decided_after"] < 2.9  # during the beep, which starts 2.5 s after the answer
    assert line.played == []  # not a word of the scenario to a machine
    assert line.end_reason is EndReason.COMPLETED  # we hung up, at the verdict
    assert line.frame <= frames(result.amd["decided_after"]) + 10
    assert result.trace is not None and result.trace.steps == []


async def test_sync_a_person_hears_the_scenario_once_judged_human() -> None:
    line = FakeLine(HUMAN)

    result = await call(line, amd=True)

    assert result.outcome is CallOutcome.ANSWERED
    assert result.amd is not None and result.amd["verdict"] == "human" and not result.amd["message_left"]
    [greeting] = line.played
    assert greeting.text.startswith("Xin chào") and not greeting.interrupted
    assert greeting.start >= frames(result.amd["decided_after"])  # held until the verdict
    assert result.trace is not None and [s.action_id for s in result.trace.steps] == ["greeting"]


async def test_sync_an_undecided_callee_is_treated_as_a_person() -> None:
    # Speech, short pauses, more speech: not a greeting-then-silence, not a machine's length.
    line = FakeLine(
        voice(0.5) + silence(0.4) + voice(0.5) + silence(0.4) + voice(0.5) + silence(0.4) + voice(0.4)
    )

    result = await call(line, amd=True)

    assert result.amd is not None and result.amd["verdict"] in ("unknown", "human")
    assert result.outcome is CallOutcome.ANSWERED and line.played[0].text.startswith("Xin chào")


async def test_async_the_greeting_plays_at_once_and_stops_for_a_machine() -> None:
    line = FakeLine(LONG_GREETING)

    result = await call(line, amd=True, amd_mode="async")

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None and result.amd["verdict"] == "machine"
    [greeting] = line.played
    assert greeting.start <= 2  # at once, not after the verdict
    assert greeting.interrupted  # cut at the verdict, nothing said after it
    assert line.end_reason is EndReason.COMPLETED
    assert result.trace is not None and [s.result.value for s in result.trace.steps] == ["ended"]


async def test_async_a_person_hears_the_greeting_from_the_answer_without_a_cut() -> None:
    line = FakeLine(HUMAN)

    result = await call(line, amd=True, amd_mode="async")

    assert result.outcome is CallOutcome.ANSWERED
    assert result.amd is not None and result.amd["verdict"] == "human"
    [greeting] = line.played
    assert greeting.start < frames(result.amd["decided_after"]) and not greeting.interrupted


async def test_leave_message_waits_for_the_beep_then_plays_the_message_and_hangs_up() -> None:
    line = FakeLine(VOICEMAIL)

    result = await call(line, amd=True, voicemail_action="leave_message", voicemail_message_action_id="vm")

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None and result.amd["message_left"] is True
    [message] = line.played
    assert message.text == "Chúng tôi sẽ gọi lại." and not message.interrupted
    beep_over = len(VOICEMAIL) // 320
    assert message.start >= beep_over  # after the greeting's beep, never over it
    assert line.end_reason is EndReason.COMPLETED and line.frame == message.end
    assert result.trace is not None
    assert [(s.action_id, s.result.value) for s in result.trace.steps] == [("vm", "played")]


async def test_async_leave_message_cuts_the_greeting_then_leaves_the_message() -> None:
    line = FakeLine(VOICEMAIL)

    result = await call(
        line, amd=True, amd_mode="async", voicemail_action="leave_message", voicemail_message_action_id="vm"
    )

    assert result.outcome is CallOutcome.VOICEMAIL and result.amd is not None and result.amd["message_left"]
    greeting, message = line.played
    assert greeting.interrupted and message.text == "Chúng tôi sẽ gọi lại." and not message.interrupted
    assert message.start >= len(VOICEMAIL) // 320


async def test_a_message_the_scenario_no_longer_has_is_not_left_and_the_call_hangs_up() -> None:
    line = FakeLine(VOICEMAIL)
    settings = {"amd": True, "voicemail_action": "leave_message", "voicemail_message_action_id": "gone"}

    result = await call(line, **settings)

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None and result.amd["message_left"] is False
    assert line.played == [] and line.ended
    assert result.trace is not None and "no PLAY_MESSAGE action 'gone'" in (result.trace.error or "")


async def test_a_machine_that_hangs_up_before_the_beep_gets_no_message() -> None:
    line = FakeLine(LONG_GREETING, hang_up_at=frames(3.6))

    result = await call(line, amd=True, voicemail_action="leave_message", voicemail_message_action_id="vm")

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None and result.amd["message_left"] is False
    assert line.played == [] and line.end_reason is EndReason.REMOTE_HANGUP


async def test_a_failing_audio_path_never_stops_the_call_the_scenario_runs() -> None:
    line = FakeLine(VOICEMAIL, audio_fails=True)

    result = await call(line, amd=True)

    assert result.outcome is CallOutcome.ANSWERED
    assert result.amd == {
        "verdict": "unknown",
        "reason": "audio_ended",
        "decided_after": 0.0,
        "message_left": False,
    }
    assert line.played[0].text.startswith("Xin chào")


async def test_detection_off_listens_to_nothing_and_records_nothing() -> None:
    line = FakeLine(VOICEMAIL)

    result = await call(line)

    assert result.outcome is CallOutcome.ANSWERED and result.amd is None
    assert line.readers == 0 and line.played[0].start <= 2


def test_leave_message_without_a_message_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="voicemail_message_action_id"):
        CampaignSettings(amd=True, voicemail_action="leave_message")
    assert replace(MESSAGE).type is ActionType.PLAY_MESSAGE
