"""One choice of TTS engine and voice for calls and previews, with every fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aicall.config import Settings
from aicall.engine import PrompterFactory
from aicall.interpreter.script import Script
from aicall.speech.errors import TtsAuthError, TtsTimeoutError, UnknownVoiceError
from aicall.speech.prompter import Prompter as SpeechPrompter
from aicall.speech.selection import FALLBACK_VOICE, VendorCredentials, VoiceEngines
from aicall.speech.tts import (
    EspeakEngine,
    FptEngine,
    OpenAISpeechEngine,
    SilentEngine,
    ToneEngine,
    VbeeEngine,
)


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


# Vietnamese vendors: AICall codes are Vbee's; credentials an account's own over the platform's.

PLATFORM_VBEE = {"vbee": VendorCredentials(url="http://127.0.0.1:9/api/v1/tts", app_id="app", token="tok")}


def test_an_aicall_voice_code_is_spoken_by_vbee_when_the_platform_has_vbee_credentials() -> None:
    spoken = VoiceEngines(vendors=PLATFORM_VBEE).select("sg_female_tuongvy_call_44k-fhg")

    assert isinstance(spoken.engine, VbeeEngine)
    assert (spoken.voice, spoken.fallback) == ("sg_female_tuongvy_call_44k-fhg", None)
    assert spoken.standby is not None and isinstance(spoken.standby.engine, EspeakEngine)
    assert spoken.standby.voice.endswith("+f3")  # southern female, as espeak-ng can say it


def test_an_accounts_own_vbee_credentials_speak_its_aicall_codes_over_none_on_the_platform() -> None:
    voices = VoiceEngines()
    own = {"vbee": VendorCredentials(app_id="acct-app", token="acct-tok")}

    spoken = voices.select("hn_female_ngochuyen_full_48k-fhg", credentials=own)

    assert isinstance(spoken.engine, VbeeEngine)
    assert spoken.engine.app_id == "acct-app"
    assert isinstance(voices.select("hn_female_ngochuyen_full_48k-fhg").engine, EspeakEngine)


def test_an_accounts_credentials_win_over_the_platforms() -> None:
    voices = VoiceEngines(vendors=PLATFORM_VBEE)
    own = {"vbee": VendorCredentials(app_id="acct-app", token="acct-tok")}

    engine = voices.select("hn_female_ngochuyen_full_48k-fhg", credentials=own).engine

    assert isinstance(engine, VbeeEngine) and engine.app_id == "acct-app"
    assert voices.select("hn_female_ngochuyen_full_48k-fhg", credentials=own).engine is engine  # built once


def test_incomplete_account_credentials_leave_the_platforms_in_place() -> None:
    voices = VoiceEngines(vendors=PLATFORM_VBEE)
    engine = voices.select(
        "hn_female_ngochuyen_full_48k-fhg", credentials={"vbee": VendorCredentials(token="only-a-token")}
    ).engine

    assert isinstance(engine, VbeeEngine) and engine.app_id == "app"


def test_an_fpt_voice_is_spoken_by_fpt_with_a_key_and_by_espeak_in_its_region_without() -> None:
    with_key = VoiceEngines(vendors={"fpt": VendorCredentials(token="k")}).select("fpt:lannhi")
    without = VoiceEngines().select("fpt:lannhi")

    assert isinstance(with_key.engine, FptEngine) and with_key.voice == "lannhi"
    assert isinstance(without.engine, EspeakEngine)
    assert without.voice.endswith("+f3") and without.fallback == "the fpt engine is not configured"


def test_a_vbee_prefixed_code_without_credentials_falls_back_to_its_region() -> None:
    spoken = VoiceEngines().select("vbee:hn_male_manhdung_news_48k-fhg")

    assert isinstance(spoken.engine, EspeakEngine)
    assert (spoken.voice, spoken.fallback) == ("vi", "the vbee engine is not configured")


def test_tts_engine_none_plays_silence_even_for_vendor_voices() -> None:
    spoken = VoiceEngines(engine="none", vendors=PLATFORM_VBEE).select("hn_female_ngochuyen_full_48k-fhg")

    assert isinstance(spoken.engine, SilentEngine) and spoken.standby is None


async def test_a_failing_vendor_engine_hands_the_whole_prompt_to_espeak_then_rests(
    require_tool: Callable[[str], str],
) -> None:
    require_tool("espeak-ng")

    class Down:
        name = "vbee"
        calls = 0

        async def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
            Down.calls += 1
            raise TtsTimeoutError("Vbee request r-1 was not ready after 20 s")

    now = [0.0]
    prompter = SpeechPrompter(
        (),
        engine=Down(),
        voice="hn_female_ngochuyen_full_48k-fhg",
        standby=(EspeakEngine(), "vi+f3"),
        clock=lambda: now[0],
    )

    first = await prompter.render("Xin chào quý khách", {})
    second = await prompter.render("Xin chào quý khách", {})
    now[0] = 61.0
    await prompter.render("Xin chào quý khách", {})

    assert first.pcm and any(first.pcm) and second.pcm == first.pcm
    assert Down.calls == 2  # not asked again during the cool-down, asked again after it


async def test_without_a_standby_the_engines_error_reaches_the_caller() -> None:
    class Down:
        name = "vbee"

        async def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
            raise TtsAuthError("Vbee refused the credentials (401)")

    with pytest.raises(TtsAuthError):
        await SpeechPrompter((), engine=Down(), voice="x").render("Xin chào", {})


async def test_prefetch_puts_a_contacts_clips_in_the_caches_before_the_call() -> None:
    from aicall.interpreter.script import FieldSpec

    engine = SilentEngine()
    prompter = SpeechPrompter((FieldSpec(key="ho_ten", name="Họ tên", reading_type="TEXT"),), engine=engine)

    new = await prompter.prefetch(["Chào {{ho_ten}}.", "Tạm biệt."], {"ho_ten": "An"})
    calls = len(engine.calls)
    await prompter.render("Chào {{ho_ten}}.", {"ho_ten": "An"})

    assert new == 3 and calls == 3
    assert len(engine.calls) == calls  # the answer found every clip ready
