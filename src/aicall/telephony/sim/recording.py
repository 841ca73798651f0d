"""The simulator's recordings: a WAV as long as the call, with the played PCM where it was played."""

from __future__ import annotations

import wave
from collections.abc import Iterable
from pathlib import Path

from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE

__all__ = ["write_wav"]


def write_wav(path: Path, *, duration: float, segments: Iterable[tuple[float, bytes]]) -> None:
    """Write `duration` seconds of 8 kHz mono audio: silence, with each (offset, pcm) laid over it."""
    frame = BYTES_PER_SAMPLE
    samples = bytearray(_to_bytes(duration))
    for offset, pcm in segments:
        start = _to_bytes(offset)
        pcm = pcm[: len(pcm) - len(pcm) % frame][: max(0, len(samples) - start)]
        samples[start : start + len(pcm)] = pcm
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(BYTES_PER_SAMPLE)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(samples))


def _to_bytes(seconds: float) -> int:
    """Byte offset of `seconds` into the audio, on a sample boundary."""
    return round(max(0.0, seconds) * SAMPLE_RATE) * BYTES_PER_SAMPLE
