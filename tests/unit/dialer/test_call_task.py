"""Which prompts a call gets: synthesised where someone hears them (a real call, a recording)."""

from __future__ import annotations

import wave
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.settings import CampaignSettings
from aicall.dialer.call_task import place_call
from aicall.dialer.jobs import CallJob
from aicall.interpreter.prompter import Prompter, TextPrompter
from aicall.interpreter.script import Action, ActionType, Script
from aicall.interpreter.testing import script_of
from aicall.speech.errors import TtsError
from aicall.speech.prompter import Prompter as SpeechPrompter
from aicall.speech.tts import ToneEngine, TtsEngine
from aicall.telephony.session import TrunkConfig
from aicall.telephony.sim import SimBackend

GOODBYE = Action(id="bye", type=ActionType.END_CALL, content_text="Xin chào, tạm biệt.")
SCRIPT = script_of(GOODBYE)


def job(*, record: bool) -> CallJob:
    return CallJob(
        attempt_id="a1",
        attempt_number=1,
        contact_id="c1",
        campaign_id="k1",
        application_id="p1",
        account_id="acc1",
        phone="+84900000007",  # answers, presses nothing
        tags={},
        hotline="+842873001234",
        trunk=None,
        settings=CampaignSettings(record=record),
        script=SCRIPT,
        reserved=0,
        price_per_minute=0,
        billing_increment=1,
        charge_unanswered=False,
    )


class BrokenEngine:
    name = "broken"

    async def synthesize(self, text: str, *, voice: str = "", speed: float = 1.0) -> bytes:
        raise TtsError("cannot run espeak-ng: No such file or directory")


def prompters(engine: TtsEngine) -> tuple[list[bool], Callable[[Script, bool], Prompter]]:
    asked: list[bool] = []

    def prompter_for(script: Script, audio: bool) -> Prompter:
        asked.append(audio)
        return SpeechPrompter(script.fields, engine=engine) if audio else TextPrompter()

    return asked, prompter_for


def loudest_sample(path: str) -> int:
    with wave.open(path, "rb") as recording:
        frames = recording.readframes(recording.getnframes())
    return max(
        (abs(int.from_bytes(frames[i : i + 2], "little", signed=True)) for i in range(0, len(frames), 2)),
        default=0,
    )


async def test_a_recorded_simulated_call_speaks_its_prompts_into_the_recording(tmp_path: Path) -> None:
    asked, prompter_for = prompters(ToneEngine())

    result = await place_call(
        job(record=True), backend=SimBackend(time_scale=0, recording_dir=tmp_path), prompter_for=prompter_for
    )

    assert asked[0] is True  # the spoken prompter; the text-only one stands by for a TTS fault
    assert result.outcome is CallOutcome.ANSWERED and result.recording_path is not None
    assert loudest_sample(result.recording_path) > 5000


async def test_a_simulated_call_nobody_records_synthesises_nothing(tmp_path: Path) -> None:
    asked, prompter_for = prompters(ToneEngine())

    result = await place_call(
        job(record=False), backend=SimBackend(time_scale=0, recording_dir=tmp_path), prompter_for=prompter_for
    )

    assert asked == [False]
    assert result.recording_path is None


async def test_a_tts_fault_on_a_simulated_call_records_silence_instead_of_ending_it(tmp_path: Path) -> None:
    _, prompter_for = prompters(BrokenEngine())

    result = await place_call(
        job(record=True), backend=SimBackend(time_scale=0, recording_dir=tmp_path), prompter_for=prompter_for
    )

    assert result.trace is not None
    assert result.trace.end_reason is EndReason.COMPLETED and result.trace.error is None
    assert [step.text for step in result.trace.steps] == ["Xin chào, tạm biệt."]
    assert result.recording_path is not None and loudest_sample(result.recording_path) == 0


async def test_a_tts_fault_on_a_real_call_still_ends_it_in_error(tmp_path: Path) -> None:
    """A real callee would hear nothing: that is an error to report, not to paper over."""
    _, prompter_for = prompters(BrokenEngine())
    real = replace(job(record=False), trunk=TrunkConfig(id="t1", host="sip.example"))

    # The simulator stands in for the trunk here: only the prompter choice is under test.
    result = await place_call(real, backend=SimBackend(time_scale=0), prompter_for=prompter_for)

    assert result.trace is not None and result.trace.end_reason is EndReason.ERROR
