"""Small operations on telephone PCM (8 kHz mono s16le) used to stitch prompts together."""

from __future__ import annotations

from collections.abc import Iterable

from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE
from aicall.speech.resample import samples_from_bytes

__all__ = ["join_pcm", "silence", "trim_silence"]

SILENCE_THRESHOLD = 300  # about -40 dBFS: below it a synthesiser's clip edge is heard as nothing


def silence(seconds: float) -> bytes:
    return bytes(round(seconds * SAMPLE_RATE) * BYTES_PER_SAMPLE)


def trim_silence(pcm: bytes, *, keep_seconds: float = 0.03, threshold: int = SILENCE_THRESHOLD) -> bytes:
    """Cut the quiet head and tail a synthesiser puts around each clip, keeping a little of each.

    Without this, stitching "Xin chào " + name + "..." leaves ~0.3 s holes between the parts.
    """
    samples = samples_from_bytes(pcm)
    head = _first_loud(samples, threshold)
    if head is None:
        return b""  # nothing audible at all
    tail = _first_loud(reversed(samples), threshold) or 0
    keep = round(keep_seconds * SAMPLE_RATE)
    start = max(0, head - keep)
    end = min(len(samples), len(samples) - tail + keep)
    return pcm[start * BYTES_PER_SAMPLE : end * BYTES_PER_SAMPLE]


def join_pcm(parts: Iterable[bytes], *, gap_seconds: float = 0.12) -> bytes:
    """Concatenate clips with a short silence between them (not before the first or after the last)."""
    return silence(gap_seconds).join(part for part in parts if part)


def _first_loud(samples: Iterable[int], threshold: int) -> int | None:
    return next((i for i, sample in enumerate(samples) if abs(sample) > threshold), None)
