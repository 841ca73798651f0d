"""`SipCallSession.listen` on received audio: a stand-in RTP stream hands it decoded PCM as RTP
would (the `audio_sink` hook), and the session cuts the utterance, stops the prompt on speech,
gives up at the timeout, and yields to a key."""

from __future__ import annotations

import asyncio
import math
from array import array
from datetime import UTC, datetime
from typing import Any, cast

from aicall.media import Audio
from aicall.telephony.sip.media import PromptCache
from aicall.telephony.sip.session import SipCallSession


class FakeStream:
    payload_type = 0

    def __init__(self) -> None:
        self.audio_sink: Any = None
        self.playing = False

    def play(self, prompt: object, *, silence_frames: int = 0) -> None:
        self.playing = True

    def stop_playing(self) -> None:
        self.playing = False

    def close(self) -> None:
        self.playing = False


def session_on(stream: FakeStream) -> SipCallSession:
    none = cast(Any, None)
    return SipCallSession(
        call_id="c1",
        dialog=none,
        peer=("127.0.0.1", 9),
        me=none,
        contact_user="aicall",
        transactions=none,
        stream=cast(Any, stream),
        prompts=PromptCache(),
        recorder=None,
        wall_clock=lambda: datetime.now(UTC),
        refer_domain="example.com",
        on_ended=lambda _session: None,
    )


def voice(seconds: float) -> bytes:
    return array(
        "h",
        (
            int(6000 * math.sin(2 * math.pi * 200 * n / 8000) + 3000 * math.sin(2 * math.pi * 600 * n / 8000))
            for n in range(int(8000 * seconds))
        ),
    ).tobytes()


async def speak(stream: FakeStream, audio: bytes) -> None:
    """Hand `audio` to the session 20 ms at a time, as RTP packets arrive."""
    while stream.audio_sink is None:
        await asyncio.sleep(0)
    for index in range(0, len(audio), 320):
        if stream.audio_sink is None:
            return
        stream.audio_sink(audio[index : index + 320])
        await asyncio.sleep(0)


async def test_speech_during_the_prompt_stops_it_and_comes_back_as_an_utterance() -> None:
    stream = FakeStream()
    session = session_on(stream)
    talker = asyncio.create_task(speak(stream, bytes(4800) + voice(1.0) + bytes(16000)))
    heard = await asyncio.wait_for(session.listen(Audio("Anh có đồng ý không?", 5.0), timeout=2), 5)
    await talker
    assert heard.interrupted and not heard.key
    assert heard.utterance is not None and 0.9 <= heard.utterance.duration <= 1.5
    assert not stream.playing and stream.audio_sink is None  # the prompt stopped, the hook removed


async def test_without_barge_in_the_prompt_plays_to_its_end_first() -> None:
    stream = FakeStream()
    session = session_on(stream)

    async def finish_prompt() -> None:
        await asyncio.sleep(0.05)
        assert stream.playing  # speech alone did not stop it
        stream.playing = False
        session.prompt_finished()

    talker = asyncio.create_task(speak(stream, voice(0.5)))
    ender = asyncio.create_task(finish_prompt())
    heard = await asyncio.wait_for(session.listen(Audio("Xin chào", 2.0), barge_in=False, timeout=1), 5)
    await asyncio.gather(talker, ender)
    assert not heard.interrupted


async def test_silence_ends_at_the_timeout_and_a_key_ends_it_when_keys_count() -> None:
    stream = FakeStream()
    session = session_on(stream)
    started = asyncio.get_running_loop().time()
    heard = await session.listen(None, timeout=0.2)
    assert heard.utterance is None and not heard.key
    assert 0.15 < asyncio.get_running_loop().time() - started < 1.0

    async def press() -> None:
        await asyncio.sleep(0.05)
        session.digit_received("1")

    presser = asyncio.create_task(press())
    heard = await asyncio.wait_for(session.listen(None, timeout=2, keys=True), 5)
    await presser
    assert heard.key and await session.collect_digits(timeout=0.1) == "1"
