"""The simulator's recordings: a WAV as long as the call, with the played PCM where it was played
and the callee's keys as DTMF tones where they were pressed."""

from __future__ import annotations

import math
import sys
import wave
from array import array
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE

__all__ = ["DTMF_GAP", "DTMF_TONE", "dtmf_tone", "mix_pcm", "write_wav"]

DTMF_TONE = 0.1  # seconds of tone per key, as a phone sends a short press (RFC 4733 events last ~100 ms)
DTMF_GAP = 0.07  # seconds between the keys of one burst ("12#"): the shortest gap a receiver must accept
_TONE_AMPLITUDE = 8000  # per frequency, about -12 dBFS: two of them never clip

# The keypad's (row, column) frequencies in Hz (ITU-T Q.23).
_ROWS = {"123A": 697, "456B": 770, "789C": 852, "*0#D": 941}
_COLUMNS = {"147*": 1209, "2580": 1336, "369#": 1477, "ABCD": 1633}


def write_wav(path: Path, *, duration: float, segments: Iterable[tuple[float, bytes]]) -> None:
    """Write `duration` seconds of 8 kHz mono audio: silence, with each (offset seconds, pcm) laid
    over it. Where two segments overlap (a key pressed into a prompt) they are mixed."""
    frame = BYTES_PER_SAMPLE
    samples = bytearray(_to_bytes(duration))
    for offset, pcm in segments:
        start = _to_bytes(offset)
        pcm = pcm[: len(pcm) - len(pcm) % frame][: max(0, len(samples) - start)]
        end = start + len(pcm)
        if samples.count(0, start, end) == len(pcm):
            samples[start:end] = pcm  # over silence: a copy, as fast as it gets
        else:
            samples[start:end] = mix_pcm(samples[start:end], pcm)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(BYTES_PER_SAMPLE)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(samples))


@cache
def dtmf_tone(key: str) -> bytes:
    """`DTMF_TONE` seconds of the dual tone of keypad `key` (0-9 * # A-D), 8 kHz s16le PCM."""
    low = next(hz for keys, hz in _ROWS.items() if key in keys)
    high = next(hz for keys, hz in _COLUMNS.items() if key in keys)
    count = round(DTMF_TONE * SAMPLE_RATE)
    step_low, step_high = 2 * math.pi * low / SAMPLE_RATE, 2 * math.pi * high / SAMPLE_RATE
    tone = array(
        "h",
        (round(_TONE_AMPLITUDE * (math.sin(step_low * n) + math.sin(step_high * n))) for n in range(count)),
    )
    return _little_endian(tone)


def mix_pcm(under: bytes | bytearray, over: bytes) -> bytes:
    """Two s16le PCM pieces added sample by sample (clipped); `over` no longer than `under`."""
    mixed, added = _samples(under), _samples(over)
    for index, sample in enumerate(added):
        mixed[index] = max(-32768, min(32767, mixed[index] + sample))
    return _little_endian(mixed)


def _samples(pcm: bytes | bytearray) -> array[int]:
    samples = array("h", bytes(pcm))
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    return samples


def _little_endian(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def _to_bytes(seconds: float) -> int:
    """Byte offset of `seconds` into the audio, on a sample boundary."""
    return round(max(0.0, seconds) * SAMPLE_RATE) * BYTES_PER_SAMPLE
