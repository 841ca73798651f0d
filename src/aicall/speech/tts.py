"""Text to speech: the `TtsEngine` seam and the engines that plug into it.

Every engine returns telephone audio, 8 kHz mono signed 16-bit little-endian PCM, whatever
its synthesiser produces, so nothing downstream converts anything.

| engine | class | for |
|---|---|---|
| `espeak` | `EspeakEngine` | offline default (Debian `espeak-ng`) |
| `openai` | `OpenAISpeechEngine` | neural voices over HTTP (`/v1/audio/speech`) |
| `vbee` | `VbeeEngine` | Vbee's Vietnamese voices (AICall's voice codes), asynchronous API |
| `fpt` | `FptEngine` | FPT.AI's Vietnamese voices (TTS v5), asynchronous API |
| `silent`, `tone` | `SilentEngine`, `ToneEngine` | tests, simulator, demos |
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aicall.speech.espeak import EspeakEngine
from aicall.speech.fakes import SilentEngine, ToneEngine
from aicall.speech.fpt import FptEngine
from aicall.speech.openai_speech import OpenAISpeechEngine
from aicall.speech.vbee import VbeeEngine

__all__ = [
    "EspeakEngine",
    "FptEngine",
    "OpenAISpeechEngine",
    "SilentEngine",
    "ToneEngine",
    "TtsEngine",
    "VbeeEngine",
    "build_engine",
]


@runtime_checkable
class TtsEngine(Protocol):
    name: str  # part of every cache key: two engines never share audio

    async def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        """8 kHz mono s16le PCM of `text`; `TtsError` when the engine fails."""
        ...


def build_engine(
    name: str, *, base_url: str = "", api_key: str = "", app_id: str = "", callback_url: str = ""
) -> TtsEngine | None:
    """The engine the settings name (`AICALL_TTS_ENGINE`); `none` means no synthesis at all.

    For the vendors, `base_url` is their endpoint ("" for the documented one), `api_key` their
    token or key, `app_id` Vbee's application id; missing credentials are a `ValueError`."""
    match name.strip().lower():
        case "espeak":
            return EspeakEngine()
        case "openai":
            if not base_url:
                raise ValueError("the openai engine needs a base URL (AICALL_TTS_BASE_URL)")
            return OpenAISpeechEngine(base_url, api_key or None)
        case "vbee":
            return VbeeEngine(app_id=app_id, token=api_key, url=base_url, callback_url=callback_url)
        case "fpt":
            return FptEngine(api_key=api_key, url=base_url)
        case "silent":
            return SilentEngine()
        case "tone":
            return ToneEngine()
        case "none" | "":
            return None
    raise ValueError(f"unknown TTS engine {name!r}: expected espeak, openai, silent, tone or none")
