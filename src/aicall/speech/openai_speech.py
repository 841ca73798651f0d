"""Neural voices over HTTP: any server that speaks OpenAI's `POST /v1/audio/speech`.

That covers OpenAI itself and the self-hosted servers that copy its API (openedai-speech,
Kokoro-FastAPI, LocalAI...). We ask for WAV so no decoder is needed, then bring it to 8 kHz.
"""

from __future__ import annotations

from types import TracebackType

import httpx

from aicall.speech.errors import AudioFormatError, TtsError
from aicall.speech.resample import convert_to_telephone_pcm, find_resampler
from aicall.speech.wav import parse_wav

__all__ = ["OpenAISpeechEngine"]


class OpenAISpeechEngine:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str = "tts-1",
        *,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
        resampler: str = "auto",
    ) -> None:
        self.url = base_url.rstrip("/").removesuffix("/v1") + "/v1/audio/speech"
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._sox = find_resampler(resampler)  # before the client: a bad choice leaks nothing
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)

    @property
    def resampler(self) -> str:
        return "sox" if self._sox else "python"

    async def synthesize(self, text: str, *, voice: str = "alloy", speed: float = 1.0) -> bytes:
        """8 kHz mono s16le PCM of `text` from the server's `voice`."""
        payload = {
            "model": self.model,
            "input": text,
            "voice": voice,
            "response_format": "wav",
            "speed": speed,
        }
        try:
            response = await self._client.post(self.url, json=payload, headers=self._headers)
        except httpx.HTTPError as exc:
            raise TtsError(f"request to the speech server at {self.url} failed: {exc!r}") from exc
        if response.status_code != 200:
            detail = response.text[:300].strip()
            raise TtsError(f"speech server answered {response.status_code}: {detail}")
        try:
            wav = parse_wav(response.content)
        except AudioFormatError as exc:
            raise TtsError(f"speech server did not return a usable WAV: {exc}") from exc
        return await convert_to_telephone_pcm(wav.pcm, wav.rate, wav.channels, sox=self._sox)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> OpenAISpeechEngine:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
