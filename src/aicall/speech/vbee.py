"""Vbee text to speech: the voices AICall scenarios name (`hn_female_ngochuyen_full_48k-fhg`).

Vbee's public API (https://api-docs.vbee.vn/dac-ta-api, also https://help.vbee.vn/tai-lieu-api/dac-ta-api):

* `POST https://vbee.vn/api/v1/tts`, `Authorization: Bearer <token>`, a JSON body
  `{app_id, response_type: "indirect", callback_url, input_text, voice_code, audio_type,
  speed_rate}` (speed 0.1-1.9, one decimal). It answers `{"status": 1, "result": {"request_id",
  "status": "IN_PROGRESS", ...}}`, or `{"status": 0, "error_code", "error_message"}`.
* The audio comes later. Vbee POSTs the result to `callback_url`
  (https://api-docs.vbee.vn/text-to-speech-lagacy/callback-api) and also answers
  `GET https://vbee.vn/api/v1/tts/{request_id}` with `result.status` `IN_PROGRESS`, `SUCCESS`
  (with `audio_link`) or `FAILURE` (https://api-docs.vbee.vn/text-to-speech-lagacy/get-request).

We poll that GET and never depend on the callback: a self-hosted platform is often behind NAT
or a firewall the vendor cannot reach, and a missed callback would leave a callee in silence.
`callback_url` is still sent, because the API requires it (`AICALL_PUBLIC_URL` + a path; what
Vbee's delivery there does is irrelevant to us). The whole synthesis (request, polls, download)
has one time budget, `timeout`; past it, `TtsTimeoutError`. We ask for WAV (`audio_type`), so
no MP3 decoder is needed, and bring it to 8 kHz mono.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from aicall.speech.errors import TtsError
from aicall.speech.resample import find_resampler
from aicall.speech.vendor_http import Deadline, get, poll_until, refusal, request, telephone_pcm_from_wav

__all__ = ["DEFAULT_URL", "VbeeEngine"]

DEFAULT_URL = "https://vbee.vn/api/v1/tts"
MIN_SPEED, MAX_SPEED = 0.1, 1.9  # the API's speed_rate range


class VbeeEngine:
    name = "vbee"

    def __init__(
        self,
        *,
        app_id: str,
        token: str,
        url: str = DEFAULT_URL,
        callback_url: str = "",
        timeout: float = 20.0,
        client: httpx.AsyncClient | None = None,
        resampler: str = "auto",
    ) -> None:
        if not app_id or not token:
            raise ValueError(
                "the vbee engine needs an app id and a token (AICALL_VBEE_APP_ID, AICALL_VBEE_TOKEN)"
            )
        self.url = (url or DEFAULT_URL).rstrip("/")
        self.app_id = app_id
        self.callback_url = callback_url or "http://localhost/vbee-callback-unused"
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"}
        self._sox = find_resampler(resampler)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient()

    async def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        """8 kHz mono s16le PCM of `text` in Vbee voice `voice` (a voice code)."""
        deadline = Deadline(self.timeout)
        payload = {
            "app_id": self.app_id,
            "response_type": "indirect",
            "callback_url": self.callback_url,
            "input_text": text,
            "voice_code": voice,
            "audio_type": "wav",
            "speed_rate": f"{min(MAX_SPEED, max(MIN_SPEED, speed)):.1f}",
        }
        response = await request(
            self._client,
            "POST",
            self.url,
            vendor="Vbee",
            deadline=deadline,
            json=payload,
            headers=self._headers,
        )
        result = self._result(response)
        request_id = str(result.get("request_id") or "")
        if not request_id:
            raise TtsError(f"Vbee accepted the request but named no request_id: {response.text[:200]}")

        async def finished() -> str | None:
            answer = await get(
                self._client,
                f"{self.url}/{request_id}",
                vendor="Vbee",
                deadline=deadline,
                headers=self._headers,
            )
            state = self._result(answer)
            status = str(state.get("status", "")).upper()
            if status == "SUCCESS" and state.get("audio_link"):
                return str(state["audio_link"])
            if status in ("FAILURE", "FAILED", "ERROR"):
                raise TtsError(f"Vbee could not synthesise request {request_id}: {answer.text[:200]}")
            return None  # IN_PROGRESS (or SUCCESS without its link yet)

        link = await poll_until(finished, deadline=deadline, what=f"Vbee request {request_id}")
        audio = await get(self._client, link, vendor="Vbee", deadline=deadline)
        if audio.status_code != 200:
            raise TtsError(f"Vbee's audio link answered {audio.status_code}")
        return await telephone_pcm_from_wav("Vbee", audio.content, sox=self._sox)

    @staticmethod
    def _result(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or body.get("status") != 1:
            detail = response.text
            if isinstance(body, dict) and body.get("error_message"):
                detail = f"{body.get('error_code', '')} {body['error_message']}"
            raise refusal("Vbee", response.status_code, detail)
        result = body.get("result")
        if not isinstance(result, dict):
            raise TtsError(f"Vbee answered without a result: {response.text[:200]}")
        return result

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> VbeeEngine:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
