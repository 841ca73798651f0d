"""A phone line for answering-machine tests: a `CallSession` whose far end sends given PCM
(then silence) 20 ms per tick of its own media clock, as the SIP session's media clock does;
prompts and waits last their duration in ticks. Time is counted in frames, never read from a
wall clock, so the tests are exact."""

from __future__ import annotations

import asyncio
import math
import random
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.media import Audio
from aicall.telephony.session import CallEnded, DialRequest, DialResult, Heard

FRAME = 320  # 20 ms of 8 kHz s16le
MAX_FRAMES = 3000  # 60 s: the line hangs up (MAX_DURATION) so no test can run away
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def silence(seconds: float) -> bytes:
    return bytes(round(seconds * 8000) * 2)


def tone(seconds: float, hz: float = 1000.0) -> bytes:
    """A pure tone: a voicemail's "leave a message" beep."""
    n = round(seconds * 8000)
    return struct.pack(f"<{n}h", *(int(8000 * math.sin(2 * math.pi * hz * i / 8000)) for i in range(n)))


def voice(seconds: float, *, pitch: float = 140.0, seed: int = 1) -> bytes:
    """Voice-like sound (a harmonic-rich glottal tone, syllables at 4 Hz, a little noise) that
    WebRTC's VAD takes for speech: a person's "a lô", or a greeting when long."""
    rnd = random.Random(seed)
    n = round(seconds * 8000)
    samples, phase = [], 0.0
    for i in range(n):
        t = i / 8000
        phase += 2 * math.pi * pitch * (1 + 0.05 * math.sin(2 * math.pi * 3 * t)) / 8000
        wave = sum(math.sin(k * phase) / k for k in range(1, 20))
        envelope = 0.55 + 0.45 * math.sin(2 * math.pi * 4 * t)
        samples.append(max(-32768, min(32767, int(wave * envelope * 5000 + rnd.gauss(0, 200)))))
    return struct.pack(f"<{n}h", *samples)


HUMAN = silence(0.3) + voice(0.6)  # "a lô", then waiting for us
VOICEMAIL = voice(1.0) + silence(0.3) + voice(1.0) + silence(0.2) + tone(0.4)  # greeting, beep
LONG_GREETING = voice(4.0)  # a greeting that talks on, no beep


@dataclass
class Played:
    text: str
    start: int  # frame index
    end: int
    interrupted: bool  # cut before its end


@dataclass
class FakeLine:
    """One answered call; `callee` is what the far end sends from the answer (then silence)."""

    callee: bytes
    call_id: str = "fake-call"
    hang_up_at: int | None = None  # the far end hangs up at this frame
    audio_fails: bool = False  # `callee_audio` raises at its first frame
    frame: int = 0
    played: list[Played] = field(default_factory=list)
    readers: int = 0  # callee_audio iterations started
    _end_reason: EndReason | None = None
    _ticked: asyncio.Event = field(default_factory=asyncio.Event)
    _clock: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._clock = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        while self._end_reason is None:
            await asyncio.sleep(0)
            self.frame += 1
            if self.hang_up_at is not None and self.frame >= self.hang_up_at:
                self._end(EndReason.REMOTE_HANGUP)
            elif self.frame >= MAX_FRAMES:
                self._end(EndReason.MAX_DURATION)
            self._ticked.set()
            self._ticked = asyncio.Event()

    def now(self) -> datetime:
        return START + timedelta(seconds=self.frame * 0.02)

    def _end(self, reason: EndReason) -> None:
        if self._end_reason is None:
            self._end_reason = reason
            self._ticked.set()

    async def _frames(self, count: int) -> None:
        """Wait `count` ticks; CallEnded if the call ends meanwhile."""
        until = self.frame + count
        while self.frame < until:
            if self._end_reason is not None:
                raise CallEnded(self._end_reason)
            await self._ticked.wait()
        if self._end_reason is not None:
            raise CallEnded(self._end_reason)

    async def callee_audio(self) -> AsyncIterator[bytes]:
        self.readers += 1
        if self.audio_fails:
            raise OSError("the RTP socket went away")
        position = self.frame
        while self._end_reason is None:
            while position < self.frame:
                start = position * FRAME
                chunk = self.callee[start : start + FRAME]
                yield chunk + bytes(FRAME - len(chunk))
                position += 1
            await self._ticked.wait()

    async def play(self, audio: Audio, *, barge_in: bool = True) -> bool:
        if self._end_reason is not None:
            raise CallEnded(self._end_reason)
        entry = Played(audio.text, self.frame, self.frame, interrupted=True)
        self.played.append(entry)
        await self._frames(max(1, round(audio.duration / 0.02)))
        entry.end, entry.interrupted = self.frame, False
        return False

    async def collect_digits(
        self, *, max_digits: int = 1, timeout: float = 5.0, terminator: str | None = "#"
    ) -> str:
        await self._frames(round(timeout / 0.02))
        return ""

    async def listen(self, prompt: Audio | None = None, **options: object) -> Heard:
        if prompt is not None:
            await self.play(prompt)
        return Heard()

    async def transfer(self, target: str) -> bool:
        return False

    async def hangup(self) -> None:
        self._end(EndReason.COMPLETED)

    @property
    def ended(self) -> bool:
        return self._end_reason is not None

    @property
    def end_reason(self) -> EndReason | None:
        return self._end_reason

    @property
    def ended_at(self) -> datetime | None:
        return self.now() if self._end_reason is not None else None

    @property
    def recording_path(self) -> str | None:
        return None


class FakeBackend:
    """Answers every dial with `line`."""

    name = "fake"

    def __init__(self, line: FakeLine) -> None:
        self.line = line
        self.requests: list[DialRequest] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def originate(self, request: DialRequest) -> DialResult:
        self.requests.append(request)
        self.line.start()
        return DialResult(
            CallOutcome.ANSWERED, sip_code=200, reason="OK", session=self.line, answered_at=START
        )
