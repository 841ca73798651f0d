"""Audio as it travels between the speech layer and the telephony backends."""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_RATE = 8000  # telephone audio: 8 kHz mono, signed 16-bit little-endian PCM
BYTES_PER_SAMPLE = 2


@dataclass(frozen=True, slots=True)
class Audio:
    """A prompt ready to play: the words it says and, when synthesised, its PCM samples.

    `pcm` is None when the backend does not need samples (the simulator): `duration`
    then comes from an estimate of the speaking time of `text`.
    """

    text: str
    duration: float
    pcm: bytes | None = None

    @classmethod
    def from_pcm(cls, text: str, pcm: bytes) -> Audio:
        return cls(text=text, duration=len(pcm) / (SAMPLE_RATE * BYTES_PER_SAMPLE), pcm=pcm)


@dataclass(frozen=True, slots=True)
class Utterance:
    """What the callee said in one breath, cut out of the call's audio by voice-activity detection.

    `pcm` is 8 kHz mono s16le. `said` is set by the simulator alone (the words its phone
    speaks), so a stand-in recogniser can answer without a model; real calls leave it None.
    """

    pcm: bytes
    duration: float  # seconds of speech (the cut includes a little padding either side)
    capped: bool = False  # the speech went on past the length cap and was cut there
    said: str | None = None
