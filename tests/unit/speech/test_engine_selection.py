"""One choice of TTS engine and voice for calls and previews, with every fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aicall.config import Settings
from aicall.engine import PrompterFactory
from aicall.interpreter.script import Script
from aicall.speech.errors import UnknownVoiceError
from aicall.speech.selection import FALLBACK_VOICE, VoiceEngines
from aicall.speech.tts import EspeakEngine, OpenAISpeechEngine, SilentEngine, ToneEngine


def test_an_espeak_voice_code_is_spoken_by_espeak_with_its_own_voice() -> None:
    spoken = VoiceEngines().select("espeak:vi")

    assert isinstance(spoken.engine, EspeakEngine)
    assert (spoken.voice, spoken.fallback) == ("vi", None)


def test_an_aicall_voice_code_is_spoken_by_espeak_in_its_region_and_gender() -> None:
    spoken = VoiceEngines().select("hn_female_ngochuyen_full_48k-fhg")

    assert isinstance(spoken.engine, EspeakEngine)
    assert (spoken.voice, spoken.fallback) == ("vi+f3", None)


async def test_an_openai_voice_is_spoken_by_the_http_engine_when_it_is_configured() -> None:
    voices = VoiceEngines(engine="openai", base_url="http://127.0.0.1:9/v1", api_key="k")
    spoken = voices.select("openai:alloy")

    assert isinstance(spoken.engine, OpenAISpeechEngine)
    assert (spoken.voice, spoken.fallback) == ("alloy", None)
    await voices.aclose()


def test_an_openai_voice_without_a_speech_server_falls_back_to_espeaks_vietnamese_voice() -> None:
    spoken = VoiceEngines(engine="espeak").select("openai:alloy")

    # Not "alloy": espeak-ng does not know that name and would say nothing at all.
    assert isinstance(spoken.engine, EspeakEngine)
    assert spoken.voice == FALLBACK_VOICE == "vi"
    assert spoken.fallback == "the openai engine is not configured"


@pytest.mark.parametrize("setting", ["none", "silent", " None "])
def test_tts_engine_none_plays_silence_for_every_voice(setting: str) -> None:
    voices = VoiceEngines(engine=setting)

    for code in ("openai:alloy", "espeak:vi", "sg_male_minhhoang_full_48k-fhg"):
        assert isinstance(voices.select(code).engine, SilentEngine)
    assert voices.select("openai:alloy").voice == "alloy"  # silence keeps the code's voice in cache keys


def test_tts_engine_tone_plays_a_tone_for_every_voice() -> None:
    assert isinstance(VoiceEngines(engine="tone").select("espeak:vi").engine, ToneEngine)


def test_an_unknown_tts_engine_setting_is_refused_when_built_not_on_the_first_call() -> None:
    with pytest.raises(ValueError, match="unknown TTS engine 'espek'"):
        VoiceEngines(engine="espek")


def test_an_unknown_voice_code_is_refused() -> None:
    with pytest.raises(UnknownVoiceError):
        VoiceEngines().select("azure:vi-VN-HoaiMyNeural")


def test_each_engine_is_built_once_and_a_missing_one_is_asked_for_once() -> None:
    built: list[str] = []

    def build(name: str, **_: Any) -> Any:
        built.append(name)
        if name == "openai":
            raise ValueError("no base URL")
        return SilentEngine()

    voices = VoiceEngines(build=build)
    for _ in range(3):
        voices.select("openai:alloy")
        voices.select("espeak:vi")

    assert built == ["openai", "espeak"]


def _script(voice_code: str) -> Script:
    return Script(scenario_id="sc-1", root_action_id="a-1", actions={}, voice_code=voice_code)


def test_the_call_path_speaks_an_unconfigured_openai_voice_with_espeaks_vietnamese_voice(
    tmp_path: Path,
) -> None:
    factory = PrompterFactory(Settings(data_dir=tmp_path, tts_engine="espeak", tts_base_url=""))

    prompter = factory(_script("openai:alloy"), True)

    assert isinstance(prompter.engine, EspeakEngine)
    assert prompter.voice == "vi"


async def test_the_call_path_fallback_voice_makes_audible_speech(
    tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    require_tool("espeak-ng")
    factory = PrompterFactory(Settings(data_dir=tmp_path, tts_engine="espeak", tts_base_url=""))

    audio = await factory(_script("openai:alloy"), True).render("Xin chào quý khách", {})

    assert audio.pcm and any(audio.pcm)
    await factory.aclose()
