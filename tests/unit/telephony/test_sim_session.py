"""A call on a virtual phone: when keys go in, how it ends, what it records."""

from __future__ import annotations

import asyncio
import math
import shutil
import wave
from array import array
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aicall.calls.outcomes import EndReason
from aicall.media import Audio
from aicall.telephony.session import CallEnded, CallSession, DialRequest
from aicall.telephony.sim import PhoneBehaviour, SimBackend, SimCallSession, SimRule, SimRules
from aicall.telephony.sim.recording import DTMF_GAP, DTMF_TONE, dtmf_tone, write_wav

NUMBER = "+84900000000"
T0 = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)


async def answered(
    behaviour: PhoneBehaviour,
    *,
    scale: float = 0,
    max_duration: float = 300.0,
    record: bool = False,
    recording_dir: Path | None = None,
) -> SimCallSession:
    """A call to a phone that answers without ringing, so call seconds count from 0 at answer."""
    rules = SimRules([SimRule("number", NUMBER, replace(behaviour, ring=0.0))])
    backend = SimBackend(time_scale=scale, rules=rules, clock=lambda: T0, recording_dir=recording_dir)
    request = DialRequest(
        call_id="c1", to_number=NUMBER, from_number="+842873001234", max_duration=max_duration, record=record
    )
    result = await backend.originate(request)
    assert isinstance(result.session, SimCallSession)
    return result.session


def prompt(seconds: float, text: str = "prompt") -> Audio:
    return Audio(text=text, duration=seconds)


async def test_the_session_fits_the_call_session_seam() -> None:
    assert isinstance(await answered(PhoneBehaviour()), CallSession)


async def test_a_key_interrupts_a_barge_in_prompt_a_second_in() -> None:
    session = await answered(PhoneBehaviour(keys=("1",)))

    interrupted = await session.play(prompt(5.0), barge_in=True)
    assert interrupted
    assert session.duration == 1.0
    assert await session.collect_digits(timeout=5.0) == "1"
    assert session.duration == 1.0  # the key was already waiting
    assert session.keys_sent == ["1"]


async def test_after_a_short_prompt_the_key_arrives_during_the_collect() -> None:
    session = await answered(PhoneBehaviour(keys=("2",)))

    assert not await session.play(prompt(0.4), barge_in=True)
    assert await session.collect_digits(timeout=5.0) == "2"
    assert session.duration == pytest.approx(1.0)


async def test_without_barge_in_the_prompt_plays_out_and_the_key_is_waiting() -> None:
    session = await answered(PhoneBehaviour(keys=("1",)))

    assert not await session.play(prompt(5.0), barge_in=False)
    assert session.duration == 5.0
    assert await session.collect_digits(timeout=5.0) == "1"
    assert session.duration == 5.0


async def test_a_plain_message_before_a_menu_is_not_pressed_into() -> None:
    session = await answered(PhoneBehaviour(keys=("1",)))

    assert not await session.play(prompt(3.0, "message"), barge_in=False)
    assert await session.play(prompt(5.0, "menu"), barge_in=True)
    assert session.duration == 4.0  # a second into the menu's prompt
    assert await session.collect_digits() == "1"
    assert session.heard == ["message", "menu"]


async def test_each_menu_visit_takes_the_next_scripted_key_then_nothing() -> None:
    session = await answered(PhoneBehaviour(keys=("", "2")))

    await session.play(prompt(2.0))
    assert await session.collect_digits(timeout=5.0) == ""
    assert session.duration == 7.0  # the whole prompt, then the whole timeout
    await session.play(prompt(2.0))
    assert await session.collect_digits(timeout=5.0) == "2"
    await session.play(prompt(2.0))
    assert await session.collect_digits(timeout=5.0) == ""
    assert session.keys_sent == ["2"]
    assert not session.ended  # out of keys, the callee just stays on the line


async def test_a_key_later_than_the_timeout_is_never_pressed() -> None:
    session = await answered(PhoneBehaviour(keys=("1",), key_delay=10.0))

    await session.play(prompt(1.0))
    assert await session.collect_digits(timeout=5.0) == ""
    assert session.duration == 6.0
    assert session.keys_sent == []


