"""Recordings older than the retention period are deleted; younger ones stay."""

import os
import time

from aicall.calls.retention import sweep


def test_recordings_past_retention_are_deleted(tmp_path):
    old, new, other = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "notes.txt"
    for path in (old, new, other):
        path.write_bytes(b"RIFF")
    now = time.time()
    os.utime(old, (now - 31 * 86400, now - 31 * 86400))
    os.utime(other, (now - 99 * 86400, now - 99 * 86400))
    assert sweep(tmp_path, retention_days=30, now=now) == 1
    assert not old.exists() and new.exists() and other.exists()


def test_zero_retention_keeps_everything(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF")
    os.utime(path, (0, 0))
    assert sweep(tmp_path, retention_days=0) == 0
    assert path.exists()
