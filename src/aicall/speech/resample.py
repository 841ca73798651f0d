"""Sample-rate and channel conversion of 16-bit PCM, without `audioop` (removed in Python 3.13).

Two ways: `sox` in a subprocess when it is installed (fast, best quality), else a small
pure-Python polyphase windowed-sinc resampler: slower (see docs/speech.md, Benchmarks), but
it keeps the layer working with no external tool, and prompts are short and cached.
"""

from __future__ import annotations

import asyncio
import math
import sys
from array import array
from functools import lru_cache
from operator import mul

from aicall.media import SAMPLE_RATE
from aicall.speech.errors import TtsError
from aicall.speech.tools import run_tool, tool_path

__all__ = [
    "convert_to_telephone_pcm",
    "downmix_to_mono",
    "find_resampler",
    "resample_pcm16",
    "resample_with_sox",
    "samples_from_bytes",
    "to_telephone_pcm",
]

_ZERO_CROSSINGS = 8  # filter half-length, in zero crossings of the sinc at the cut-off
_ROLLOFF = 0.92  # cut just below the output Nyquist: 3.68 kHz for 8 kHz telephone audio
SOX_TIMEOUT = 30.0


def samples_from_bytes(pcm: bytes) -> array[int]:
    """Little-endian s16 bytes as an array of ints (swapped on a big-endian host)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _to_bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def downmix_to_mono(pcm: bytes, channels: int) -> bytes:
    """Average interleaved channels into one."""
    if channels == 1:
        return pcm
    samples = samples_from_bytes(pcm)
    frames = len(samples) // channels
    columns = [samples[c : frames * channels : channels] for c in range(channels)]
    mono = array("h", (sum(frame) // channels for frame in zip(*columns, strict=True)))
    return _to_bytes(mono)


def resample_pcm16(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Resample mono s16le PCM with a windowed-sinc filter (anti-aliased when downsampling)."""
    if src_rate == dst_rate or not pcm:
        return pcm
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, not {src_rate} -> {dst_rate}")
    common = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // common, src_rate // common
    half, tables = _filter_bank(up, down)
    samples = samples_from_bytes(pcm)
    # Zero padding on both sides so every output sample sees a full window.
    padded = [0] * half + samples.tolist() + [0] * half
    out_count = len(samples) * up // down
    out = array("h", bytes(2 * out_count))
    width = 2 * half
    for n in range(out_count):
        base, phase = divmod(n * down, up)
        # padded[base + 1 : base + 1 + width] holds input samples base-half+1 .. base+half
        value = round(sum(map(mul, tables[phase], padded[base + 1 : base + 1 + width])))
        out[n] = -32768 if value < -32768 else 32767 if value > 32767 else value
    return _to_bytes(out)


@lru_cache(maxsize=16)
def _filter_bank(up: int, down: int) -> tuple[int, tuple[tuple[float, ...], ...]]:
    """Half-length and one tap table per output phase (phase p sits p/up after an input sample)."""
    cutoff = min(1.0, up / down) * _ROLLOFF  # as a fraction of the input Nyquist
    half = math.ceil(_ZERO_CROSSINGS / cutoff)
    tables = []
    for phase in range(up):
        frac = phase / up
        taps = [_kernel(frac - j, cutoff, half) for j in range(-half + 1, half + 1)]
        total = sum(taps)
        tables.append(tuple(tap / total for tap in taps))  # unity gain at DC for every phase
    return half, tuple(tables)


def _kernel(x: float, cutoff: float, half: int) -> float:
    if abs(x) >= half:
        return 0.0
    arg = math.pi * cutoff * x
    sinc = 1.0 if arg == 0 else math.sin(arg) / arg
    window = 0.42 + 0.5 * math.cos(math.pi * x / half) + 0.08 * math.cos(2 * math.pi * x / half)  # Blackman
    return cutoff * sinc * window


def find_resampler(choice: str = "auto") -> str | None:
    """Path of sox for `auto` (when installed) and `sox`; None means the pure-Python resampler."""
    if choice not in ("auto", "sox", "python"):
        raise ValueError(f"resampler must be auto, sox or python, not {choice!r}")
    sox = tool_path("sox") if choice != "python" else None
    if choice == "sox" and sox is None:
        raise TtsError("sox is not installed (resampler='sox')")
    return sox


def to_telephone_pcm(pcm: bytes, rate: int, channels: int) -> bytes:
    """Interleaved s16le at any rate -> 8 kHz mono, in pure Python (CPU-bound: run it in a thread)."""
    return resample_pcm16(downmix_to_mono(pcm, channels), rate, SAMPLE_RATE)


async def convert_to_telephone_pcm(pcm: bytes, rate: int, channels: int, *, sox: str | None) -> bytes:
    """8 kHz mono s16le from s16le at any rate and channel count, without blocking the event loop.

    With `sox`, the work happens in a child process; without it, in a worker thread, so the
    loop keeps pacing other calls' audio (the GIL is released every few milliseconds).
    """
    if rate == SAMPLE_RATE and channels == 1:
        return pcm
    if sox:
        return await resample_with_sox(pcm, rate, SAMPLE_RATE, channels=channels, sox=sox)
    return await asyncio.to_thread(to_telephone_pcm, pcm, rate, channels)


async def resample_with_sox(
    pcm: bytes, src_rate: int, dst_rate: int, *, channels: int = 1, sox: str = "sox"
) -> bytes:
    """Resample (and mix down to mono) s16le PCM through `sox`: raw in, raw out, no header involved."""
    if (src_rate, channels) == (dst_rate, 1) or not pcm:
        return pcm
    raw = ["-t", "raw", "-e", "signed-integer", "-b", "16", "-L"]
    args = [sox, "-V1", "-D", *raw, "-c", str(channels), "-r", str(src_rate), "-"]
    args += [*raw, "-c", "1", "-r", str(dst_rate), "-"]  # fewer output channels: sox averages them
    return await run_tool(args, pcm, timeout=SOX_TIMEOUT)
