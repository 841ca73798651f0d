"""Simulated voicemails and announcements: the callee's audio from the answer, as answering-machine
detection hears it, and the rules that make such phones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.media import Audio
from aicall.speech.amd import AmdResult, AmdVerdict, AnsweringMachineDetector
from aicall.speech.errors import TtsError
from aicall.speech.tts import EspeakEngine
from aicall.telephony.session import DialRequest
from aicall.telephony.sim import PhoneBehaviour, SimBackend, SimCallSession, SimRule, SimRules, SimRulesError
from aicall.telephony.sim.behaviour import default_behaviour
from aicall.telephony.sim.callee import Answerer, Speak, synthetic_speech
from aicall.telephony.sim.timeline import VirtualTimeline

NUMBER = "+84900000000"
T0 = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)


async def answered(
    behaviour: PhoneBehaviour, *, scale: float = 0, speaker: Speak | None = None, number: str = NUMBER
) -> SimCallSession:
    """A call answered without ringing, so call seconds count from 0 at the answer."""
    rules = SimRules([SimRule("number", number, replace(behaviour, ring=0.0))])
    backend = SimBackend(time_scale=scale, rules=rules, clock=lambda: T0, speaker=speaker)
    result = await backend.originate(DialRequest(call_id="c1", to_number=number, from_number="+842873001234"))
    assert isinstance(result.session, SimCallSession)
    return result.session


async def detect(session: SimCallSession, *, until_ready: bool = False) -> tuple[AmdResult, int, bool]:
    """Feed the callee's audio to a detector: (its result, frames read, ready for a message)."""
    detector = AnsweringMachineDetector()
    frames = 0
    async for frame in session.callee_audio():
        assert len(frame) == 320
        frames += 1
        detector.feed(frame)
        result = detector.result
        if result is not None and (not until_ready or result.verdict is not AmdVerdict.MACHINE):
            break
        if detector.ready_for_message:
            break
    return detector.result or detector.finish(), frames, detector.ready_for_message


async def test_a_person_says_a_lo_and_is_judged_a_person() -> None:
    session = await answered(PhoneBehaviour())

    result, frames, _ready = await detect(session)

    assert result.verdict is AmdVerdict.HUMAN
    # Reading the audio let the call's time pass, frame by frame: nothing else was waiting.
    assert session.duration == pytest.approx(frames * 0.02, abs=0.1 + 1e-9)


async def test_a_voicemail_is_a_machine_and_ready_for_a_message_after_its_beep() -> None:
    session = await answered(PhoneBehaviour(answer=Answerer.VOICEMAIL))

    result, _frames, ready = await detect(session, until_ready=True)

    assert result.verdict is AmdVerdict.MACHINE
    assert ready
    assert not session.ended  # a voicemail records in silence: it waits for the message


async def test_a_short_voicemail_greeting_is_caught_by_its_beep() -> None:
    session = await answered(PhoneBehaviour(answer=Answerer.VOICEMAIL, greeting_seconds=0.8))

    result, _frames, _ready = await detect(session)

    assert (result.verdict, result.reason) == (AmdVerdict.MACHINE, "beep")


async def test_an_announcement_is_a_machine_and_the_network_hangs_up_after_it() -> None:
    session = await answered(PhoneBehaviour(answer=Answerer.ANNOUNCEMENT, greeting_seconds=4.0))

    frames = [frame async for frame in session.callee_audio()]  # ends with the call

    assert session.end_reason is EndReason.REMOTE_HANGUP
    assert session.duration == pytest.approx(0.3 + 4.0 + 1.0)  # delay, message, the network's tail
    detector = AnsweringMachineDetector()
    for frame in frames:
        detector.feed(frame)
    assert detector.result is not None and detector.result.verdict is AmdVerdict.MACHINE


async def test_audio_read_while_a_prompt_plays_follows_the_prompt_and_adds_no_time() -> None:
    session = await answered(PhoneBehaviour(answer=Answerer.VOICEMAIL), scale=0.001)
    frames: list[bytes] = []

    async def read() -> None:
        async for frame in session.callee_audio():
            frames.append(frame)

    reader = asyncio.ensure_future(read())
    await session.play(Audio(text="Xin chào", duration=3.0), barge_in=False)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)

    # The reader kept up with the prompt (no more audio than call time), and the two waits
    # running side by side counted once: 3 s of call, not 3 s plus what the reader read.
    assert session.duration == pytest.approx(3.0)
    assert 100 <= len(frames) <= 150


async def test_a_reader_starting_later_gets_the_audio_from_then_on() -> None:
    session = await answered(PhoneBehaviour(greeting_seconds=0.6, greeting_delay=0.0))
    await session.play(Audio(text="prompt", duration=2.0), barge_in=False)

    first = await anext(session.callee_audio())

    assert first == bytes(320)  # the greeting was over before this reader started: silence


async def test_the_words_said_at_a_listening_menu_are_in_the_callee_audio() -> None:
    async def speak(words: str) -> bytes:  # a stand-in TTS: half a second of speech-like sound
        return synthetic_speech(0.5)

    phone = PhoneBehaviour(say=("vâng",), key_delay=1.0, greeting_seconds=0.0)  # no greeting
    session = await answered(phone, speaker=speak, scale=0.001)
    frames: list[bytes] = []

    async def read() -> None:
        async for frame in session.callee_audio():
            frames.append(frame)

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(0)  # the reader starts at the answer
    heard = await session.listen(Audio(text="Anh nghe rõ không?", duration=2.0), barge_in=False)
    await session.hangup()
    await reader

    assert heard.utterance is not None
    sounding = [index * 0.02 for index, frame in enumerate(frames) if frame != bytes(320)]
    # The utterance goes in when the prompt (no barge-in) is over, at 2 s; its sound begins after
    # the quiet lead the voice-activity cut keeps (0.2-0.3 s).
    assert sounding and 2.0 <= sounding[0] <= 2.5


