"""Recognisers over HTTP: OpenAI-compatible transcription servers and FPT.AI Speech to Text.

Both take a WAV of the utterance (8 kHz mono 16-bit, as the call carries it: no resampling,
servers accept any rate) and answer JSON. Failures are `AsrError`s naming the status and the
start of the body; the caller (`asr.recognise`) turns them into "heard nothing".

`AsrSettings` says which recogniser, where and how long a call waits for it (the platform's,
from `AICALL_ASR_*`, or an account's own: `accounts/speech_settings.py` decides which applies);
`AsrEngines` turns settings into engines that share one connection pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from aicall.media import SAMPLE_RATE, Utterance
from aicall.speech.asr import EchoAsrEngine
from aicall.speech.asr_types import AsrEngine, AsrError, Transcript
from aicall.speech.wav import pcm_to_wav_bytes

__all__ = [
    "ASR_ENGINES",
    "DEFAULT_OPENAI_MODEL",
    "FPT_ASR_URL",
    "AsrEngines",
    "AsrSettings",
    "FptAsrEngine",
    "OpenAITranscriptionEngine",
    "Recogniser",
    "build_asr_engine",
]

ASR_ENGINES = ("openai", "fpt", "echo", "none")
DEFAULT_OPENAI_MODEL = "whisper-1"
# Seconds: the shared pool's own HTTP timeout, the largest a recognition may be given
# (`recognise` cuts each one at its own, shorter, timeout).
MAX_ASR_TIMEOUT = 60.0

# https://docs.fpt.ai/docs/en/speech/api/speech-to-text
FPT_ASR_URL = "https://api.fpt.ai/hmi/asr/general"
FPT_STATUS = {1: "no voice", 2: "canceled", 9: "system busy"}


class _HttpEngine:
    def __init__(self, *, timeout: float, client: httpx.AsyncClient | None) -> None:
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _post(self, url: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.post(url, **kwargs)
        except httpx.HTTPError as exc:
            raise AsrError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise AsrError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise AsrError(f"not JSON: {response.text[:200]!r}") from None


class OpenAITranscriptionEngine(_HttpEngine):
    """`POST {base_url}/v1/audio/transcriptions` (multipart: file, model, language, response_format)."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str = DEFAULT_OPENAI_MODEL,
        *,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(timeout=timeout, client=client)
        self.url = base_url.rstrip("/").removesuffix("/v1") + "/v1/audio/transcriptions"
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    async def transcribe(self, utterance: Utterance, *, language: str = "vi") -> Transcript:
        wav = pcm_to_wav_bytes(utterance.pcm, SAMPLE_RATE)
        body = await self._post(
            self.url,
            headers=self._headers,
            files={"file": ("speech.wav", wav, "audio/wav")},
            data={"model": self.model, "language": language, "response_format": "json"},
        )
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            raise AsrError(f"no text in the answer: {str(body)[:200]}")
        return Transcript(text=text.strip())


