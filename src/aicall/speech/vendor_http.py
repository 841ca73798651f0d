"""What the Vietnamese vendors' asynchronous TTS APIs have in common.

Both Vbee and FPT.AI answer a synthesis request with an id or a link, not with audio; the
audio appears later. We poll (never wait for their callback: a self-hosted platform behind
NAT is often unreachable from the vendor), under one deadline for the whole synthesis, then
download the WAV and bring it to 8 kHz mono.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from aicall.speech.errors import AudioFormatError, TtsAuthError, TtsError, TtsQuotaError, TtsTimeoutError
from aicall.speech.resample import convert_to_telephone_pcm
from aicall.speech.wav import parse_wav

__all__ = ["Deadline", "poll_until", "refusal", "telephone_pcm_from_wav"]

T = TypeVar("T")

FIRST_POLL = 0.2  # seconds: short texts are often ready in well under a second
MAX_POLL = 1.0  # the slowest we look again: a callee may be waiting


class Deadline:
    """Seconds left of one synthesis's time budget (`loop.time()`, not the wall clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = asyncio.get_running_loop().time() + seconds

    def left(self) -> float:
        return self._end - asyncio.get_running_loop().time()


async def poll_until(check: Callable[[], Awaitable[T | None]], *, deadline: Deadline, what: str) -> T:
    """Call `check` until it returns a value; `TtsTimeoutError` naming `what` when time is up."""
    delay = FIRST_POLL
    while True:
        result = await check()
        if result is not None:
            return result
        left = deadline.left()
        if left <= 0:
            raise TtsTimeoutError(f"{what} was not ready after {deadline.seconds:g} s")
        await asyncio.sleep(min(delay, left))
        delay = min(MAX_POLL, delay * 1.5)


def refusal(vendor: str, status: int, detail: str) -> TtsError:
    """The error for a vendor's non-success answer: credentials, quota, or anything else."""
    detail = detail.strip()[:300]
    lowered = detail.lower()
    if status in (401, 403) or ("token" in lowered and ("invalid" in lowered or "expired" in lowered)):
        return TtsAuthError(f"{vendor} refused the credentials ({status}): {detail}")
    if status in (402, 429) or "quota" in lowered or "limit" in lowered or "balance" in lowered:
        return TtsQuotaError(f"{vendor} refused for quota or rate limit ({status}): {detail}")
    return TtsError(f"{vendor} answered {status}: {detail}")


async def telephone_pcm_from_wav(vendor: str, data: bytes, *, sox: str | None) -> bytes:
    """8 kHz mono s16le from the WAV a vendor's audio link served."""
    try:
        wav = parse_wav(data)
    except AudioFormatError as exc:
        raise TtsError(f"{vendor} did not serve a usable WAV: {exc}") from exc
    return await convert_to_telephone_pcm(wav.pcm, wav.rate, wav.channels, sox=sox)


async def get(
    client: httpx.AsyncClient, url: str, *, vendor: str, deadline: Deadline, **kw: object
) -> httpx.Response:
    """GET within what is left of the deadline; transport errors are `TtsError`s."""
    return await request(client, "GET", url, vendor=vendor, deadline=deadline, **kw)


async def request(
    client: httpx.AsyncClient, method: str, url: str, *, vendor: str, deadline: Deadline, **kw: object
) -> httpx.Response:
    left = deadline.left()
    if left <= 0:
        raise TtsTimeoutError(f"{vendor}: the synthesis was not ready after {deadline.seconds:g} s")
    try:
        return await client.request(method, url, timeout=left, **kw)  # type: ignore[arg-type]  # kwargs are httpx's own
    except httpx.TimeoutException as exc:
        raise TtsTimeoutError(
            f"{vendor}: {method} {url} timed out: the synthesis was not ready after {deadline.seconds:g} s"
        ) from exc
    except httpx.HTTPError as exc:
        raise TtsError(f"{vendor}: {method} {url} failed: {exc!r}") from exc
