"""espeak-ng through the TtsEngine seam: real processes, real audio."""

from __future__ import annotations

import asyncio
import io
import math
import os
import wave
from array import array
from collections.abc import Callable

import pytest

from aicall.media import Audio
from aicall.speech.errors import TtsError
from aicall.speech.tools import run_tool
from aicall.speech.tts import EspeakEngine, TtsEngine
from aicall.speech.wav import pcm_to_wav_bytes

RequireTool = Callable[[str], str]
SENTENCE = "Quý khách còn nợ một triệu năm trăm nghìn đồng."


def rms(pcm: bytes) -> float:
    samples = array("h")
    samples.frombytes(pcm)
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


async def test_espeak_speaks_vietnamese_as_8khz_pcm_with_real_energy(require_tool: RequireTool) -> None:
    require_tool("espeak-ng")
    engine = EspeakEngine()

    pcm = await engine.synthesize(SENTENCE, voice="vi")

    assert isinstance(engine, TtsEngine)
    assert len(pcm) % 2 == 0
    assert 1.5 < Audio.from_pcm(SENTENCE, pcm).duration < 8  # 12 syllables
    assert rms(pcm) > 500  # speech, not silence


async def test_the_audio_wrapped_as_wav_is_playable(require_tool: RequireTool) -> None:
    require_tool("espeak-ng")
    pcm = await EspeakEngine().synthesize("Xin chào", voice="vi+f3")

    with wave.open(io.BytesIO(pcm_to_wav_bytes(pcm)), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        assert wav.getnframes() == len(pcm) // 2


async def test_sox_and_the_pure_python_resampler_agree(require_tool: RequireTool) -> None:
    require_tool("espeak-ng")
    require_tool("sox")
    with_sox = await EspeakEngine(resampler="sox").synthesize(SENTENCE, voice="vi")
    pure = await EspeakEngine(resampler="python").synthesize(SENTENCE, voice="vi")

    assert abs(len(with_sox) - len(pure)) <= 16  # a few samples of filter edge at most
    assert rms(pure) == pytest.approx(rms(with_sox), rel=0.1)


async def test_faster_speed_gives_shorter_audio(require_tool: RequireTool) -> None:
    require_tool("espeak-ng")
    engine = EspeakEngine()

    normal = await engine.synthesize(SENTENCE, voice="vi", speed=1.0)
    fast = await engine.synthesize(SENTENCE, voice="vi", speed=1.5)

    assert len(fast) < len(normal) * 0.8


async def test_text_starting_with_a_dash_is_spoken_not_taken_as_an_option(require_tool: RequireTool) -> None:
    require_tool("espeak-ng")

    pcm = await EspeakEngine().synthesize("--version năm", voice="vi")

    assert rms(pcm) > 500


async def test_the_southern_voice_speaks(require_tool: RequireTool) -> None:
    require_tool("espeak-ng")

    pcm = await EspeakEngine().synthesize("một trăm lẻ năm ngàn", voice="vi-vn-x-south")

    assert rms(pcm) > 500


async def test_an_unknown_espeak_voice_is_a_tts_error(require_tool: RequireTool) -> None:
    require_tool("espeak-ng")

    with pytest.raises(TtsError, match="espeak-ng"):
        await EspeakEngine().synthesize("xin chào", voice="zzz")


async def test_a_missing_binary_is_a_tts_error_not_a_crash() -> None:
    with pytest.raises(TtsError, match="cannot run"):
        await EspeakEngine(binary="/nonexistent/espeak-ng").synthesize("xin chào")


async def test_a_tool_that_hangs_is_killed_at_the_timeout(require_tool: RequireTool) -> None:
    require_tool("sleep")

    with pytest.raises(TtsError, match="took more than"):
        await run_tool(["sleep", "30"], b"", timeout=0.2)


async def test_a_cancelled_synthesis_leaves_no_process_behind(require_tool: RequireTool) -> None:
    require_tool("sleep")
    children_before = _children()
    task = asyncio.create_task(run_tool(["sleep", "30"], b"", timeout=60))
    while _children() == children_before:
        await asyncio.sleep(0)  # yield until the child exists; no fixed sleep

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert _children() == children_before


def _children() -> set[str]:
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as file:
        return set(file.read().split())
