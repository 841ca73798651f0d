"""Answering-machine detection on the simulator's phones (issue 15): the voicemail (last digit 7:
greeting, beep) ends `voicemail`, hung up on or given the message after its beep; a person (last
digit 1: "A lô", then presses 1) hears the scenario in both modes. Time scale 0: exact and quick."""

from __future__ import annotations

from typing import Any

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.settings import CampaignSettings
from aicall.dialer.call_task import place_call
from aicall.dialer.jobs import CallJob, CallResult
from aicall.interpreter.prompter import Prompter, TextPrompter
from aicall.interpreter.script import Script
from aicall.telephony.sim import SimBackend

from .test_amd_call_path import SCRIPT

VOICEMAIL_PHONE = "+84987654327"
PERSON_PHONE = "+84987654321"


def text_prompts(script: Script, audio: bool) -> Prompter:
    return TextPrompter()


async def call(phone: str, **settings: Any) -> CallResult:
    job = CallJob(
        attempt_id="a1",
        attempt_number=1,
        contact_id="c1",
        campaign_id="k1",
        application_id="p1",
        account_id="acc1",
        phone=phone,
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
    return await place_call(job, backend=SimBackend(time_scale=0), prompter_for=text_prompts)


def said(result: CallResult) -> list[tuple[str, str]]:
    assert result.trace is not None
    return [(step.action_id, step.result.value) for step in result.trace.steps]


async def test_sync_the_simulated_voicemail_is_hung_up_on_without_a_word() -> None:
    result = await call(VOICEMAIL_PHONE, amd=True)

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None and result.amd["verdict"] == "machine" and not result.amd["message_left"]
    assert said(result) == []
    assert result.trace is not None and result.trace.end_reason is EndReason.COMPLETED


async def test_sync_the_simulated_voicemail_gets_the_message_after_its_beep() -> None:
    result = await call(
        VOICEMAIL_PHONE, amd=True, voicemail_action="leave_message", voicemail_message_action_id="vm"
    )

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None and result.amd["message_left"] is True
    assert said(result) == [("vm", "played")]


async def test_async_the_simulated_voicemail_hears_the_greeting_cut_then_the_message() -> None:
    result = await call(
        VOICEMAIL_PHONE,
        amd=True,
        amd_mode="async",
        voicemail_action="leave_message",
        voicemail_message_action_id="vm",
    )

    assert result.outcome is CallOutcome.VOICEMAIL
    assert result.amd is not None and result.amd["message_left"] is True
    steps = said(result)
    assert steps[0][0] == "greeting"  # played at once, to the machine, until the verdict
    assert steps[-1] == ("vm", "played") and ("bye", "hangup") not in steps


async def test_a_simulated_person_hears_the_scenario_in_both_modes() -> None:
    for mode in ("sync", "async"):
        result = await call(PERSON_PHONE, amd=True, amd_mode=mode)

        assert result.outcome is CallOutcome.ANSWERED, mode
        assert result.amd is not None and result.amd["verdict"] in ("human", "unknown"), (mode, result.amd)
        assert said(result) == [("greeting", "matched"), ("bye", "hangup")], mode


async def test_the_simulated_voicemail_without_detection_is_an_answered_call_as_before() -> None:
    result = await call(VOICEMAIL_PHONE)

    assert result.outcome is CallOutcome.ANSWERED and result.amd is None
    assert said(result)[0] == ("greeting", "no_input")
