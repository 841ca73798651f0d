"""FPT.AI text to speech, API version 5: a second Vietnamese vendor (voices `banmai`, `lannhi`...).

FPT.AI's public API (https://docs.fpt.ai/docs/en/speech/api/text-to-speech):

* `POST https://api.fpt.ai/hmi/tts/v5`; the text (3 to 5,000 characters) is the whole body;
  headers `api_key`, `voice` (banmai, lannhi, leminh, myan, thuminh, giahuy, linhsan),
  `speed` (-3 slowest ... 0 normal ... +3 fastest), `format` (`mp3` or `wav`), optional
  `callback_url`.
* It answers `{"async": <audio URL>, "error": 0, "message", "request_id"}`; `error` other than
  0 is a failure. The file behind `async` "may not exist right at the time of response":
  5 seconds to 2 minutes, by the length of the text.

We poll the `async` URL (a missing object answers 404 or 403 until it is written) instead of
taking the callback, for the reason given in `speech.vbee`: behind NAT no callback arrives.
The key goes in `api_key`, as the document writes it, and again in `api-key`, the spelling most
published clients use: HTTP proxies (nginx by default) drop headers with underscores.
"""

from __future__ import annotations

from types import TracebackType

import httpx

from aicall.speech.errors import TtsError
from aicall.speech.resample import find_resampler
from aicall.speech.vendor_http import Deadline, get, poll_until, refusal, request, telephone_pcm_from_wav

__all__ = ["DEFAULT_URL", "FptEngine", "fpt_speed"]

DEFAULT_URL = "https://api.fpt.ai/hmi/tts/v5"
MIN_CHARS = 3  # "Body must have at least 3 characters"
_NOT_YET = (403, 404)  # what the storage behind `async` answers before the file is written


def fpt_speed(speed: float) -> int:
    """Our speed (1.0 normal) as FPT's step, -3..+3; a step is taken as 10 % faster or slower."""
    return max(-3, min(3, round((speed - 1.0) * 10)))


class FptEngine:
    name = "fpt"

    def __init__(
        self,
        *,
        api_key: str,
        url: str = DEFAULT_URL,
        timeout: float = 20.0,
        client: httpx.AsyncClient | None = None,
        resampler: str = "auto",
    ) -> None:
        if not api_key:
            raise ValueError("the fpt engine needs an API key (AICALL_FPT_API_KEY)")
        self.url = url or DEFAULT_URL
        self.timeout = timeout
        self._api_key = api_key
        self._sox = find_resampler(resampler)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient()

    async def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        """8 kHz mono s16le PCM of `text` in FPT.AI voice `voice`."""
        deadline = Deadline(self.timeout)
        body = text if len(text.strip()) >= MIN_CHARS else f"{text.strip()}..."  # "Hà" is a name too
        headers = {
            "api_key": self._api_key,
            "api-key": self._api_key,
            "voice": voice,
            "speed": str(fpt_speed(speed)),
            "format": "wav",
            "Content-Type": "text/plain; charset=utf-8",
        }
        response = await request(
            self._client,
            "POST",
            self.url,
            vendor="FPT.AI",
            deadline=deadline,
            content=body.encode(),
            headers=headers,
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200 or not isinstance(answer, dict) or answer.get("error") != 0:
            detail = str(answer.get("message", "")) if isinstance(answer, dict) else response.text
            status = response.status_code if response.status_code != 200 else 400
            raise refusal("FPT.AI", status, detail or response.text)
        link = str(answer.get("async") or "")
        if not link:
            raise TtsError(f"FPT.AI accepted the request but gave no audio link: {response.text[:200]}")

        async def ready() -> bytes | None:
            audio = await get(self._client, link, vendor="FPT.AI", deadline=deadline)
            if audio.status_code in _NOT_YET:
                return None
            if audio.status_code != 200:
                raise TtsError(f"FPT.AI's audio link answered {audio.status_code}")
            return audio.content

        data = await poll_until(
            ready, deadline=deadline, what=f"FPT.AI request {answer.get('request_id', link)}"
        )
        return await telephone_pcm_from_wav("FPT.AI", data, sox=self._sox)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> FptEngine:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
