"""Synthesised audio kept on disk as WAV files, with a small in-memory LRU in front.

Files are 8 kHz mono 16-bit WAV, named by the sha256 of what produced them, so the preview
endpoint can serve one as `audio/wav` as is and several processes can share the directory:
a file is written under a temporary name and renamed into place (`os.replace` is atomic),
so a reader sees a whole file or none. A file that fails the header check (a crash before
the data reached the disk) counts as a miss and is written again.

Both parts are bounded: memory by `memory_bytes` (LRU), the directory by `trim(max_bytes)`,
which housekeeping runs (`AICALL_AUDIO_CACHE_MB`) and which deletes the files least recently
written or read (a read from disk touches the file's mtime).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

from aicall.speech.wav import pcm_to_wav_bytes, wav_header

__all__ = ["AudioCache"]

_HEADER_BYTES = 44
_STALE_TEMPORARY = 3600.0  # seconds after which a half-written `.tmp-` file is a crash's leftover


class AudioCache:
    """`get`/`put` PCM by key; `directory=None` keeps it in memory only (tests, one-off runs)."""

    def __init__(
        self, directory: str | os.PathLike[str] | None, *, memory_bytes: int = 32 * 1024 * 1024
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.memory_bytes = memory_bytes
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_used = 0
        self.hits = 0
        self.misses = 0
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(*, engine: str, voice: str, speed: float, text: str, kind: str = "tts") -> str:
        """sha256 of what makes the audio: `kind` keeps whole prompts apart from single clips."""
        material = json.dumps([kind, engine, voice, float(speed), text], ensure_ascii=False)
        return hashlib.sha256(material.encode()).hexdigest()

    def path_for(self, key: str) -> Path:
        """Where the WAV file for `key` lives (or will); two-level fan-out keeps directories small."""
        if self.directory is None:
            raise ValueError("this AudioCache keeps audio in memory only: it has no files")
        if len(key) < 3 or not all(ch in "0123456789abcdef" for ch in key):
            raise ValueError(f"not a cache key: {key!r}")  # never let a key walk out of the directory
        return self.directory / key[:2] / f"{key}.wav"

    def get(self, key: str) -> bytes | None:
        """The PCM stored under `key`, or None."""
        pcm = self._memory.get(key)
        if pcm is not None:
            self._memory.move_to_end(key)
            self.hits += 1
            return pcm
        pcm = self._read_file(key)
        if pcm is None:
            self.misses += 1
            return None
        self.hits += 1
        self._remember(key, pcm)
        return pcm

    def put(self, key: str, pcm: bytes) -> Path | None:
        """Store `pcm` under `key`; the file's path, or None for a memory-only cache."""
        self._remember(key, pcm)
        if self.directory is None:
            return None
        path = self.path_for(key)
        path.parent.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".wav")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(pcm_to_wav_bytes(pcm))
            os.chmod(temporary, 0o644)  # mkstemp makes 0600; a web server may run as another user
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def trim(self, max_bytes: int, *, now: float | None = None) -> int:
        """Delete the least recently used files until the directory holds at most `max_bytes`
        (and leftovers of crashed writes); return how many files were deleted. Safe beside
        other processes using the directory: a file they read meanwhile is a miss for them."""
        if self.directory is None:
            return 0
        now = now if now is not None else time.time()
        files: list[tuple[float, int, Path]] = []
        deleted = 0
        for path in self.directory.glob("*/*.wav"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.name.startswith(".tmp-"):
                if stat.st_mtime < now - _STALE_TEMPORARY:
                    deleted += _unlink(path)
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _mtime, size, _path in files)
        for _mtime, size, path in sorted(files):
            if total <= max_bytes:
                break
            deleted += _unlink(path)
            total -= size
        return deleted

    def __contains__(self, key: str) -> bool:
        return key in self._memory or (self.directory is not None and self.path_for(key).exists())

    def _read_file(self, key: str) -> bytes | None:
        if self.directory is None:
            return None
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if data[:_HEADER_BYTES] != wav_header(len(data) - _HEADER_BYTES):
            return None  # truncated or foreign file: treat as absent, `put` will replace it
        with contextlib.suppress(OSError):  # used now: the last `trim` deletes
            os.utime(path)
        return data[_HEADER_BYTES:]

    def _remember(self, key: str, pcm: bytes) -> None:
        if len(pcm) > self.memory_bytes:
            return
        previous = self._memory.pop(key, None)
        if previous is not None:
            self._memory_used -= len(previous)
        self._memory[key] = pcm
        self._memory_used += len(pcm)
        while self._memory_used > self.memory_bytes:
            _, evicted = self._memory.popitem(last=False)
            self._memory_used -= len(evicted)


def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:  # another process trimmed it first
        return 0
    return 1
