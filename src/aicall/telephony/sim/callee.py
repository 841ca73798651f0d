"""What a virtual phone sends from the moment it answers: a person's "A lô", a voicemail's greeting
and beep, a network announcement. 8 kHz mono s16le PCM, for answering-machine detection.

The words are spoken by the backend's speaker (espeak-ng, `vi`) and cached per text. Without a
speaker the phone "speaks" `synthetic_speech`: harmonic vowels in syllables, which a voice-activity
detector takes for speech, and a detector of beeps does not take for a tone, so detection still
tells a person from a machine in the demo and in tests that run without espeak-ng.
"""

from __future__ import annotations

import logging
import math
import struct
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from enum import StrEnum
from functools import lru_cache

from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE
from aicall.speech.timing import estimate_duration

log = logging.getLogger(__name__)

__all__ = [
    "BEEP_HZ",
    "BEEP_SECONDS",
    "DEFAULT_GREETINGS",
    "Answerer",
    "GreetingCache",
    "beep",
    "silence",
    "synthetic_speech",
]


class Answerer(StrEnum):
    """Who or what picks up an answered call (`PhoneBehaviour.answer`)."""

    PERSON = "person"  # says a short greeting ("A lô"), then waits for the caller
    VOICEMAIL = "voicemail"  # a recorded greeting, usually a beep, then records in silence
    ANNOUNCEMENT = "announcement"  # the network's recorded message, then it hangs up


DEFAULT_GREETINGS = {
    Answerer.PERSON: "A lô",
    Answerer.VOICEMAIL: (
        "Xin chào, đây là hộp thư thoại. Hiện tôi không thể nghe máy, vui lòng để lại lời nhắn sau tiếng bíp."
    ),
    Answerer.ANNOUNCEMENT: "Thuê bao quý khách vừa gọi hiện không liên lạc được, xin vui lòng gọi lại sau.",
}
# Silence between the answer and the first word: a person lifts the phone to the ear; a machine
# starts its recording.
DEFAULT_GREETING_DELAY = {Answerer.PERSON: 0.4, Answerer.VOICEMAIL: 0.5, Answerer.ANNOUNCEMENT: 0.3}
BEEP_HZ = 1000.0  # the most common voicemail beep
BEEP_SECONDS = 0.5
_BEEP_GAP = 0.3  # silence between the greeting's last word and the beep
_BEEP_AMPLITUDE = 0.3 * 32767  # about -10 dBFS


def silence(seconds: float) -> bytes:
    return b"\x00" * (round(seconds * SAMPLE_RATE) * BYTES_PER_SAMPLE)


def _pack(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}h", *(max(-32767, min(32767, round(v))) for v in values))


def beep(hz: float = BEEP_HZ, seconds: float = BEEP_SECONDS) -> bytes:
    """A voicemail's "leave your message" tone: a sine of `hz` Hz, 5 ms ramps at both ends."""
    n = round(seconds * SAMPLE_RATE)
    ramp = 0.005 * SAMPLE_RATE
    return _pack(
        [
            _BEEP_AMPLITUDE
            * min(1.0, i / ramp, (n - i) / ramp)
            * math.sin(2 * math.pi * hz * i / SAMPLE_RATE)
            for i in range(n)
        ]
    )


# A vowel as a sum of harmonics of the voice's pitch, loudest near two formants (an open "a").
_FORMANTS = ((750.0, 1.0), (1250.0, 0.6), (2600.0, 0.2))
_SYLLABLE = 0.22  # seconds of voice per syllable
_SYLLABLE_GAP = 0.06  # seconds of near-silence between syllables


def synthetic_speech(seconds: float, *, pitch: float = 130.0) -> bytes:
    """About `seconds` of speech-like sound: syllables of a harmonic vowel on three pitches,
    each with a rise and decay, at about -16 dBFS. Deterministic; no TTS needed."""
    if seconds <= 0:
        return b""
    syllables = max(1, round(seconds / (_SYLLABLE + _SYLLABLE_GAP)))
    gap = silence(_SYLLABLE_GAP)
    return b"".join(
        _syllable(round(pitch * (1.1 - 0.1 * (index % 3)), 1)) + gap for index in range(syllables)
    )


@lru_cache(maxsize=16)
def _syllable(f0: float) -> bytes:
    n = round(_SYLLABLE * SAMPLE_RATE)
    harmonics = []
    for k in range(1, int(3400 // f0) + 1):
        hz = k * f0
        gain = sum(weight / (1 + ((hz - centre) / 150) ** 2) for centre, weight in _FORMANTS)
        harmonics.append((2 * math.pi * hz / SAMPLE_RATE, gain))
    norm = 5000 / max(1e-9, sum(gain for _step, gain in harmonics))
    return _pack(
        [
            norm
            * math.sin(math.pi * i / n) ** 0.5
            * sum(gain * math.sin(step * i) for step, gain in harmonics)
            for i in range(n)
        ]
    )


Speak = Callable[[str], Awaitable[bytes]]


class GreetingCache:
    """The PCM of greetings by text, spoken once by `speaker` (or synthetic without one).

    Bounded (least recently used out first): a rules file names few greetings, but each phone
    may have its own. Shared by all the calls of one backend.
    """

    def __init__(self, speaker: Speak | None, *, size: int = 64) -> None:
        self.speaker = speaker
        self._size = size
        self._pcm: OrderedDict[str, bytes] = OrderedDict()

    async def speech(self, text: str) -> bytes:
        """8 kHz s16le PCM of `text` spoken (synthetic speech of its estimated length without a
        speaker, or when the speaker fails: the call goes on, the phone still sounds like one)."""
        cached = self._pcm.get(text)
        if cached is not None:
            self._pcm.move_to_end(text)
            return cached
        pcm: bytes | None = None
        if self.speaker is not None:
            try:
                pcm = await self.speaker(text)
            except Exception as exc:  # any TTS fault: fall back, as a recorded sim call's prompts do
                log.warning("simulated greeting %r not spoken (%s): synthetic speech instead", text, exc)
        if pcm is None:
            pcm = synthetic_speech(max(0.3, estimate_duration(text) - 0.35))
        self._pcm[text] = pcm
        if len(self._pcm) > self._size:
            self._pcm.popitem(last=False)
        return pcm