async def test_a_key_with_a_terminator_completes_a_long_collect_at_once() -> None:
    session = await answered(PhoneBehaviour(keys=("12#",)))

    await session.play(prompt(0.5))
    assert await session.collect_digits(max_digits=4, timeout=5.0, terminator="#") == "12"
    assert session.duration == 1.0


async def test_too_few_digits_wait_out_the_timeout() -> None:
    session = await answered(PhoneBehaviour(keys=("12",)))

    await session.play(prompt(0.5))
    assert await session.collect_digits(max_digits=3, timeout=5.0) == "12"
    assert session.duration == 6.0


async def test_digits_beyond_max_digits_stay_buffered_and_cut_the_next_prompt() -> None:
    session = await answered(PhoneBehaviour(keys=("12",)))

    await session.play(prompt(3.0))
    assert await session.collect_digits(max_digits=1) == "1"
    assert await session.play(prompt(3.0, "next"))  # stopped before it started
    assert session.heard == ["prompt"]
    assert await session.collect_digits(max_digits=1) == "2"


async def test_the_callee_can_hang_up_halfway_through_the_first_prompt() -> None:
    session = await answered(PhoneBehaviour(hangup_in_prompt=1))

    with pytest.raises(CallEnded) as ended:
        await session.play(prompt(4.0))

    assert ended.value.reason is EndReason.REMOTE_HANGUP
    assert session.end_reason is EndReason.REMOTE_HANGUP
    assert session.ended_at == session.answered_at + timedelta(seconds=2)
    with pytest.raises(CallEnded):
        await session.collect_digits()


async def test_the_callee_can_hang_up_a_while_into_the_call() -> None:
    session = await answered(PhoneBehaviour(hangup_after=3.0))

    await session.play(prompt(1.0))
    with pytest.raises(CallEnded) as ended:
        await session.collect_digits(timeout=5.0)

    assert ended.value.reason is EndReason.REMOTE_HANGUP
    assert session.duration == 3.0


async def test_the_maximum_duration_ends_the_call() -> None:
    session = await answered(PhoneBehaviour(), max_duration=10.0)

    await session.play(prompt(4.0))
    assert await session.collect_digits(timeout=5.0) == ""
    with pytest.raises(CallEnded) as ended:
        await session.play(prompt(4.0))

    assert ended.value.reason is EndReason.MAX_DURATION
    assert session.duration == 10.0
    assert session.ended_at == session.answered_at + timedelta(seconds=10)


async def test_our_hang_up_is_final_and_idempotent() -> None:
    session = await answered(PhoneBehaviour(keys=("1",)))

    await session.hangup()
    await session.hangup()

    assert session.end_reason is EndReason.COMPLETED
    with pytest.raises(CallEnded) as ended:
        await session.play(prompt(1.0))
    assert ended.value.reason is EndReason.COMPLETED


