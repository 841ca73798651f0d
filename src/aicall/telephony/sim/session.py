"""One answered call to a virtual phone.

The phone's keys are tied to menu visits: the n-th `collect_digits` is the n-th visit and uses
the n-th entry of `PhoneBehaviour.keys`. The key goes in `key_delay` call seconds after the
start of the prompt played just before that `collect_digits` (or after the collect starts when
no prompt came first). While a prompt that allows barge-in plays, that moment interrupts it;
otherwise the key waits in the buffer, or arrives during the collect. A prompt without barge-in
is never pressed into, which keeps type-ahead out of plain messages.

`callee_audio` is what the phone sends from the answer, on the call's own timeline: its greeting
(a person's "A lô", a voicemail's greeting and beep, an announcement), the words it says at
listening menus, silence everywhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from aicall.calls.outcomes import EndReason
from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE, Audio, Utterance
from aicall.speech.listening import ListenSettings, find_utterance
from aicall.speech.timing import estimate_duration
from aicall.telephony.session import CallEnded, Heard
from aicall.telephony.sim.behaviour import PhoneBehaviour
from aicall.telephony.sim.callee import (
    DEFAULT_GREETING_DELAY,
    Answerer,
    GreetingCache,
    beep,
    silence,
    synthetic_speech,
)
from aicall.telephony.sim.recording import DTMF_GAP, DTMF_TONE, dtmf_tone, mix_pcm, write_wav
from aicall.telephony.sim.timeline import VirtualTimeline

log = logging.getLogger(__name__)

__all__ = ["SimCallSession", "Speaker"]

# Turns the words a phone says into 8 kHz PCM (the simulator's TTS path, e.g. espeak-ng).
Speaker = Callable[[str], Awaitable[bytes]]
_LEAD_SILENCE = b"\x00" * (SAMPLE_RATE * BYTES_PER_SAMPLE * 3 // 10)  # 0.3 s around spoken words
FRAME_SECONDS = 0.02
FRAME_BYTES = 320  # 20 ms of 8 kHz s16le mono: one frame of `callee_audio`
_SELF_PACED_SECONDS = 5 * FRAME_SECONDS
_ANNOUNCEMENT_TAIL = 1.0  # seconds the network stays on the line after its announcement


class SimCallSession:
    """A `CallSession` on a virtual phone. `heard` and `keys_sent` record the call for tests."""

    def __init__(
        self,
        *,
        call_id: str,
        number: str,
        behaviour: PhoneBehaviour,
        timeline: VirtualTimeline,
        max_duration: float,
        recording_to: Path | None = None,
        on_end: Callable[[SimCallSession], None] | None = None,
        speaker: Speaker | None = None,
        greetings: GreetingCache | None = None,
    ) -> None:
        self.call_id = call_id
        self.speaker = speaker  # None: utterances carry the words and an estimated length only
        self.said: list[str] = []  # what the callee said, one entry per utterance
        self.number = number
        self.behaviour = behaviour
        self.heard: list[str] = []  # text of every prompt the callee heard, whole or in part
        self.keys_sent: list[str] = []  # what the callee pressed, one entry per key press
        self.transferred_to: str | None = None
        self._timeline = timeline
        self._answered = timeline.elapsed
        # Moments (in call seconds) at which the call ends by itself, earliest first.
        deadlines = [(self._answered + max_duration, EndReason.MAX_DURATION)]
        if behaviour.hangup_after is not None:
            deadlines.append((self._answered + behaviour.hangup_after, EndReason.REMOTE_HANGUP))
        elif behaviour.answer is Answerer.ANNOUNCEMENT:
            # The network hangs up once its message is over (its length estimated from the words).
            said = self._greeting_delay() + (
                behaviour.greeting_seconds
                if behaviour.greeting_seconds is not None
                else estimate_duration(behaviour.greeting_text)
            )
            deadlines.append((self._answered + said + _ANNOUNCEMENT_TAIL, EndReason.REMOTE_HANGUP))
        self._deadlines = sorted(deadlines, key=lambda deadline: deadline[0])
        self._recording_to = recording_to
        self._on_end = on_end
        self._segments: list[tuple[float, bytes]] = []  # (seconds since answer, pcm played)
        self._tones: list[tuple[float, bytes]] = []  # (seconds since answer, a key's DTMF tone)
        self._buffer = ""  # digits pressed and not yet collected
        self._plays = 0
        self._visit = 0  # menu visits so far: the index of the next entry in `behaviour.keys`
        self._visit_key_pressed = False
        self._prompt_started: float | None = None  # start of the last prompt of this visit
        self._hung_up = asyncio.Event()  # wakes any wait once the call is over
        self._end_reason: EndReason | None = None
        self._ended_at: datetime | None = None
        self._recording_path: str | None = None
        self._greetings = greetings or GreetingCache(speaker)
        # What the callee sent: (call seconds since the answer, pcm); the greeting comes first,
        # made on the first `callee_audio` (no TTS for a call nobody listens to).
        self._callee: list[tuple[float, bytes]] = []
        self._greeting_made = False
        self._greeting_lock = asyncio.Lock()

    def now(self) -> datetime:
        """The call's own clock: pass it to `run_script(clock=...)` for timestamps in call time."""
        return self._timeline.now()

    @property
    def answered_at(self) -> datetime:
        return self._timeline.start + timedelta(seconds=self._answered)

    async def play(self, audio: Audio, *, barge_in: bool = True) -> bool:
        self._raise_if_over()
        if barge_in and self._buffer:
            return True  # a digit is already waiting: the prompt stops before it starts
        self._plays += 1
        self._prompt_started = started = self._timeline.elapsed
        self.heard.append(audio.text)
        # What ends this prompt: its own end, the callee hanging up halfway, or the callee's key.
        stop_at, event = audio.duration, "done"
        if self.behaviour.hangup_in_prompt == self._plays:
            stop_at, event = audio.duration / 2, "hangup"
        key = self._visit_key()
        if barge_in and key and self.behaviour.key_delay < stop_at:
            stop_at, event = self.behaviour.key_delay, "key"
        try:
            await self._wait(stop_at)
        finally:
            self._record(audio, started)
        if event == "hangup":
            self._finish(EndReason.REMOTE_HANGUP)
            raise CallEnded(EndReason.REMOTE_HANGUP)
        if event == "key":
            self._press(key)
            return True
        return False

    async def collect_digits(
        self, *, max_digits: int = 1, timeout: float = 5.0, terminator: str | None = "#"
    ) -> str:
        self._raise_if_over()
        try:
            key = self._visit_key()
            if key:
                base = self._prompt_started if self._prompt_started is not None else self._timeline.elapsed
                wait = max(0.0, base + self.behaviour.key_delay - self._timeline.elapsed)
                if wait > timeout:
                    await self._wait(timeout)
                    return ""  # the moment passed: the callee was too slow for this menu
                await self._wait(wait)
                self._press(key)
            if not self._buffer:
                await self._wait(timeout)
                return ""
            digits, complete = self._take(max_digits, terminator)
            if not complete:
                # Fewer digits than asked and no terminator: a real collect waits for more;
                # the phone sends nothing else during this visit, so it times out.
                await self._wait(timeout)
            return digits
        finally:
            self._visit += 1
            self._visit_key_pressed = False
            self._prompt_started = None

    async def listen(
        self,
        prompt: Audio | None = None,
        *,
        barge_in: bool = True,
        timeout: float = 5.0,
        max_speech: float = 8.0,
        keys: bool = False,
    ) -> Heard:
        """The phone says `behaviour.say[visit]` (or presses its key, when `keys`) `key_delay`
        seconds into the prompt; the words become audio (the speaker), cut by the same
        voice-activity detection as a real call's."""
        self._raise_if_over()
        key = self._visit_key() if keys else ""
        if keys and barge_in and self._buffer:
            return Heard(key=True)  # typed ahead: the menu takes it at once
        said = self._visit_say()
        pressed = False
        try:
            started = self._timeline.elapsed
            length = prompt.duration if prompt is not None else 0.0
            if prompt is not None:
                self._plays += 1
                self._prompt_started = started
                self.heard.append(prompt.text)
                if self.behaviour.hangup_in_prompt == self._plays:
                    try:
                        await self._wait(length / 2)
                    finally:
                        self._record(prompt, started)
                    self._finish(EndReason.REMOTE_HANGUP)
                    raise CallEnded(EndReason.REMOTE_HANGUP)
            if not key and not said:
                await self._play_for(prompt, started, length)
                await self._wait(timeout)
                return Heard()
            delay = self.behaviour.key_delay
            interrupted = barge_in and delay < length
            await self._play_for(prompt, started, delay if interrupted else length)
            gap = max(0.0, delay - length)
            if gap > timeout:
                await self._wait(timeout)
                return Heard()  # the callee was too slow for this menu
            await self._wait(gap)
            if key:
                self._press(key)
                pressed = True
                return Heard(interrupted=interrupted, key=True)
            utterance, spoken = await self._utterance(said, max_speech)
            self.said.append(said)
            if utterance is not None and utterance.pcm:
                self._callee.append((self._timeline.elapsed - self._answered, utterance.pcm))
            await self._wait(spoken)
            return Heard(utterance=utterance, interrupted=interrupted)
        finally:
            if not pressed:  # a pressed key's visit ends with the collect that takes it
                self._visit += 1
                self._visit_key_pressed = False
                self._prompt_started = None

    async def _play_for(self, prompt: Audio | None, started: float, seconds: float) -> None:
        try:
            await self._wait(seconds)
        finally:
            if prompt is not None:
                self._record(prompt, started)

    async def _utterance(self, said: str, max_speech: float) -> tuple[Utterance | None, float]:
        """The utterance the listener would cut from these words, and the call seconds it takes
        (speech plus the silence that tells the detector it ended)."""
        settings = ListenSettings(max_speech=max_speech)
        if self.speaker is None:
            duration = min(estimate_duration(said), max_speech)
            return Utterance(pcm=b"", duration=duration, said=said), duration + settings.end_silence_ms / 1000
        pcm = await self.speaker(said)
        found = find_utterance(_LEAD_SILENCE + pcm + _LEAD_SILENCE, settings, said=said)
        if found is None:
            return None, settings.end_silence_ms / 1000  # nothing audible: the listener hears silence
        start, end, utterance = found
        return utterance, end - start

    async def callee_audio(self) -> AsyncIterator[bytes]:
        """What the phone sends from now until the call ends: 20 ms frames (320 bytes) of 8 kHz
        s16le mono, on the call's timeline. Frames come as call time passes: while the call
        flow waits (a prompt, a collect) they follow it, paced by the time scale (at scale 0
        they come at once); when nothing else waits, reading lets call time pass itself, as a
        real line's audio keeps arriving while we only listen (at scale 0 such a reader runs call
        time ahead as fast as it reads). Several readers may read at once; each gets the frames
        from when it started. The iteration ends with the call."""
        if self.ended:
            return
        # From the moment the reader asked, however long the greeting takes to synthesise.
        frame = max(0, math.floor((self._timeline.position() - self._answered) / FRAME_SECONDS + 1e-6))
        await self._make_greeting()
        while not self.ended:
            available = self._timeline.position() - self._answered
            while (frame + 1) * FRAME_SECONDS <= available + 1e-9:
                yield self._callee_frame(frame)
                frame += 1
            if self._end_reason is not None:  # it ended while a reader took the frames
                return
            if self._timeline.waiting:
                # Someone else's wait moves the call on: follow it in real time (at scale 0 it
                # is over by the next turn of the loop).
                behind = (frame + 1) * FRAME_SECONDS - available
                await asyncio.sleep(max(0.0, behind) * self._timeline.scale)
                continue
            try:
                # A few frames at a time: call time is exact either way, and at scale 0 a
                # thousand calls at once turn the event loop five times less.
                await self._wait(_SELF_PACED_SECONDS)
            except CallEnded:
                return

    async def _make_greeting(self) -> None:
        async with self._greeting_lock:  # a second reader waits for the first one's synthesis
            if self._greeting_made:
                return
            behaviour = self.behaviour
            if behaviour.greeting_seconds is not None:
                words = synthetic_speech(behaviour.greeting_seconds)
            else:
                words = await self._greetings.speech(behaviour.greeting_text)
            pcm = silence(self._greeting_delay()) + words
            if behaviour.beeps:
                pcm += silence(0.3) + beep()
            self._callee.insert(0, (0.0, pcm))
            self._greeting_made = True

    def _greeting_delay(self) -> float:
        delay = self.behaviour.greeting_delay
        return delay if delay is not None else DEFAULT_GREETING_DELAY[self.behaviour.answer]

    def _callee_frame(self, index: int) -> bytes:
        """Frame `index` (20 ms each, from the answer) of what the callee sent: silence, or the
        segments that cover it, mixed where they overlap."""
        start = index * FRAME_BYTES
        out: bytearray | None = None
        for at, pcm in self._callee:
            offset = start - round(at * SAMPLE_RATE) * BYTES_PER_SAMPLE
            if offset >= len(pcm) or offset + FRAME_BYTES <= 0:
                continue
            piece = pcm[max(0, offset) : offset + FRAME_BYTES]
            piece = b"\x00" * max(0, -offset) + piece
            piece += b"\x00" * (FRAME_BYTES - len(piece))
            out = bytearray(piece) if out is None else bytearray(mix_pcm(bytes(out), piece))
        return bytes(out) if out is not None else bytes(FRAME_BYTES)

    def _visit_say(self) -> str:
        return self.behaviour.say[self._visit] if self._visit < len(self.behaviour.say) else ""

    async def transfer(self, target: str) -> bool:
        self._raise_if_over()
        if not self.behaviour.accept_transfer:
            return False
        self.transferred_to = target
        self._finish(EndReason.TRANSFERRED)
        return True

    async def hangup(self) -> None:
        if self._end_reason is None:
            self._finish(EndReason.COMPLETED)

    @property
    def ended(self) -> bool:
        return self._end_reason is not None

    @property
    def end_reason(self) -> EndReason | None:
        return self._end_reason

    @property
    def ended_at(self) -> datetime | None:
        return self._ended_at

    @property
    def recording_path(self) -> str | None:
        return self._recording_path

    @property
    def duration(self) -> float:
        """Call seconds from answer to now (or to the end)."""
        return self._timeline.elapsed - self._answered

    def _visit_key(self) -> str:
        """The key of the current menu visit, '' when there is none or it is already pressed."""
        if self._visit_key_pressed or self._visit >= len(self.behaviour.keys):
            return ""
        return self.behaviour.keys[self._visit]

    def _press(self, key: str) -> None:
        self._buffer += key
        self.keys_sent.append(key)
        self._visit_key_pressed = True
        if self._recording_to is not None:
            # A burst ("12#") is typed key after key, as a phone would send it; the call's time
            # does not wait for the tones (the keys are in the buffer at once).
            at = self._timeline.elapsed - self._answered
            for index, digit in enumerate(key):
                self._tones.append((at + index * (DTMF_TONE + DTMF_GAP), dtmf_tone(digit)))

    def _take(self, max_digits: int, terminator: str | None) -> tuple[str, bool]:
        """Up to `max_digits` from the buffer; True when complete (enough digits or the terminator)."""
        digits = ""
        for index, digit in enumerate(self._buffer):
            if terminator is not None and digit == terminator:
                self._buffer = self._buffer[index + 1 :]
                return digits, True
            digits += digit
            if len(digits) >= max_digits:
                self._buffer = self._buffer[index + 1 :]
                return digits, True
        self._buffer = ""
        return digits, False

    async def _wait(self, seconds: float) -> None:
        """Let `seconds` of the call pass, unless it ends first (deadline or our hang-up)."""
        deadline, reason = self._deadlines[0]
        if self._timeline.elapsed + seconds > deadline:
            await self._timeline.sleep(deadline - self._timeline.elapsed, wake=self._hung_up)
            if self._end_reason is None:
                self._finish(reason)
        else:
            await self._timeline.sleep(seconds, wake=self._hung_up)
        self._raise_if_over()

    def _raise_if_over(self) -> None:
        if self._end_reason is None:
            for deadline, reason in self._deadlines:
                if self._timeline.elapsed >= deadline:
                    self._finish(reason)
                    break
        if self._end_reason is not None:
            raise CallEnded(self._end_reason)

    def _record(self, audio: Audio, started: float) -> None:
        if self._recording_to is not None and audio.pcm:
            played = round((self._timeline.elapsed - started) * SAMPLE_RATE) * BYTES_PER_SAMPLE
            self._segments.append((started - self._answered, audio.pcm[:played]))

    def _finish(self, reason: EndReason) -> None:
        self._end_reason = reason
        self._ended_at = self._timeline.now()
        self._hung_up.set()
        if self._recording_to is not None:
            try:
                # Prompts first: they never overlap each other, so only the tones need mixing.
                write_wav(
                    self._recording_to, duration=self.duration, segments=[*self._segments, *self._tones]
                )
            except OSError as exc:
                # A full or read-only disk costs the recording, never the call (as on SIP).
                log.warning("call %s: recording not written: %s", self.call_id, exc)
                with contextlib.suppress(OSError):
                    self._recording_to.unlink(missing_ok=True)  # no half file
            else:
                self._recording_path = str(self._recording_to)
        if self._on_end is not None:
            self._on_end(self)
