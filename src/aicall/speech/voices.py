"""Voice codes, as scenarios store them, resolved to an engine and that engine's voice.

AICall's naming: `<region>_<gender>_<name>_...`, e.g. `hn_female_ngochuyen_full_48k-fhg`.

| code | engine | voice |
|---|---|---|
| `hn_<gender>_<name>_...` | espeak | `vi` (northern) |
| `sg_<gender>_<name>_...` | espeak | `vi-vn-x-south` |
| `hue_<gender>_<name>_...` | espeak | `vi-vn-x-central` |
| `espeak:<voice>` (`espeak:vi`, `espeak:vi-vn-x-south+f3`) | espeak | `<voice>` |
| `openai:<voice>` (`openai:alloy`) | openai | `<voice>` |
| `vbee:<code>` (`vbee:sg_female_tuongvy_call_44k-fhg`) | vbee | `<code>` |
| `fpt:<voice>` (`fpt:banmai`) | fpt | `<voice>` |

AICall's codes are Vbee's voice codes. Without Vbee credentials we keep the region (the accent
a listener expects) and the gender (espeak-ng's `+f3` variant for female codes), so a scenario
imported from AICall sounds like the same kind of speaker; with them, `vendor_voice` says Vbee
speaks it (`speech.selection` decides). "" is the default voice. `espeak_stand_in` is the
espeak-ng voice for any code whose own engine cannot speak (region and gender kept when known).
"""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from typing import NamedTuple

from aicall.speech.errors import UnknownVoiceError
from aicall.speech.tools import tool_path

__all__ = [
    "DEFAULT_VOICE_CODE",
    "KNOWN_VOICES",
    "VoiceChoice",
    "espeak_stand_in",
    "is_known_voice",
    "resolve_voice",
    "vendor_voice",
]

DEFAULT_VOICE_CODE = "hn_female_ngochuyen_full_48k-fhg"

# Offered in the scenario editor. Any other code of the same shapes resolves too.
KNOWN_VOICES: tuple[str, ...] = (
    "hn_female_ngochuyen_full_48k-fhg",
    "hn_male_phuthang_stor80dt_48k-fhg",
    "sg_female_thaotrinh_full_48k-fhg",
    "sg_male_minhhoang_full_48k-fhg",
    "hue_female_huonggiang_full_48k-fhg",
    "espeak:vi",
    "espeak:vi-vn-x-south",
    "espeak:vi-vn-x-central",
    "openai:alloy",
    "openai:nova",
    "openai:onyx",
    "sg_female_tuongvy_call_44k-fhg",
    "fpt:banmai",
    "fpt:lannhi",
    "fpt:leminh",
)


class VoiceChoice(NamedTuple):
    engine: str  # an engine's `name`: "espeak", "openai"
    voice: str  # what that engine's `synthesize(voice=...)` expects


_REGION_VOICES = {"hn": "vi", "sg": "vi-vn-x-south", "hue": "vi-vn-x-central"}
_VENDOR_CODE = re.compile(r"(hn|sg|hue)_(female|male)_[a-z0-9]+(?:_[a-z0-9.]+)*(?:-[a-z0-9]+)?")
_ENGINE_VOICE = re.compile(r"(espeak|openai|vbee|fpt):([A-Za-z0-9][A-Za-z0-9_.+-]*)")
STAND_IN_VOICE = "vi"  # espeak-ng's voice for a code whose region is unknown (`openai:alloy`)
# FPT.AI's documented voices (https://docs.fpt.ai/docs/en/speech/api/text-to-speech): region, gender.
_FPT_VOICES = {
    "banmai": ("hn", "female"),
    "thuminh": ("hn", "female"),
    "leminh": ("hn", "male"),
    "lannhi": ("sg", "female"),
    "linhsan": ("sg", "female"),
    "myan": ("hue", "female"),
    "giahuy": ("hue", "male"),
}
_FEMALE_VARIANT = "+f3"


def resolve_voice(voice_code: str) -> VoiceChoice:
    """(engine, voice) for a scenario's voice code; `UnknownVoiceError` when none fits."""
    code = voice_code.strip() or DEFAULT_VOICE_CODE
    if match := _VENDOR_CODE.fullmatch(code):
        return VoiceChoice("espeak", _regional(match[1], match[2]))
    if match := _ENGINE_VOICE.fullmatch(code):
        engine, voice = match[1], match[2]
        if engine == "espeak" and not voice.split("+")[0].lower().startswith("vi"):
            raise UnknownVoiceError(f"espeak voice {voice!r} does not speak Vietnamese")
        return VoiceChoice(engine, voice)
    raise UnknownVoiceError(
        f"unknown voice code {voice_code!r}: expected an AICall code like {DEFAULT_VOICE_CODE}, "
        "espeak:<voice>, openai:<voice>, vbee:<code> or fpt:<voice>"
    )


def vendor_voice(voice_code: str) -> VoiceChoice | None:
    """The neural engine an AICall code names (Vbee's codes are AICall's), or None."""
    code = voice_code.strip() or DEFAULT_VOICE_CODE
    if _VENDOR_CODE.fullmatch(code):
        return VoiceChoice("vbee", code)
    return None


def espeak_stand_in(voice_code: str) -> str:
    """The espeak-ng voice that speaks `voice_code` when its own engine cannot."""
    code = voice_code.strip() or DEFAULT_VOICE_CODE
    engine, _, voice = code.partition(":")
    if engine == "espeak":
        return voice
    if engine == "vbee":
        code = voice
    elif engine == "fpt" and voice in _FPT_VOICES:
        return _regional(*_FPT_VOICES[voice])
    if match := _VENDOR_CODE.fullmatch(code):
        return _regional(match[1], match[2])
    return STAND_IN_VOICE


def _regional(region: str, gender: str) -> str:
    voice = _installed_or_northern(_REGION_VOICES[region])
    return voice + (_FEMALE_VARIANT if gender == "female" else "")


def is_known_voice(voice_code: str) -> bool:
    """Whether a scenario may use `voice_code` (for validating the scenario API's input)."""
    try:
        resolve_voice(voice_code)
    except UnknownVoiceError:
        return False
    return True


def _installed_or_northern(voice: str) -> str:
    # Older espeak-ng builds have only `vi`; a northern accent beats a failed call.
    installed = _installed_espeak_voices()
    if installed is None or voice in installed:
        return voice
    return "vi"


@lru_cache(maxsize=1)
def _installed_espeak_voices() -> frozenset[str] | None:
    """Vietnamese voices of the local espeak-ng, asked once; None when it cannot be asked."""
    binary = tool_path("espeak-ng")
    if binary is None:
        return None
    try:
        listing = subprocess.run(
            [binary, "--voices=vi"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # Columns: Pty Language Age/Gender VoiceName File ...; the language column is the -v name.
    return frozenset(line.split()[1] for line in listing.splitlines()[1:] if len(line.split()) > 1)
