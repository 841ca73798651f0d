"""Answering-machine detection: is the callee a person, a voicemail or a network announcement?

`AnsweringMachineDetector` takes the callee's audio from the moment of answer (8 kHz mono s16le,
the RTP payload decoded) and decides `human`, `machine` or `unknown`, with the reason, the way
the telephony field does it (Asterisk's `app_amd`, Twilio's and FreeSWITCH's `mod_amd` follow the
same plan):

* a person answers with a short greeting ("A lô", "Alo, ai đấy ạ?") and then waits for us: voice,
  then a silence (`after_greeting_silence`) -> HUMAN;
* a machine talks on: more voice than a person's greeting (`greeting`), more words than a person
  says (`max_words`), or one unbroken stretch of voice (`max_word_length`) -> MACHINE;
* a machine may say nothing at first (a dead line, a voicemail still loading), which no person
  does for long (`initial_silence`) -> MACHINE;
* a "leave a message" beep, a pure tone of 400-2000 Hz held at least `beep_min` seconds -> MACHINE;
* still undecided after `total_analysis_time` -> UNKNOWN (the caller treats it as a person).

Voice activity comes from WebRTC's VAD (`webrtcvad-wheels`, as `speech.listening` uses), frame
by frame, behind a noise gate: a voiced frame must also stand `noise_gate_db` above the noise
floor, because the VAD alone takes loud steady noise for speech (measured in docs/sip.md). A
"word" is a run of voiced frames at least `min_word_length` long; shorter runs are clicks and
noise and count as silence, and runs closer than `between_words_silence` are one word.

Every threshold leans towards HUMAN: hanging up on a person (a false MACHINE) is the worse error,
playing our prompt to a voicemail only costs the call's seconds. The defaults come from Asterisk's
`app_amd` (`configs/samples/amd.conf.sample`) and Twilio's AMD parameters
(`MachineDetectionSpeechThreshold` 2400 ms, `MachineDetectionSpeechEndThreshold` 1200 ms,
`MachineDetectionSilenceTimeout` 5000 ms), moved towards HUMAN where Vietnamese answers need it,
and were tuned on the labelled set of `bench/amd_corpus.py` (figures in docs/sip.md).

Pure and synchronous (no I/O, no clock: time is the audio's own, 20 ms a frame): a call feeds the
callee's audio as it arrives, a benchmark a whole file; `feed` buffers partial frames.
"""

from __future__ import annotations

import math
import struct
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from operator import mul

import webrtcvad  # type: ignore[import-untyped]  # ships no type information

__all__ = ["AmdResult", "AmdSettings", "AmdVerdict", "AnsweringMachineDetector", "ToneDetector"]


class AmdVerdict(StrEnum):
    HUMAN = "human"
    MACHINE = "machine"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AmdResult:
    """A decision: the verdict, why (a short snake_case cause), and when.

    `reason` is one of "beep", "initial_silence", "long_greeting", "too_many_words", "long_word",
    "human_greeting_then_silence", "max_analysis_time", "audio_ended".
    `decided_after` is seconds of callee audio from the answer to the decision.
    """

    verdict: AmdVerdict
    reason: str
    decided_after: float


