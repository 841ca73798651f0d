"""Simulated phones that answer by voice: a `say` rule, espeak-ng audio, the listening path, ASR."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from aicall.calls.outcomes import CallOutcome
from aicall.interpreter import CallTrace, StepResult, TextPrompter, run_script
from aicall.interpreter.script import Action, ActionType, KeyResponse, ResponseType
from aicall.interpreter.testing import script_of
from aicall.media import Utterance
from aicall.speech.asr_types import Transcript
from aicall.speech.tts import EspeakEngine
from aicall.telephony.session import DialRequest
from aicall.telephony.sim import SimBackend, SimCallSession, SimRules
from aicall.telephony.sim.rules import SimRulesError

T0 = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)
RULES = """
[[rules]]
number = "+84900000001"
say = "vâng, đúng rồi"

[[rules]]
number = "+84900000002"
say = ["", "gọi lại sau nhé"]

[[rules]]
number = "+84900000003"
say = ["alo alo", "hả"]
key_delay = 0.5
"""

CONFIRM = script_of(
    Action(
        id="ask",
        type=ActionType.INTERACTIVE_MENU,
        content_text="Xin chào, anh có xác nhận lịch hẹn ngày mai không?",
        responses=(
            KeyResponse("", "thanks", intent="yes"),
            KeyResponse("", "later", intent="call_back_later"),
        ),
        response_type=ResponseType.SPEECH,
        max_retries=1,
        no_input_action_id="silent",
        invalid_action_id="unclear",
    ),
    *(
        Action(id=name, type=ActionType.END_CALL, content_text=name)
        for name in ("thanks", "later", "silent", "unclear")
    ),
)


@dataclass
class HearingEngine:
    """A stand-in recogniser that checks it was given real audio, then answers the words."""

    name: str = "hearing"
    heard: list[Utterance] = field(default_factory=list)

    async def transcribe(self, utterance: Utterance, *, language: str = "vi") -> Transcript:
        self.heard.append(utterance)
        return Transcript(text=utterance.said or "")


async def call(backend: SimBackend, number: str, asr: HearingEngine) -> tuple[CallTrace, SimCallSession]:
    result = await backend.originate(
        DialRequest(call_id=f"c-{number}", to_number=number, from_number="+842873001234")
    )
    assert result.outcome is CallOutcome.ANSWERED and isinstance(result.session, SimCallSession)
    session = result.session
    trace = await run_script(CONFIRM, session, values={}, prompter=TextPrompter(), clock=session.now, asr=asr)
    return trace, session


def backend(*, speaker: bool) -> SimBackend:
    espeak = EspeakEngine()

    async def speak(words: str) -> bytes:
        return await espeak.synthesize(words, voice="vi")

    return SimBackend(
        time_scale=0,
        rules=SimRules.from_dict(_toml(RULES)),
        clock=lambda: T0,
        speaker=speak if speaker else None,
    )


def _toml(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
async def test_a_phone_that_says_yes_is_heard_through_vad_and_follows_the_yes_response() -> None:
    asr = HearingEngine()
    trace, session = await call(backend(speaker=True), "+84900000001", asr)
    assert trace.path == ["ask", "thanks"]
    heard = trace.steps[0].heard
    assert heard is not None and heard.transcript == "vâng, đúng rồi" and heard.intent == "yes"
    # The recogniser got the espeak-ng audio as the detector cut it, not just the words.
    assert len(asr.heard) == 1 and len(asr.heard[0].pcm) > 8000 and 0.5 < asr.heard[0].duration < 3
    assert trace.steps[0].interrupted  # spoken 1 s into a longer prompt: barge-in
    assert session.said == ["vâng, đúng rồi"]


async def test_say_rules_follow_menu_visits_silence_then_words() -> None:
    trace, _session = await call(backend(speaker=False), "+84900000002", HearingEngine())
    assert [s.result for s in trace.steps[:2]] == [StepResult.NO_INPUT, StepResult.MATCHED]
    assert trace.path == ["ask", "later"]


async def test_words_that_match_nothing_take_the_invalid_path() -> None:
    trace, _session = await call(backend(speaker=False), "+84900000003", HearingEngine())
    assert trace.path == ["ask", "unclear"]


def test_a_say_rule_must_be_words() -> None:
    with pytest.raises(SimRulesError, match="say must be"):
        SimRules.from_dict({"rules": [{"suffix": "1", "say": 5}]})
