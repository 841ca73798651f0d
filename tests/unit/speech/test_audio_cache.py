"""The audio cache: WAV files on disk, written atomically, with a memory LRU in front."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from aicall.speech.cache import AudioCache

PCM = bytes(range(256)) * 40  # 10 240 bytes: 0.64 s of 8 kHz audio


def _key(text: str = "Xin chào", **changes: object) -> str:
    parts: dict[str, object] = {"engine": "espeak", "voice": "vi", "speed": 1.0, "text": text}
    parts.update(changes)
    return AudioCache.key(**parts)  # type: ignore[arg-type]


def test_put_then_get_returns_the_same_pcm(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    key = _key()

    cache.put(key, PCM)

    assert cache.get(key) == PCM
    assert key in cache


def test_a_key_never_stored_is_a_miss(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)

    assert cache.get(_key()) is None
    assert cache.misses == 1


def test_the_stored_file_is_an_8khz_mono_16bit_wav_a_browser_can_play(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)

    path = cache.put(_key(), PCM)

    assert path == cache.path_for(_key())
    assert path is not None and path.suffix == ".wav"
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.readframes(wav.getnframes()) == PCM


def test_engine_voice_speed_and_text_all_change_the_key() -> None:
    keys = {
        _key(),
        _key("Xin chào!"),
        _key(engine="openai"),
        _key(voice="vi-vn-x-south"),
        _key(speed=1.25),
        _key(kind="prompt"),
    }

    assert len(keys) == 6
    assert all(len(key) == 64 for key in keys)  # sha256 hex
    assert _key(speed=1) == _key(speed=1.0)


def test_files_survive_a_new_cache_object_on_the_same_directory(tmp_path: Path) -> None:
    AudioCache(tmp_path).put(_key(), PCM)

    assert AudioCache(tmp_path).get(_key()) == PCM


def test_entries_pushed_out_of_memory_are_read_back_from_disk(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path, memory_bytes=len(PCM) * 2)
    keys = [_key(str(n)) for n in range(5)]
    for key in keys:
        cache.put(key, PCM)

    assert len(cache._memory) == 2  # only the two most recent stay in memory
    assert all(cache.get(key) == PCM for key in keys)


def test_a_memory_only_cache_evicts_the_least_recently_used(tmp_path: Path) -> None:
    cache = AudioCache(None, memory_bytes=len(PCM) * 2)
    first, second, third = _key("1"), _key("2"), _key("3")
    cache.put(first, PCM)
    cache.put(second, PCM)
    cache.get(first)  # first is now the most recently used

    cache.put(third, PCM)

    assert cache.get(first) == PCM
    assert cache.get(second) is None
    assert cache.get(third) == PCM


def test_a_truncated_file_counts_as_a_miss_and_is_rewritten(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    path = cache.put(_key(), PCM)
    assert path is not None
    path.write_bytes(path.read_bytes()[:100])  # as if the machine died mid-write

    assert AudioCache(tmp_path).get(_key()) is None
    AudioCache(tmp_path).put(_key(), PCM)
    assert AudioCache(tmp_path).get(_key()) == PCM


def test_writing_leaves_no_temporary_files(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    for n in range(3):
        cache.put(_key(str(n)), PCM)

    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 3
    assert not any(name.startswith(".tmp-") for name in files)


def test_a_key_that_is_not_a_hash_cannot_name_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a cache key"):
        AudioCache(tmp_path).path_for("../../etc/passwd")


def test_a_memory_only_cache_has_no_files() -> None:
    cache = AudioCache(None)

    assert cache.put(_key(), PCM) is None
    with pytest.raises(ValueError, match="memory only"):
        cache.path_for(_key())