class FptAsrEngine(_HttpEngine):
    """FPT.AI: the audio file as the request body, the key in an `api_key` header; the answer
    `{"status": 0, "hypotheses": [{"utterance": "..."}], "id": ...}` (status 1 no voice,
    2 canceled, 9 busy). The service is Vietnamese: `language` is not sent."""

    name = "fpt"

    def __init__(
        self,
        api_key: str,
        *,
        url: str = FPT_ASR_URL,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(timeout=timeout, client=client)
        self.url = url or FPT_ASR_URL
        self._headers = {"api_key": api_key}

    async def transcribe(self, utterance: Utterance, *, language: str = "vi") -> Transcript:
        wav = pcm_to_wav_bytes(utterance.pcm, SAMPLE_RATE)
        body = await self._post(self.url, headers=self._headers, content=wav)
        if not isinstance(body, dict):
            raise AsrError(f"unexpected answer: {str(body)[:200]}")
        status = body.get("status")
        if status == 1:
            return Transcript(text="")  # no voice: heard nothing, not a fault
        if status != 0:
            reason = FPT_STATUS.get(status, "error") if isinstance(status, int) else "error"
            raise AsrError(f"status {status} ({reason}): {body.get('message', '')}"[:200])
        hypotheses = body.get("hypotheses") or []
        first = hypotheses[0] if hypotheses and isinstance(hypotheses[0], dict) else {}
        text = first.get("utterance", "")
        if not isinstance(text, str):
            raise AsrError(f"no utterance in the answer: {str(body)[:200]}")
        return Transcript(text=text.strip())


def build_asr_engine(
    name: str,
    *,
    base_url: str = "",
    api_key: str = "",
    model: str = "",
    timeout: float = 10.0,
    client: httpx.AsyncClient | None = None,
) -> AsrEngine | None:
    """Map an engine name (`AICALL_ASR_ENGINE`, or an account's) to an engine (`none` -> None).

    `client`: a connection pool to share (the engine then does not close it). Raises
    `ValueError` for an unknown name or a missing URL (openai) or key (fpt)."""
    choice = name.strip().lower()
    if choice in ("", "none"):
        return None
    if choice == "echo":
        return EchoAsrEngine()
    if choice == "openai":
        if not base_url:
            raise ValueError("AICALL_ASR_ENGINE=openai needs AICALL_ASR_BASE_URL")
        return OpenAITranscriptionEngine(
            base_url, api_key or None, model or DEFAULT_OPENAI_MODEL, timeout=timeout, client=client
        )
    if choice == "fpt":
        if not api_key:
            raise ValueError("AICALL_ASR_ENGINE=fpt needs AICALL_ASR_API_KEY")
        return FptAsrEngine(api_key, url=base_url or FPT_ASR_URL, timeout=timeout, client=client)
    raise ValueError(f"unknown ASR engine {name!r}: expected one of {', '.join(ASR_ENGINES)}")


@dataclass(frozen=True, slots=True)
class AsrSettings:
    """Which recogniser a call uses: `engine` (openai | fpt | echo | none), its `base_url`, `api_key`
    and `model` (openai; "" for `DEFAULT_OPENAI_MODEL`), and `timeout`, the seconds a call waits
    for one recognition before it counts as no input."""

    engine: str
    base_url: str = ""
    api_key: str = field(default="", repr=False)  # never in a log line or a traceback
    model: str = ""
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class Recogniser:
    """What a call is given: the engine (None: speech counts as silence) and its timeout (seconds)."""

    engine: AsrEngine | None
    timeout: float


class AsrEngines:
    """Engines built from `AsrSettings`, all over one HTTP connection pool, so engines need no
    closing of their own and an account's changed settings simply get a new engine. Equal
    settings give the same engine (kept until `MAX_ENGINES` differ, then built afresh)."""

    MAX_ENGINES = 1000

    def __init__(self, *, client: httpx.AsyncClient | None = None) -> None:
        self._owns_client = client is None
        # Made at the first HTTP engine: a dialer whose recognisers are all echo or none opens none.
        self._client = client
        self._engines: dict[tuple[str, str, str, str], AsrEngine | None] = {}

    def recogniser(self, settings: AsrSettings) -> Recogniser:
        """The engine for `settings` (raises `ValueError` as `build_asr_engine` does)."""
        key = (settings.engine.strip().lower(), settings.base_url, settings.api_key, settings.model)
        if key not in self._engines:
            if len(self._engines) >= self.MAX_ENGINES:
                self._engines.clear()
            if self._client is None and key[0] in ("openai", "fpt"):
                self._client = httpx.AsyncClient(timeout=MAX_ASR_TIMEOUT)
            self._engines[key] = build_asr_engine(
                settings.engine,
                base_url=settings.base_url,
                api_key=settings.api_key,
                model=settings.model,
                timeout=settings.timeout,
                client=self._client,
            )
        return Recogniser(self._engines[key], settings.timeout)

    async def aclose(self) -> None:
        """Close the shared pool (when this object made it)."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None
            self._engines.clear()