@dataclass(frozen=True, slots=True)
class AmdSettings:
    """Thresholds of the detector, in seconds unless said otherwise.

    Sources: Asterisk `app_amd` defaults (amd.conf.sample) and Twilio's AMD parameters; where ours
    differ, the comment says why. Each is rounded to the 20 ms frame.
    """

    # No voice at all for this long after the answer -> MACHINE. Asterisk: 2.5 s; Twilio's
    # silence timeout: 5 s. A Vietnamese callee may pick up and wait a second or two before
    # "alo", so we wait longer than Asterisk.
    initial_silence: float = 3.5
    # More voice than this before a pause -> MACHINE. Asterisk: 1.5 s; Twilio: 2.4 s. A person's
    # "Alo, vâng, tôi là Minh đây, có việc gì không ạ?" holds about 2 s of voice, so Asterisk's
    # would hang up on them (its defaults call 30% of the labelled set's people machines).
    greeting: float = 2.4
    # Silence after some voice that means the callee is waiting for us -> HUMAN. Asterisk: 0.8 s;
    # recorded greetings pause up to about 0.8 s between phrases, and 1.0 s let the labelled set's
    # machines run on into `greeting` instead of passing for people.
    after_greeting_silence: float = 1.0
    # Undecided after this much audio -> UNKNOWN. Asterisk: 5 s; Twilio's default timeout: 30 s
    # (with message-end detection). One more second than Asterisk for slow greetings; callers
    # treat UNKNOWN as a person.
    total_analysis_time: float = 6.0
    # Shortest voiced run that is a word, not a click. Asterisk: 0.1 s.
    min_word_length: float = 0.1
    # Silence between two voiced runs that makes them two words. Asterisk: 0.05 s; Vietnamese is
    # spoken syllable by syllable, and 50 ms gaps split one word into several, so ours is longer.
    between_words_silence: float = 0.15
    # More words than this before a pause -> MACHINE. Asterisk: 2 (then 3), counting English
    # words; a Vietnamese greeting of syllables ("Alo, ai đấy ạ?") makes more runs.
    max_words: int = 6
    # One unbroken run of voice this long -> MACHINE (a held tone, music). Asterisk: 5 s; no
    # spoken word lasts 3 s, and `greeting` catches most such runs first anyway.
    max_word_length: float = 3.0
    # WebRTC VAD aggressiveness, 0 (counts most sounds as voice) .. 3 (strictest). 3 missed
    # quiet talkers on the labelled set (a person 20 dB down went unheard: "initial silence");
    # loud noise, the risk of a lenient VAD, is the noise gate's job.
    vad_aggressiveness: int = 2
    # A voiced frame must also be this many dB above the noise floor (the quietest frame of the
    # last `noise_floor_window` seconds): the VAD alone takes loud steady noise for speech, which
    # made people in noisy places "machines" on the labelled set. 0 turns the gate off.
    noise_gate_db: float = 3.0
    noise_floor_window: float = 2.0
    # A tone counts as a beep when held this long. Field practice: 150 ms (beeps last 0.2-1 s).
    beep_min: float = 0.16
    # Share of a frame's energy that a beep must put on one frequency (0..1).
    beep_purity: float = 0.8
    beep_low_hz: float = 400.0
    beep_high_hz: float = 2000.0
    # Quietest tone counted as a beep: RMS of s16 samples (300 is about -40 dBFS).
    beep_min_rms: float = 300.0
    # After a MACHINE verdict: silence after the last voice that means the greeting is over, when
    # no beep comes. Twilio's speech-end threshold: 1.2 s; greetings pause between sentences, so
    # ours is longer.
    message_silence: float = 1.5
    # After a beep: silence that confirms it closed the greeting (a tone in music does not).
    after_beep_silence: float = 0.5

    def __post_init__(self) -> None:
        for name in (
            "initial_silence",
            "greeting",
            "after_greeting_silence",
            "total_analysis_time",
            "min_word_length",
            "max_word_length",
            "beep_min",
            "message_silence",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"AmdSettings.{name} must be positive, not {getattr(self, name)}")
        if self.max_words < 1:
            raise ValueError(f"AmdSettings.max_words must be at least 1, not {self.max_words}")
        if self.vad_aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"AmdSettings.vad_aggressiveness must be 0..3, not {self.vad_aggressiveness}")
        if not 0 < self.beep_low_hz < self.beep_high_hz < 4000:
            raise ValueError("AmdSettings: need 0 < beep_low_hz < beep_high_hz < 4000")
        if self.noise_gate_db < 0 or self.noise_floor_window <= 0:
            raise ValueError("AmdSettings: need noise_gate_db >= 0 and noise_floor_window > 0")
        if not 0 < self.beep_purity <= 1:
            raise ValueError(f"AmdSettings.beep_purity must be in (0, 1], not {self.beep_purity}")


