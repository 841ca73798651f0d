"""Voice codes resolve to an engine and its voice; unknown codes are refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aicall.speech import voices
from aicall.speech.errors import UnknownVoiceError
from aicall.speech.voices import DEFAULT_VOICE_CODE, KNOWN_VOICES, VoiceChoice, is_known_voice, resolve_voice


def test_aicalls_northern_female_code_maps_to_espeaks_northern_voice_female_variant() -> None:
    assert resolve_voice("hn_female_ngochuyen_full_48k-fhg") == VoiceChoice("espeak", "vi+f3")


def test_a_male_code_keeps_espeaks_default_male_voice() -> None:
    assert resolve_voice("hn_male_phuthang_stor80dt_48k-fhg") == ("espeak", "vi")


def test_southern_codes_map_to_the_southern_voice_when_espeak_has_it(
    require_tool: Callable[[str], str],
) -> None:
    require_tool("espeak-ng")

    assert resolve_voice("sg_female_thaotrinh_full_48k-fhg") == ("espeak", "vi-vn-x-south+f3")
    assert resolve_voice("hue_male_duyphuong_full_48k-fhg") == ("espeak", "vi-vn-x-central")


def test_a_regional_voice_missing_from_espeak_falls_back_to_northern(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voices, "_installed_espeak_voices", lambda: frozenset({"vi"}))

    assert resolve_voice("sg_male_minhhoang_full_48k-fhg") == ("espeak", "vi")


def test_engine_prefixed_codes_name_the_engines_voice() -> None:
    assert resolve_voice("openai:alloy") == ("openai", "alloy")
    assert resolve_voice("openai:vi_female-1") == ("openai", "vi_female-1")
    assert resolve_voice("espeak:vi-vn-x-south") == ("espeak", "vi-vn-x-south")


def test_an_empty_code_is_the_default_voice() -> None:
    assert resolve_voice("") == resolve_voice(DEFAULT_VOICE_CODE)


@pytest.mark.parametrize(
    "code", ["alloy", "openai:", "espeak:en-us", "tts:vi", "hn_robot_x_48k", "HN_FEMALE_X", "openai:a b"]
)
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(UnknownVoiceError):
        resolve_voice(code)
    assert not is_known_voice(code)


def test_every_listed_voice_resolves() -> None:
    assert DEFAULT_VOICE_CODE in KNOWN_VOICES
    assert all(is_known_voice(code) for code in KNOWN_VOICES)