async def test_callee_audio_of_an_ended_call_is_empty() -> None:
    session = await answered(PhoneBehaviour())
    await session.hangup()
    assert [frame async for frame in session.callee_audio()] == []


def test_digit_7_is_a_voicemail_that_presses_nothing_as_before() -> None:
    phone = default_behaviour("+84900000007")
    assert phone.answer is Answerer.VOICEMAIL and phone.beeps
    assert phone.keys == () and phone.say == () and phone.outcome is CallOutcome.ANSWERED
    assert default_behaviour("+84900000001").answer is Answerer.PERSON


def test_rules_make_voicemails_and_announcements() -> None:
    rules = SimRules.from_dict(
        {
            "rules": [
                {"suffix": "77", "answer": "voicemail", "greeting": "Để lại lời nhắn", "beep": False},
                {"suffix": "66", "answer": "announcement", "greeting_seconds": 5, "greeting_delay": 0.1},
                {"suffix": "55", "greeting": "Alo, ai đấy ạ?"},
            ]
        }
    )
    voicemail = rules.behaviour_for("+84900000077")
    assert (voicemail.answer, voicemail.greeting_text, voicemail.beeps) == (
        Answerer.VOICEMAIL,
        "Để lại lời nhắn",
        False,
    )
    announcement = rules.behaviour_for("+84900000066")
    assert (announcement.answer, announcement.greeting_seconds, announcement.beeps) == (
        Answerer.ANNOUNCEMENT,
        5.0,
        False,
    )
    person = rules.behaviour_for("+84900000055")
    assert (person.answer, person.greeting_text) == (Answerer.PERSON, "Alo, ai đấy ạ?")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"answer": "fax"}, "answer 'fax' is not one of person, voicemail, announcement"),
        ({"answer": "voicemail", "keys": ["1"]}, "a voicemail presses no keys and says nothing"),
        ({"outcome": "busy", "beep": True}, "beep only apply to answered calls"),
        ({"greeting": "  "}, "greeting must have words"),
        ({"greeting": "alo", "greeting_seconds": 1}, "give greeting or greeting_seconds, not both"),
        ({"beep": "yes"}, "beep must be true or false"),
        ({"greeting_seconds": -1}, "greeting_seconds must be a number of seconds"),
    ],
)
def test_bad_voicemail_rules_are_refused_with_the_rule_and_field(
    rule: dict[str, object], message: str
) -> None:
    with pytest.raises(SimRulesError, match=f"rule 1: {message}"):
        SimRules.from_dict({"rules": [{"suffix": "1", **rule}]})


async def test_spoken_greetings_tell_a_person_from_a_voicemail(require_tool: Callable[[str], str]) -> None:
    require_tool("espeak-ng")
    espeak = EspeakEngine()

    async def speak(words: str) -> bytes:
        return await espeak.synthesize(words, voice="vi")

    person = await answered(PhoneBehaviour(), speaker=speak)
    voicemail = await answered(PhoneBehaviour(answer=Answerer.VOICEMAIL), speaker=speak)

    assert (await detect(person))[0].verdict is AmdVerdict.HUMAN
    result, _frames, ready = await detect(voicemail, until_ready=True)
    assert result.verdict is AmdVerdict.MACHINE and ready


async def test_a_greeting_the_speaker_cannot_say_is_synthetic_speech_and_the_call_goes_on() -> None:
    async def broken(words: str) -> bytes:
        raise TtsError("espeak-ng failed with exit code 1")

    session = await answered(PhoneBehaviour(), speaker=broken)

    result, _frames, _ready = await detect(session)

    assert result.verdict is AmdVerdict.HUMAN
    assert not session.ended


async def test_two_waits_side_by_side_count_once_on_the_calls_timeline() -> None:
    timeline = VirtualTimeline(start=T0, scale=0.001)

    await asyncio.gather(timeline.sleep(3.0), timeline.sleep(1.0), timeline.sleep(2.0))
    assert timeline.elapsed == pytest.approx(3.0)  # the longest, not the sum (6 s)

    await timeline.sleep(0.5)  # alone again: it adds as before
    assert timeline.elapsed == pytest.approx(3.5)
    assert not timeline.waiting


async def test_two_readers_hear_the_same_greeting_even_while_it_is_being_spoken() -> None:
    async def slow(words: str) -> bytes:  # a TTS that takes a while (real time, not call time)
        await asyncio.sleep(0.01)
        return synthetic_speech(0.6)

    session = await answered(PhoneBehaviour(greeting_delay=0.0), speaker=slow)

    async def first_frames() -> list[bytes]:
        frames = []
        reader = session.callee_audio()
        async for frame in reader:
            frames.append(frame)
            if len(frames) == 10:
                break
        await reader.aclose()
        return frames

    one, two = await asyncio.gather(first_frames(), first_frames())
    assert one == two
    assert any(frame != bytes(320) for frame in one)  # the greeting, not the silence before it
