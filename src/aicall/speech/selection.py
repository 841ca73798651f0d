"""Which engine speaks a scenario's voice, and what stands in when that engine is missing.

The one place that decides: the call path (`aicall.engine.PrompterFactory`) and the preview
(`aicall.scenarios.preview`) both ask a `VoiceEngines`, so a preview sounds like the call.

| `AICALL_TTS_ENGINE` | voice code resolves to | engine | voice |
|---|---|---|---|
| `none` or `silent` | anything | `silent` | the code's voice (silence of the prompt's length) |
| `tone` | anything | `tone` | the code's voice |
| `espeak`, `openai` | `espeak`, `<voice>` | `espeak` | `<voice>` |
| `espeak`, `openai` | `openai`, `<voice>`, `AICALL_TTS_BASE_URL` set | `openai` | `<voice>` |
| `espeak`, `openai` | `openai`, `<voice>`, no base URL | `espeak` | `FALLBACK_VOICE` (`vi`) |

A voice code no engine knows raises `UnknownVoiceError` (the scenario API refuses such codes
before they are stored). A southern or central espeak-ng voice this machine lacks becomes `vi`
in `speech.voices`, where the installed voices are known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

from aicall.speech.tts import TtsEngine, build_engine
from aicall.speech.voices import resolve_voice

__all__ = ["FALLBACK_VOICE", "SpokenVoice", "VoiceEngines"]

log = logging.getLogger(__name__)

# espeak-ng's voice when it stands in for another engine. That engine's voice names (`alloy`)
# mean nothing to espeak-ng: `espeak-ng -v alloy` exits 0 with no audio, a call of silence.
FALLBACK_VOICE = "vi"

_OVERRIDES = {"none": "silent", "silent": "silent", "tone": "tone"}  # setting -> engine for every voice
_BY_VOICE = {"", "espeak", "openai"}  # settings under which the voice code picks the engine


class SpokenVoice(NamedTuple):
    engine: TtsEngine
    voice: str  # what `engine.synthesize(voice=...)` expects
    fallback: str | None  # why the voice code's own engine is not speaking; None when it is


class VoiceEngines:
    """Builds each engine once and picks, per voice code, the engine and voice that speak it.

    `engine`, `base_url`, `api_key` are `AICALL_TTS_ENGINE`, `AICALL_TTS_BASE_URL` and
    `AICALL_TTS_API_KEY`; an engine name outside espeak, openai, silent, tone and none is a
    `ValueError` here, at start-up, not on the first call. `build` makes an engine from its
    name (`speech.tts.build_engine`; tests pass fakes). Close with `aclose()`: HTTP engines
    hold a connection pool.
    """

    def __init__(
        self,
        *,
        engine: str = "espeak",
        base_url: str = "",
        api_key: str = "",
        build: Callable[..., TtsEngine | None] = build_engine,
    ) -> None:
        setting = engine.strip().lower()
        if setting not in _OVERRIDES and setting not in _BY_VOICE:
            raise ValueError(
                f"unknown TTS engine {engine!r} (AICALL_TTS_ENGINE): expected espeak, openai, "
                "silent, tone or none"
            )
        self._override = _OVERRIDES.get(setting)
        self._base_url = base_url
        self._api_key = api_key
        self._build = build
        self._engines: dict[str, TtsEngine | None] = {}  # None: that engine cannot be built here

    def select(self, voice_code: str) -> SpokenVoice:
        """The engine and voice for a scenario's `voice_code`; `UnknownVoiceError` when none fits."""
        choice = resolve_voice(voice_code)
        if self._override is not None:
            engine = self._get(self._override)
            assert engine is not None  # the fakes always build
            reason = None if engine.name == choice.engine else f"AICALL_TTS_ENGINE={engine.name}"
            return SpokenVoice(engine, choice.voice, reason)
        engine = self._get(choice.engine)
        if engine is not None:
            return SpokenVoice(engine, choice.voice, None)
        espeak = self._get("espeak")
        assert espeak is not None
        return SpokenVoice(espeak, FALLBACK_VOICE, f"the {choice.engine} engine is not configured")

    def _get(self, name: str) -> TtsEngine | None:
        if name not in self._engines:
            try:
                self._engines[name] = self._build(name, base_url=self._base_url, api_key=self._api_key)
            except ValueError as exc:  # e.g. openai without AICALL_TTS_BASE_URL
                log.warning("TTS engine %s unavailable, espeak-ng speaks instead: %s", name, exc)
                self._engines[name] = None
        return self._engines[name]

    async def aclose(self) -> None:
        """Close the engines built here that hold resources (the HTTP engine's client)."""
        engines, self._engines = self._engines, {}
        for engine in engines.values():
            aclose = getattr(engine, "aclose", None)
            if aclose is not None:
                await aclose()
