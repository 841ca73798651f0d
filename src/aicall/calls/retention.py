"""Recordings are personal data: they are deleted after `AICALL_RECORDING_RETENTION_DAYS`."""

from __future__ import annotations

import time
from pathlib import Path


def sweep(directory: Path, *, retention_days: float, now: float | None = None) -> int:
    """Delete recordings older than the retention period; return how many were deleted.

    The attempt keeps its `recording_path`, so the API answers "expired" rather than "never
    recorded" for it."""
    if retention_days <= 0 or not directory.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - retention_days * 86400
    deleted = 0
    for path in directory.glob("*.wav"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return deleted
