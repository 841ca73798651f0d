"""Engines that need no synthesiser, for tests, the simulator and demos.

Both are deterministic and make PCM as long as `estimate_duration` says the text lasts, so a
call's timing is the same whether the simulator plays an `Audio` without samples or a fake.
They count their calls so tests can prove what was (not) synthesised.
"""

from __future__ import annotations

import hashlib
import math
import sys
from array import array

from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE
from aicall.speech.timing import estimate_duration

__all__ = ["SilentEngine", "ToneEngine"]


class SilentEngine:
    """Silence of the right length."""

    name = "silent"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []  # (text, voice, speed), in call order

    async def synthesize(self, text: str, *, voice: str = "", speed: float = 1.0) -> bytes:
        self.calls.append((text, voice, speed))
        return bytes(_sample_count(text, speed) * BYTES_PER_SAMPLE)


class ToneEngine:
    """A tone whose pitch depends on the text: audible, with energy, different per text."""

    name = "tone"

    def __init__(self, amplitude: int = 8000) -> None:
        self.amplitude = amplitude
        self.calls: list[tuple[str, str, float]] = []

    async def synthesize(self, text: str, *, voice: str = "", speed: float = 1.0) -> bytes:
        self.calls.append((text, voice, speed))
        digest = hashlib.sha256(f"{voice}\0{text}".encode()).digest()
        frequency = 300 + int.from_bytes(digest[:2], "big") % 700  # 300-999 Hz: inside the phone band
        step = 2 * math.pi * frequency / SAMPLE_RATE
        samples = array(
            "h", (round(self.amplitude * math.sin(step * n)) for n in range(_sample_count(text, speed)))
        )
        if sys.byteorder == "big":
            samples.byteswap()
        return samples.tobytes()


def _sample_count(text: str, speed: float) -> int:
    return round(estimate_duration(text, speed) * SAMPLE_RATE)
