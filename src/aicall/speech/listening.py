"""Finding an utterance in the callee's audio: voice-activity detection, frame by frame.

`UtteranceDetector` takes 20 ms frames of 8 kHz mono s16le (what RTP carries) and says when
speech starts and when it ends, using WebRTC's VAD (`webrtcvad-wheels`, a C library with wheels
for every platform, no model to download). Speech starts after `start_ms` of voiced frames
within a short window (a click or a cough is not an answer) and ends after `end_silence_ms` of
unvoiced frames, or at `max_speech` seconds (the cap: a callee who talks on is cut there). The
utterance keeps `pad_ms` of audio before the start, so the first syllable is not clipped.

Pure and synchronous: a session feeds it frames as they arrive (SIP) or all at once (the
simulator), so the same rules cut both.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

import webrtcvad  # type: ignore[import-untyped]  # ships no type information

from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE, Utterance

__all__ = ["FRAME_BYTES", "FRAME_SECONDS", "ListenSettings", "Phase", "UtteranceDetector", "find_utterance"]

FRAME_SECONDS = 0.02
FRAME_BYTES = round(SAMPLE_RATE * FRAME_SECONDS) * BYTES_PER_SAMPLE  # 320


@dataclass(frozen=True, slots=True)
class ListenSettings:
    aggressiveness: int = 2  # 0 (lenient) .. 3 (strict about what counts as voice)
    start_ms: int = 120  # voiced audio within `window_ms` that counts as speech starting
    window_ms: int = 200
    end_silence_ms: int = 700  # unvoiced audio that ends the utterance
    max_speech: float = 8.0  # seconds: the cap on one utterance
    pad_ms: int = 200  # audio kept from before the start


class Phase(Enum):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"


class UtteranceDetector:
    def __init__(self, settings: ListenSettings | None = None) -> None:
        self.settings = settings or ListenSettings()
        self._vad = webrtcvad.Vad(self.settings.aggressiveness)
        frames = max(1, self.settings.window_ms // 20)
        self._window: deque[tuple[bytes, bool]] = deque(maxlen=frames)
        self._pad: deque[bytes] = deque(maxlen=max(1, self.settings.pad_ms // 20))
        self._speech: list[bytes] = []
        self._silent_frames = 0
        self._voiced_frames = 0
        self.phase = Phase.WAITING
        self.capped = False

    def feed(self, frame: bytes) -> Phase:
        """Take one 20 ms frame (shorter ones are padded with silence); return the phase after it."""
        if self.phase is Phase.DONE:
            return self.phase
        if len(frame) < FRAME_BYTES:
            frame = frame + b"\x00" * (FRAME_BYTES - len(frame))
        frame = frame[:FRAME_BYTES]
        voiced = bool(self._vad.is_speech(frame, SAMPLE_RATE))
        if self.phase is Phase.WAITING:
            self._window.append((frame, voiced))
            needed = max(1, self.settings.start_ms // 20)
            if sum(1 for _f, v in self._window if v) >= needed:
                self.phase = Phase.SPEAKING
                self._speech = [*self._pad, *(f for f, _v in self._window)]
                self._voiced_frames = sum(1 for _f, v in self._window if v)
                self._window.clear()
            else:
                if len(self._window) == self._window.maxlen:
                    self._pad.append(self._window[0][0])
            return self.phase
        self._speech.append(frame)
        if voiced:
            self._voiced_frames += 1
            self._silent_frames = 0
        else:
            self._silent_frames += 1
        if self._silent_frames * 20 >= self.settings.end_silence_ms:
            self.phase = Phase.DONE
        elif len(self._speech) * FRAME_SECONDS >= self.settings.max_speech:
            self.phase, self.capped = Phase.DONE, True
        return self.phase

    def utterance(self, *, said: str | None = None) -> Utterance | None:
        """What was said so far (trailing silence dropped); None if speech never started."""
        if not self._speech:
            return None
        frames = self._speech[: len(self._speech) - self._silent_frames] or self._speech
        pcm = b"".join(frames)
        return Utterance(
            pcm=pcm, duration=len(pcm) / (SAMPLE_RATE * BYTES_PER_SAMPLE), capped=self.capped, said=said
        )

    @property
    def heard_seconds(self) -> float:
        """Seconds of audio since speech started (for the caller's clock)."""
        return len(self._speech) * FRAME_SECONDS


def find_utterance(
    pcm: bytes, settings: ListenSettings | None = None, *, said: str | None = None
) -> tuple[float, float, Utterance] | None:
    """Cut the first utterance out of a recording: (start s, end s, utterance), or None if silent.

    The end is when the detector decided (speech end plus the closing silence, or the cap).
    """
    detector = UtteranceDetector(settings)
    started: float | None = None
    for index in range(0, len(pcm), FRAME_BYTES):
        phase = detector.feed(pcm[index : index + FRAME_BYTES])
        at = (index + FRAME_BYTES) / (SAMPLE_RATE * BYTES_PER_SAMPLE)
        if phase is not Phase.WAITING and started is None:
            started = max(0.0, at - detector.heard_seconds)
        if phase is Phase.DONE:
            utterance = detector.utterance(said=said)
            assert utterance is not None and started is not None
            return started, at, utterance
    utterance = detector.utterance(said=said)
    if utterance is None or started is None:
        return None
    # The audio ran out while speaking: the end of the recording is the end of the speech.
    end = len(pcm) / (SAMPLE_RATE * BYTES_PER_SAMPLE) + detector.settings.end_silence_ms / 1000
    return started, end, utterance