_SAMPLE_RATE = 8000
_FRAME_SAMPLES = 160  # 20 ms
_FRAME_BYTES = _FRAME_SAMPLES * 2
_QUIET_ENERGY = 100.0 * 100.0 * 160  # a frame at RMS 100 (-50 dBFS): the floor never goes below it
_TONE_STEP_HZ = 10  # grid of the single-frequency DFT; 5 Hz off costs < 2% of a 50 Hz-wide bin


@lru_cache(maxsize=512)
def _basis(frequency: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Cosine and sine of `frequency` Hz over one frame, Hann-windowed (tables for the DFT)."""
    window = [0.5 - 0.5 * math.cos(2 * math.pi * (n + 0.5) / _FRAME_SAMPLES) for n in range(_FRAME_SAMPLES)]
    step = 2 * math.pi * frequency / _SAMPLE_RATE
    cos = tuple(window[n] * math.cos(step * n) for n in range(_FRAME_SAMPLES))
    sin = tuple(window[n] * math.sin(step * n) for n in range(_FRAME_SAMPLES))
    return cos, sin


class ToneDetector:
    """Is this 20 ms frame one pure tone, and at what frequency (Hz)? None when it is not.

    Two steps, both with C-level loops (`sum(map(mul, ...))`) so a frame costs a few
    microseconds: the frequency comes from the frame's autocorrelation at lags 1 and 2
    (Pisarenko's estimate for one sinusoid in white noise); then a single-frequency DFT (what a
    Goertzel filter computes) at that frequency must hold `purity` of the frame's energy. Speech
    spreads its energy over harmonics and noise over the band, so neither passes.
    """

    def __init__(self, *, low_hz: float, high_hz: float, purity: float, min_rms: float) -> None:
        self.low_hz, self.high_hz, self.purity = low_hz, high_hz, purity
        self._min_energy = min_rms * min_rms * _FRAME_SAMPLES

    def frequency(self, samples: tuple[int, ...], energy: float | None = None) -> float | None:
        """The tone's frequency in Hz, or None (no single tone in the band, or too quiet).

        `energy` is the frame's sum of squared samples, when the caller has it already."""
        if energy is None:
            energy = float(sum(map(mul, samples, samples)))
        if energy < self._min_energy:
            return None
        r1 = float(sum(map(mul, samples, samples[1:])))
        r2 = float(sum(map(mul, samples, samples[2:])))
        if r1 == 0:
            return None
        # Pisarenko: cos(w) = (r2 + sqrt(r2^2 + 8 r1^2)) / (4 r1) for one sinusoid.
        cos_w = (r2 + math.sqrt(r2 * r2 + 8 * r1 * r1)) / (4 * r1)
        if not -1 <= cos_w <= 1:
            return None
        hz = math.acos(cos_w) * _SAMPLE_RATE / (2 * math.pi)
        if not self.low_hz <= hz <= self.high_hz:
            return None
        cos, sin = _basis(round(hz / _TONE_STEP_HZ) * _TONE_STEP_HZ)
        re = sum(map(mul, samples, cos))
        im = sum(map(mul, samples, sin))
        # A tone A cos(wn) gives |X| = (A / 2) * sum(w) = A N / 4 and an energy of N A^2 / 2, so
        # 8 |X|^2 / (N energy) is 1 for a pure tone and 3 / N (about 0.02) for white noise.
        share = 8 * (re * re + im * im) / (_FRAME_SAMPLES * energy)
        return hz if share >= self.purity else None


class AnsweringMachineDetector:
    """Feeds on the callee's audio from the answer; decides once (see the module docstring).

    Audio: 8 kHz mono signed 16-bit little-endian PCM, any number of bytes per `feed` (partial
    frames wait for the rest). After a MACHINE verdict it keeps listening until
    `ready_for_message` (the greeting is over); after HUMAN or UNKNOWN it ignores further audio.
    """

    SAMPLE_RATE = _SAMPLE_RATE
    FRAME_SECONDS = 0.02

    def __init__(self, settings: AmdSettings | None = None) -> None:
        self.settings = s = settings or AmdSettings()
        self._vad = webrtcvad.Vad(s.vad_aggressiveness)
        self._tones = ToneDetector(
            low_hz=s.beep_low_hz, high_hz=s.beep_high_hz, purity=s.beep_purity, min_rms=s.beep_min_rms
        )

        def frames(seconds: float) -> int:
            return max(1, round(seconds / self.FRAME_SECONDS))

        self._initial_silence = frames(s.initial_silence)
        self._greeting = frames(s.greeting)
        self._after_greeting = frames(s.after_greeting_silence)
        self._total = frames(s.total_analysis_time)
        self._min_word = frames(s.min_word_length)
        self._between_words = frames(s.between_words_silence)
        self._max_word = frames(s.max_word_length)
        self._beep = frames(s.beep_min)
        self._message_silence = frames(s.message_silence)
        self._after_beep = frames(s.after_beep_silence)
        self._energies: deque[float] = deque(maxlen=frames(s.noise_floor_window))
        self._gate = 10 ** (s.noise_gate_db / 10)
        self._pending = b""
        self._frames = 0  # frames seen since the answer
        self._run = 0  # consecutive VAD-voiced frames, not yet confirmed as a word
        self._muffled_run = 0  # consecutive frames of VAD voice below the noise gate
        self._muffled = False  # such a run as long as a word was heard
        self._silence = 0  # frames since the last confirmed voice (or since the answer)
        self._voice = 0  # confirmed voiced frames in all
        self._words = 0
        self._in_word = False  # the last frame was confirmed voice
        self._word = 0  # frames of the current word, short gaps included
        self._tone_hz: float | None = None  # frequency of the tone being held
        self._tone_frames = 0
        self._beep_heard = False
        self._since_sound = 0  # frames since the last voice or tone, for `ready_for_message`
        self._result: AmdResult | None = None
        self._ready = False

    @property
    def result(self) -> AmdResult | None:
        """The decision, once made (by `feed` or `finish`); None before."""
        return self._result

    @property
    def ready_for_message(self) -> bool:
        """After a MACHINE verdict: True once the greeting is over (a beep ended it, or
        `message_silence` seconds passed since the last voice), i.e. a message may start now."""
        return self._ready

    @property
    def beep_heard(self) -> bool:
        """A beep (a held pure tone) was heard at some point."""
        return self._beep_heard

    @property
    def heard_seconds(self) -> float:
        """Seconds of audio taken so far (whole frames)."""
        return self._frames * self.FRAME_SECONDS

    def feed(self, pcm: bytes) -> AmdResult | None:
        """Take more audio; return the result if this audio decided it, else None."""
        if self._done():
            return None
        data = self._pending + pcm if self._pending else pcm
        end = len(data) - len(data) % _FRAME_BYTES
        decided: AmdResult | None = None
        for start in range(0, end, _FRAME_BYTES):
            before = self._result
            self._frame(data[start : start + _FRAME_BYTES])
            if before is None and self._result is not None:
                decided = self._result
            if self._done():
                break
        self._pending = data[end:] if not self._done() else b""
        return decided

    def finish(self) -> AmdResult:
        """The audio ended (hang-up, timeout): the result so far, or decide now with what was
        heard. A callee who spoke and then went quiet is HUMAN (they were waiting); otherwise
        UNKNOWN ("audio_ended"), which callers treat as a person."""
        if self._result is None:
            at = self.heard_seconds
            if self._voice and self._silence >= self._min_word and self._words <= self.settings.max_words:
                self._result = AmdResult(AmdVerdict.HUMAN, "human_greeting_then_silence", at)
            else:
                self._result = AmdResult(AmdVerdict.UNKNOWN, "audio_ended", at)
        return self._result

    def _done(self) -> bool:
        if self._result is None:
            return False
        return self._result.verdict is not AmdVerdict.MACHINE or self._ready

    def _frame(self, frame: bytes) -> None:
        self._frames += 1
        samples = struct.unpack("<160h", frame)
        energy = float(sum(map(mul, samples, samples)))
        self._energies.append(energy)
        hz = self._tones.frequency(samples, energy)
        tone = False
        if hz is not None and (self._tone_hz is None or abs(hz - self._tone_hz) <= max(20.0, 0.03 * hz)):
            self._tone_frames += 1
            self._tone_hz = hz if self._tone_hz is None else self._tone_hz
            tone = True
        elif hz is not None:  # another tone: a new beep (or a melody) starts here
            self._tone_hz, self._tone_frames, tone = hz, 1, True
        else:
            if self._tone_frames >= self._beep:
                self._since_sound = 0  # the beep just ended
            self._tone_hz, self._tone_frames = None, 0
        if self._tone_frames >= self._beep:
            self._beep_heard = True
        if tone:
            # A tone is sound but not speech: it is no word, and no silence a person leaves either.
            self._run, self._in_word, self._silence = 0, False, 0
        else:
            # Speech stands out of the noise floor; a steady noise (a street, a fan) that the VAD
            # takes for voice does not, and would otherwise make a long "greeting".
            loud = energy >= self._gate * max(min(self._energies), _QUIET_ENERGY)
            vad = bool(self._vad.is_speech(frame, _SAMPLE_RATE))
            # Voice the gate held back for a word's length: the line is not silent, so whatever
            # this is (a person drowned in noise), it is no reason to call it a dead machine.
            self._muffled_run = self._muffled_run + 1 if vad and not loud else 0
            self._muffled = self._muffled or self._muffled_run >= self._min_word
            self._count_voice(loud and vad)
        if tone or self._in_word:
            self._since_sound = 0
        else:
            self._since_sound += 1
        if self._result is None:
            self._decide()
        if self._result is not None and self._result.verdict is AmdVerdict.MACHINE and not self._ready:
            wait = self._after_beep if self._beep_heard else self._message_silence
            self._ready = self._since_sound >= wait and self._tone_frames == 0

    def _count_voice(self, voiced: bool) -> None:
        if not voiced:
            self._run = 0
            self._in_word = False
            self._silence += 1
            return
        self._run += 1
        if self._in_word:
            self._voice += 1
            self._word += 1
            return
        self._silence += 1  # voiced but not (yet) a word: silence until the run is long enough
        if self._run < self._min_word:
            return
        gap = self._silence - self._run  # silence before this run
        if self._words == 0 or gap >= self._between_words:
            self._words += 1
            self._word = self._run
        else:
            self._word += gap + self._run
        self._voice += self._run
        self._silence = 0
        self._in_word = True

    def _decide(self) -> None:
        s = self.settings
        if self._beep_heard:
            self._verdict(AmdVerdict.MACHINE, "beep")
        elif self._voice == 0 and not self._muffled and self._silence >= self._initial_silence:
            self._verdict(AmdVerdict.MACHINE, "initial_silence")
        elif self._voice >= self._greeting:
            self._verdict(AmdVerdict.MACHINE, "long_greeting")
        elif self._words > s.max_words:
            self._verdict(AmdVerdict.MACHINE, "too_many_words")
        elif self._in_word and self._word >= self._max_word:
            self._verdict(AmdVerdict.MACHINE, "long_word")
        elif self._voice and self._silence >= self._after_greeting:
            self._verdict(AmdVerdict.HUMAN, "human_greeting_then_silence")
        elif self._frames >= self._total:
            self._verdict(AmdVerdict.UNKNOWN, "max_analysis_time")

    def _verdict(self, verdict: AmdVerdict, reason: str) -> None:
        self._result = AmdResult(verdict, reason, round(self._frames * self.FRAME_SECONDS, 2))
