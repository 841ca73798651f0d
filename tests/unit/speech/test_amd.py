"""Answering-machine detection on synthetic audio: tones, silence, noise and speech-like sound."""

from __future__ import annotations

import math
import random
import struct

import pytest

from aicall.speech.amd import AmdResult, AmdSettings, AmdVerdict, AnsweringMachineDetector, ToneDetector

RATE = 8000
FRAME = 320


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * round(seconds * RATE)


def _pack(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}h", *(max(-32767, min(32767, round(v))) for v in values))


def tone(hz: float, seconds: float, amplitude: float = 8000.0) -> bytes:
    return _pack([amplitude * math.sin(2 * math.pi * hz * i / RATE) for i in range(round(seconds * RATE))])


def noise(seconds: float, rms: float, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return _pack([rng.gauss(0, rms) for _ in range(round(seconds * RATE))])


def mix(a: bytes, b: bytes) -> bytes:
    n = min(len(a), len(b)) // 2
    left, right = struct.unpack(f"<{n}h", a[: 2 * n]), struct.unpack(f"<{n}h", b[: 2 * n])
    return _pack([x + y for x, y in zip(left, right, strict=True)])


def speech(seconds: float, pitch: float = 125.0) -> bytes:
    """Speech-like sound: syllables (0.22 s) of a vowel made of pitch harmonics shaped by two
    formants, with 60 ms gaps; what WebRTC's VAD takes for voice and no tone detector for a tone."""
    out: list[float] = []
    syllables = max(1, round(seconds / 0.28))
    for index in range(syllables):
        f0 = pitch * (1.0 + 0.08 * (index % 3))
        parts = [
            (
                2 * math.pi * k * f0 / RATE,
                1 / (1 + ((k * f0 - 700) / 150) ** 2) + 0.6 / (1 + ((k * f0 - 1200) / 150) ** 2),
            )
            for k in range(1, int(3400 // f0))
        ]
        n = round(0.22 * RATE)
        scale = 6000 / sum(g for _s, g in parts)
        out += [
            scale * math.sin(math.pi * i / n) ** 0.5 * sum(g * math.sin(s * i) for s, g in parts)
            for i in range(n)
        ]
        out += [0.0] * round(0.06 * RATE)
    return _pack(out)


def run(pcm: bytes, settings: AmdSettings | None = None) -> tuple[AnsweringMachineDetector, AmdResult | None]:
    """Feed `pcm` frame by frame; the detector and the result the first deciding `feed` returned."""
    detector = AnsweringMachineDetector(settings)
    first: AmdResult | None = None
    for index in range(0, len(pcm), FRAME):
        returned = detector.feed(pcm[index : index + FRAME])
        if returned is not None:
            assert first is None, "feed returns the result only once"
            first = returned
    return detector, first


def test_a_short_greeting_then_silence_is_a_person() -> None:
    detector, result = run(silence(0.4) + speech(0.8) + silence(3.0))

    assert result is not None and result == detector.result
    assert result.verdict is AmdVerdict.HUMAN
    assert result.reason == "human_greeting_then_silence"
    # speech ends at about 1.24 s (0.4 + 3 syllables of 0.28 s); decided a second of silence later
    assert 2.0 <= result.decided_after <= 2.5
    assert not detector.ready_for_message  # only a machine's greeting ends in a message


def test_a_long_greeting_is_a_machine_once_it_exceeds_the_greeting_length() -> None:
    detector, result = run(silence(0.3) + speech(6.0) + silence(2.0))

    assert result is not None and result.verdict is AmdVerdict.MACHINE
    assert result.reason == "long_greeting"
    # 2.4 s of voice (the default `greeting`) takes about 3 s of syllables with their gaps
    assert 2.6 <= result.decided_after <= 3.6
    assert detector.ready_for_message  # 2 s of silence after the greeting: it is over


def test_silence_from_the_answer_on_is_a_machine_after_the_initial_silence() -> None:
    _detector, result = run(silence(6.0))

    assert result == AmdResult(AmdVerdict.MACHINE, "initial_silence", 3.5)


def test_a_beep_is_a_machine_and_the_message_may_start_after_it() -> None:
    pcm = silence(0.3) + speech(1.0) + silence(0.3) + tone(1000, 0.5) + silence(2.0)
    detector = AnsweringMachineDetector()
    verdict_at = ready_at = None
    for index in range(0, len(pcm), FRAME):
        detector.feed(pcm[index : index + FRAME])
        at = (index + FRAME) / (2 * RATE)
        if detector.result is not None and verdict_at is None:
            verdict_at = at
        if detector.ready_for_message and ready_at is None:
            ready_at = at

    assert detector.result is not None and detector.result.reason == "beep"
    assert detector.beep_heard
    beep_starts = 0.3 + 1.12 + 0.3
    assert verdict_at is not None and beep_starts + 0.14 <= verdict_at <= beep_starts + 0.24
    # ready half a second after the beep ended (so a tone inside music does not start it)
    assert ready_at is not None and abs(ready_at - (beep_starts + 0.5 + 0.5)) <= 0.04


@pytest.mark.parametrize("hz", [425, 440, 850, 1000, 1400])
def test_common_voicemail_beeps_are_heard(hz: int) -> None:
    _detector, result = run(silence(0.5) + tone(hz, 0.3) + silence(1.0))
    assert result is not None and (result.verdict, result.reason) == (AmdVerdict.MACHINE, "beep")


def test_a_tone_shorter_than_a_beep_is_not_one() -> None:
    detector, _result = run(silence(0.5) + tone(1000, 0.1) + silence(0.5))
    assert not detector.beep_heard


def test_speech_over_steady_noise_is_still_a_person() -> None:
    line = noise(6.0, rms=800)  # about -32 dBFS of hiss, 8 dB under the greeting
    _detector, result = run(mix(line, silence(0.5) + speech(0.8) + silence(6.0)))
    assert result is not None and result.verdict is AmdVerdict.HUMAN


def test_talk_that_never_settles_is_unknown_at_the_analysis_limit() -> None:
    # Bursts and pauses, neither long enough to decide, with the greeting and word limits off.
    settings = AmdSettings(greeting=100.0, max_words=1000, total_analysis_time=6.0)
    burst = speech(0.5) + silence(0.5)
    _detector, result = run(burst * 8, settings)
    assert result == AmdResult(AmdVerdict.UNKNOWN, "max_analysis_time", 6.0)


def test_too_many_words_is_a_machine() -> None:
    settings = AmdSettings(max_words=3, between_words_silence=0.05)
    _detector, result = run(silence(0.3) + speech(3.0) + silence(2.0), settings)
    assert result is not None and (result.verdict, result.reason) == (AmdVerdict.MACHINE, "too_many_words")


def test_one_unbroken_sound_is_a_machine_long_word() -> None:
    # A held vowel-like hum (no syllable gaps), shorter than `greeting` allows: a long "word".
    settings = AmdSettings(greeting=10.0, max_word_length=1.0)
    hum = speech(0.3) * 1  # one syllable...
    hum = b"".join(hum[: round(0.2 * RATE) * 2] for _ in range(10))  # ...repeated without gaps
    _detector, result = run(silence(0.3) + hum + silence(2.0), settings)
    assert result is not None and (result.verdict, result.reason) == (AmdVerdict.MACHINE, "long_word")


def test_audio_in_any_chunking_decides_the_same() -> None:
    pcm = silence(0.4) + speech(0.8) + silence(3.0)
    _detector, whole = run(pcm)
    detector = AnsweringMachineDetector()
    results = []
    rng = random.Random(3)
    index = 0
    while index < len(pcm):
        size = rng.choice([1, 7, 100, 321, 999, 2048])  # odd sizes split samples and frames
        results.append(detector.feed(pcm[index : index + size]))
        index += size
    decided = [result for result in results if result is not None]
    assert decided == [whole]


def test_after_a_person_is_heard_further_audio_is_ignored() -> None:
    detector, result = run(silence(0.4) + speech(0.8) + silence(2.0))
    assert result is not None and result.verdict is AmdVerdict.HUMAN
    assert detector.feed(tone(1000, 1.0)) is None
    assert detector.result == result
    assert not detector.beep_heard


def test_finish_decides_with_what_was_heard() -> None:
    nothing = AnsweringMachineDetector()
    assert nothing.finish() == AmdResult(AmdVerdict.UNKNOWN, "audio_ended", 0.0)

    spoke = AnsweringMachineDetector()
    spoke.feed(silence(0.3) + speech(0.6) + silence(0.4))  # hung up before the silence decided
    result = spoke.finish()
    assert result.verdict is AmdVerdict.HUMAN
    assert spoke.finish() is result  # decided once

    machine, decided = run(silence(4.0))
    assert decided is not None and machine.finish() == decided


@pytest.mark.parametrize("hz", [425.0, 1000.0, 1400.0, 1950.0])
def test_the_tone_detector_finds_a_tone_and_its_frequency(hz: float) -> None:
    detector = ToneDetector(low_hz=400, high_hz=2000, purity=0.8, min_rms=300)
    samples = struct.unpack("<160h", tone(hz, 0.02))
    found = detector.frequency(samples)
    assert found is not None and abs(found - hz) <= 0.02 * hz


@pytest.mark.parametrize(
    "name",
    ["out_of_band_300hz", "dtmf_key_5", "white_noise", "speech", "too_quiet"],
)
def test_the_tone_detector_refuses_what_is_not_one_tone_in_the_band(name: str) -> None:
    pcm = {
        "out_of_band_300hz": tone(300, 0.02),
        "dtmf_key_5": mix(tone(770, 0.02, 6000), tone(1336, 0.02, 6000)),
        "white_noise": noise(0.02, rms=3000),
        "speech": speech(0.3)[800:1120],  # the middle of a syllable
        "too_quiet": tone(1000, 0.02, amplitude=200),
    }[name]
    detector = ToneDetector(low_hz=400, high_hz=2000, purity=0.8, min_rms=300)
    assert detector.frequency(struct.unpack("<160h", pcm)) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"greeting": 0},
        {"initial_silence": -1},
        {"max_words": 0},
        {"vad_aggressiveness": 4},
        {"beep_low_hz": 2500},
        {"beep_purity": 0},
        {"noise_gate_db": -3},
    ],
)
def test_nonsense_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="AmdSettings"):
        AmdSettings(**bad)  # type: ignore[arg-type]


def test_speech_drowned_in_noise_is_never_a_machine() -> None:
    # At about 4 dB SNR, WebRTC's VAD alone hears "words" in the noise on and off and calls a
    # machine (too many words); the noise-floor gate holds the noise back, and the voice the
    # gate also held back keeps the silence rule from calling a dead line: undecided, which
    # callers treat as a person.
    pcm = mix(noise(7.0, rms=1200), silence(0.5) + speech(0.8) + silence(7.0))
    _detector, gated = run(pcm)
    assert gated is not None and gated.verdict is not AmdVerdict.MACHINE
    _detector, vad_alone = run(pcm, AmdSettings(noise_gate_db=0))
    assert vad_alone is not None and vad_alone.verdict is AmdVerdict.MACHINE
