"""Voice-activity detection cuts utterances out of telephone audio (webrtcvad on espeak-ng speech)."""

from __future__ import annotations

import math
import shutil
from array import array

import pytest

from aicall.speech.listening import FRAME_BYTES, ListenSettings, Phase, UtteranceDetector, find_utterance
from aicall.speech.tts import EspeakEngine

SECOND = 16000  # bytes of 8 kHz s16le
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def silence(seconds: float) -> bytes:
    return b"\x00" * int(SECOND * seconds)


@needs_espeak
async def test_spoken_words_are_found_between_silences() -> None:
    words = await EspeakEngine().synthesize("vâng, đúng rồi", voice="vi")
    found = find_utterance(silence(1.0) + words + silence(1.5), said="vâng, đúng rồi")
    assert found is not None
    start, end, utterance = found
    assert 0.6 <= start <= 1.3  # the words begin about 1 s in (the pad keeps 0.2 s before)
    assert utterance.said == "vâng, đúng rồi" and not utterance.capped
    assert 0.5 < utterance.duration < len(words) / SECOND + 0.5
    assert end - start >= utterance.duration + 0.6  # it ends after the closing silence


def test_silence_and_low_noise_are_no_utterance() -> None:
    assert find_utterance(silence(3)) is None
    hiss = array("h", (int(30 * math.sin(n * 1.3)) for n in range(8000 * 2))).tobytes()
    assert find_utterance(hiss) is None


def tone(seconds: float) -> bytes:
    # A voiced-like signal: a 200 Hz buzz with harmonics, loud enough for the detector.
    return array(
        "h",
        (
            int(6000 * math.sin(2 * math.pi * 200 * n / 8000) + 3000 * math.sin(2 * math.pi * 600 * n / 8000))
            for n in range(int(8000 * seconds))
        ),
    ).tobytes()


def test_a_callee_who_talks_on_is_cut_at_the_cap() -> None:
    detector = UtteranceDetector(ListenSettings(max_speech=1.0))
    audio = tone(5)
    phases = [detector.feed(audio[i : i + FRAME_BYTES]) for i in range(0, len(audio), FRAME_BYTES)]
    assert Phase.SPEAKING in phases and phases[-1] is Phase.DONE
    utterance = detector.utterance()
    assert utterance is not None and utterance.capped and utterance.duration <= 1.05