async def test_hanging_up_wakes_a_wait_in_progress() -> None:
    session = await answered(PhoneBehaviour(), scale=1.0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    waiting = asyncio.create_task(session.collect_digits(timeout=60.0))
    await asyncio.sleep(0.05)

    await session.hangup()

    with pytest.raises(CallEnded):
        await waiting
    assert loop.time() - began < 1.0


async def test_a_transfer_hands_the_call_over() -> None:
    session = await answered(PhoneBehaviour())

    assert await session.transfer("sip:agent@pbx.example")

    assert session.end_reason is EndReason.TRANSFERRED
    assert session.transferred_to == "sip:agent@pbx.example"


async def test_a_refused_transfer_leaves_the_call_up() -> None:
    session = await answered(PhoneBehaviour(accept_transfer=False))

    assert not await session.transfer("+84281234567")

    assert not session.ended


async def test_a_recorded_call_leaves_a_wav_as_long_as_the_call(tmp_path: Path) -> None:
    tone = bytes([0x10, 0x20]) * 8000  # one second at 8 kHz, 16-bit
    session = await answered(PhoneBehaviour(), record=True, recording_dir=tmp_path)

    await session.play(Audio.from_pcm("hello", tone), barge_in=False)
    await session.collect_digits(timeout=2.0)
    await session.hangup()

    assert session.recording_path == str(tmp_path / "c1.wav")
    with wave.open(session.recording_path, "rb") as recording:
        assert (recording.getframerate(), recording.getnchannels(), recording.getsampwidth()) == (8000, 1, 2)
        assert recording.getnframes() == 3 * 8000
        frames = recording.readframes(recording.getnframes())
    assert frames[: len(tone)] == tone
    assert set(frames[len(tone) :]) == {0}


async def test_a_recording_without_a_directory_goes_to_a_temporary_one() -> None:
    session = await answered(PhoneBehaviour(), record=True)

    await session.play(prompt(1.5))
    await session.hangup()

    assert session.recording_path is not None
    path = Path(session.recording_path)
    try:
        with wave.open(str(path), "rb") as recording:
            assert recording.getnframes() == 12000  # silence as long as the call
    finally:
        shutil.rmtree(path.parent)


async def test_an_unrecorded_call_has_no_recording() -> None:
    session = await answered(PhoneBehaviour())

    await session.hangup()

    assert session.recording_path is None


def _rms(frames: bytes, start: float, end: float) -> float:
    """Root mean square of the 16-bit samples between `start` and `end` seconds."""
    samples = array("h", frames[round(start * 8000) * 2 : round(end * 8000) * 2])
    return math.sqrt(sum(sample * sample for sample in samples) / len(samples)) if samples else 0.0


async def test_a_key_pressed_into_a_prompt_is_recorded_as_its_dtmf_tone(tmp_path: Path) -> None:
    session = await answered(PhoneBehaviour(keys=("1",)), record=True, recording_dir=tmp_path)

    await session.play(prompt(5.0), barge_in=True)  # no PCM: silence, the key goes in at 1 s
    await session.collect_digits(timeout=2.0)
    await session.play(prompt(1.0), barge_in=False)  # what follows the key
    await session.hangup()

    assert session.recording_path is not None
    with wave.open(session.recording_path, "rb") as recording:
        frames = recording.readframes(recording.getnframes())
    assert frames[: 8000 * 2] == bytes(8000 * 2)  # the first second: the prompt had no samples
    assert frames[8000 * 2 : 8800 * 2] == dtmf_tone("1")  # 100 ms of 697 + 1209 Hz
    assert _rms(frames, 1.0, 1.1) > 5000
    assert set(frames[8800 * 2 :]) == {0}


async def test_a_burst_of_keys_is_recorded_key_after_key(tmp_path: Path) -> None:
    session = await answered(
        PhoneBehaviour(keys=("12#",), key_delay=0.5), record=True, recording_dir=tmp_path
    )

    await session.collect_digits(max_digits=3, timeout=3.0)
    await session.play(prompt(1.0), barge_in=False)
    await session.hangup()

    assert session.recording_path is not None
    with wave.open(session.recording_path, "rb") as recording:
        frames = recording.readframes(recording.getnframes())
    for index, key in enumerate("12#"):
        at = round((0.5 + index * (DTMF_TONE + DTMF_GAP)) * 8000) * 2
        assert frames[at : at + len(dtmf_tone(key))] == dtmf_tone(key)


def test_a_tone_over_a_prompt_is_mixed_into_it_not_written_over_it(tmp_path: Path) -> None:
    path = tmp_path / "mixed.wav"
    hum = array("h", [1000] * 8000).tobytes()  # one second of a constant level

    write_wav(path, duration=1.0, segments=[(0.0, hum), (0.5, dtmf_tone("5"))])

    with wave.open(str(path), "rb") as recording:
        samples = array("h", recording.readframes(recording.getnframes()))
    tone = array("h", dtmf_tone("5"))
    assert samples[4000:4800] == array("h", [1000 + sample for sample in tone])
    assert samples[:4000] == array("h", [1000] * 4000)
    assert samples[4800:] == array("h", [1000] * 3200)
