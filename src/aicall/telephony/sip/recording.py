"""Both directions of an answered call to one WAV file, written as the call goes.

Stereo, 8 kHz, 16-bit: channel 1 (left) is what we sent (the prompts), channel 2 (right)
what the far end sent. Keeping the directions apart costs nothing and lets a reviewer hear
the callee alone; any player mixes them. Frames are written once a second so a long call
never holds its audio in memory, and the WAV header is completed on close.

A recorder that fails (a full disk, a removed directory) raises to its caller, which drops
it and goes on with the call; `abandon()` then closes what can be closed without raising.
"""

from __future__ import annotations

import logging
import re
import wave
from pathlib import Path

logger = logging.getLogger(__name__)

SAMPLE_RATE = 8000
_FLUSH_FRAMES = 50  # 50 x 20 ms: one write per second per recorded call


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._wav = wave.open(str(path), "wb")  # noqa: SIM115  # closed by close(), spans the call
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self._sent: list[bytes] = []
        self._received: list[bytes] = []
        self._closed = False

    def write(self, sent: bytes, received: bytes) -> None:
        """One frame of each direction (s16le mono); the shorter is padded with silence so the
        two channels stay on one time line."""
        if len(sent) != len(received):
            length = max(len(sent), len(received))
            sent = sent.ljust(length, b"\0")
            received = received.ljust(length, b"\0")
        self._sent.append(sent)
        self._received.append(received)
        if len(self._sent) >= _FLUSH_FRAMES:
            self.flush()

    def flush(self) -> None:
        if not self._sent or self._closed:
            return
        left = b"".join(self._sent)
        right = b"".join(self._received)
        self._sent.clear()
        self._received.clear()
        self._wav.writeframes(interleave(left, right))

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._wav.close()

    def abandon(self) -> None:
        """Close after a failure, keeping what was written; never raises."""
        self._sent.clear()
        self._received.clear()
        self._closed = True
        try:
            self._wav.close()
        except Exception:  # the recording is already lost; the call must go on
            logger.warning("closing a failed recording %s failed too", self.path, exc_info=True)


def interleave(left: bytes, right: bytes) -> bytes:
    """Two s16le mono tracks of equal length as one s16le stereo track (slice copies, no loop)."""
    out = bytearray(len(left) * 2)
    out[0::4] = left[0::2]
    out[1::4] = left[1::2]
    out[2::4] = right[0::2]
    out[3::4] = right[1::2]
    return bytes(out)


def recording_path(directory: Path, call_id: str) -> Path:
    """`<dir>/<call_id>.wav` with the id reduced to characters safe in a file name."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", call_id).strip(".") or "call"
    return directory / f"{safe}.wav"
