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
| `espeak`, `openai` | an AICall code (`hn_female_...`), Vbee credentials | `vbee` | the code |
| `espeak`, `openai` | an AICall code, no Vbee credentials | `espeak` | region and gender (`vi+f3`) |
| `espeak`, `openai` | `vbee:<code>` / `fpt:<voice>`, credentials | `vbee` / `fpt` | `<code>` / `<voice>` |
| `espeak`, `openai` | `vbee:<code>` / `fpt:<voice>`, no credentials | `espeak` | region, gender; else `vi` |

Credentials: an account's own (`select(code, credentials=...)`, from `accounts.voice_credentials`)
over the platform's (`AICALL_VBEE_APP_ID` + `AICALL_VBEE_TOKEN`, `AICALL_FPT_API_KEY`).

When the chosen engine is not espeak-ng, `SpokenVoice.standby` is the espeak-ng voice that
speaks instead when that engine fails on a call (bad credentials, quota, time-out): the
`Prompter` switches to it for the whole prompt (one voice per prompt, never a mix) and for a
cool-down after, so callees do not wait out a dead vendor's time-out on every prompt.

A voice code no engine knows raises `UnknownVoiceError` (the scenario API refuses such codes
before they are stored). A southern or central espeak-ng voice this machine lacks becomes `vi`
in `speech.voices`, where the installed voices are known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import NamedTuple

from aicall.config import TTS_ENGINES
from aicall.speech.tts import TtsEngine, build_engine
from aicall.speech.voices import STAND_IN_VOICE, espeak_stand_in, resolve_voice, vendor_voice

__all__ = ["FALLBACK_VOICE", "VENDORS", "SpokenVoice", "Standby", "VendorCredentials", "VoiceEngines"]

log = logging.getLogger(__name__)

# espeak-ng's voice when it stands in for another engine. That engine's voice names (`alloy`)
# mean nothing to espeak-ng: `espeak-ng -v alloy` exits 0 with no audio, a call of silence.
FALLBACK_VOICE = STAND_IN_VOICE
VENDORS = ("vbee", "fpt")  # engines that need credentials, an account's or the platform's

_OVERRIDES = {"none": "silent", "silent": "silent", "tone": "tone"}  # setting -> engine for every voice
_BY_VOICE = {"", "espeak", "openai"}  # settings under which the voice code picks the engine


class VendorCredentials(NamedTuple):
    """How to reach a vendor's TTS API: an account's own, or the platform's defaults."""

    url: str = ""  # "" for the vendor's documented endpoint
    app_id: str = ""  # Vbee's application id (FPT.AI has none)
    token: str = ""  # Vbee's token, FPT.AI's API key

    def usable_for(self, vendor: str) -> bool:
        return bool(self.token) and (bool(self.app_id) or vendor != "vbee")


class Standby(NamedTuple):
    engine: TtsEngine
    voice: str


class SpokenVoice(NamedTuple):
    engine: TtsEngine
    voice: str  # what `engine.synthesize(voice=...)` expects
    fallback: str | None  # why the voice code's own engine is not speaking; None when it is
    standby: Standby | None = None  # who speaks when `engine` fails on a call


class VoiceEngines:
    """Builds each engine once and picks, per voice code, the engine and voice that speak it.

    `engine`, `base_url`, `api_key` are `AICALL_TTS_ENGINE`, `AICALL_TTS_BASE_URL` and
    `AICALL_TTS_API_KEY`; an engine name outside `config.TTS_ENGINES` is a `ValueError` here,
    at start-up, not on the first call (settings refuse it before). `build` makes an engine from its
    name (`speech.tts.build_engine`; tests pass fakes). Close with `aclose()`: HTTP engines
    hold a connection pool.
    """

    def __init__(
        self,
        *,
        engine: str = "espeak",
        base_url: str = "",
        api_key: str = "",
        vendors: Mapping[str, VendorCredentials] | None = None,
        callback_url: str = "",
        build: Callable[..., TtsEngine | None] = build_engine,
    ) -> None:
        setting = engine.strip().lower()
        if setting not in _OVERRIDES and setting not in _BY_VOICE:
            # Settings refuse it first (config.TTS_ENGINES); this holds for other callers.
            raise ValueError(
                f"unknown TTS engine {engine!r} (AICALL_TTS_ENGINE): use one of {', '.join(TTS_ENGINES)}"
            )
        self._override = _OVERRIDES.get(setting)
        self._base_url = base_url
        self._api_key = api_key
        self._build = build
        self._vendors = dict(vendors or {})
        self._callback_url = callback_url
        self._engines: dict[str, TtsEngine | None] = {}  # None: that engine cannot be built here
        self._vendor_engines: dict[tuple[str, VendorCredentials], TtsEngine | None] = {}

    def select(
        self, voice_code: str, *, credentials: Mapping[str, VendorCredentials] | None = None
    ) -> SpokenVoice:
        """The engine and voice for a scenario's `voice_code`; `UnknownVoiceError` when none fits.

        `credentials`: the scenario's account's own, by vendor; the platform's stand in."""
        choice = resolve_voice(voice_code)
        if self._override is not None:
            engine = self._get(self._override)
            assert engine is not None  # the fakes always build
            reason = None if engine.name == choice.engine else f"AICALL_TTS_ENGINE={engine.name}"
            return SpokenVoice(engine, choice.voice, reason)
        neural = vendor_voice(voice_code)  # an AICall code: Vbee's, when we can reach Vbee
        if neural is not None and (engine := self._vendor(neural.engine, credentials)) is not None:
            return SpokenVoice(engine, neural.voice, None, self._standby(voice_code))
        if choice.engine in VENDORS:
            engine = self._vendor(choice.engine, credentials)
        else:
            engine = self._get(choice.engine)
        if engine is not None:
            standby = self._standby(voice_code) if engine.name != "espeak" else None
            return SpokenVoice(engine, choice.voice, None, standby)
        espeak = self._get("espeak")
        assert espeak is not None
        reason = f"the {choice.engine} engine is not configured"
        return SpokenVoice(espeak, espeak_stand_in(voice_code), reason)

    def _standby(self, voice_code: str) -> Standby | None:
        espeak = self._get("espeak")
        return Standby(espeak, espeak_stand_in(voice_code)) if espeak is not None else None

    def _vendor(self, name: str, credentials: Mapping[str, VendorCredentials] | None) -> TtsEngine | None:
        own = (credentials or {}).get(name)
        chosen = own if own is not None and own.usable_for(name) else self._vendors.get(name)
        if chosen is None or not chosen.usable_for(name):
            return None
        key = (name, chosen)
        if key not in self._vendor_engines:
            try:
                self._vendor_engines[key] = self._build(
                    name,
                    base_url=chosen.url,
                    api_key=chosen.token,
                    app_id=chosen.app_id,
                    callback_url=self._callback_url,
                )
            except ValueError as exc:
                log.warning("TTS engine %s unavailable, espeak-ng speaks instead: %s", name, exc)
                self._vendor_engines[key] = None
        return self._vendor_engines[key]

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
        engines = [*self._engines.values(), *self._vendor_engines.values()]
        self._engines, self._vendor_engines = {}, {}
        for engine in engines:
            aclose = getattr(engine, "aclose", None)
            if aclose is not None:
                await aclose()
