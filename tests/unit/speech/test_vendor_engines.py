"""Vbee and FPT.AI engines against local servers that speak their documented protocols."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from aicall.speech.errors import TtsAuthError, TtsError, TtsQuotaError, TtsTimeoutError
from aicall.speech.fpt import FptEngine, fpt_speed
from aicall.speech.vbee import VbeeEngine
from tests.unit.speech.vendor_servers import APP_ID, FPT_KEY, TOKEN, VendorServer, vendor_server

VOICE = "hn_female_ngochuyen_full_48k-fhg"


@pytest.fixture
def server() -> Iterator[VendorServer]:
    with vendor_server() as state:
        yield state


def vbee(server: VendorServer, *, token: str = TOKEN, timeout: float = 5.0) -> VbeeEngine:
    return VbeeEngine(
        app_id=APP_ID,
        token=token,
        url=server.vbee_url,
        callback_url="https://aicall.example/cb",
        timeout=timeout,
    )


def fpt(server: VendorServer, *, key: str = FPT_KEY, timeout: float = 5.0) -> FptEngine:
    return FptEngine(api_key=key, url=server.fpt_url, timeout=timeout)


async def test_vbee_polls_its_request_until_the_audio_is_ready_then_plays_it_at_8khz(
    server: VendorServer,
) -> None:
    server.ready_after = 0.3
    async with vbee(server) as engine:
        pcm = await engine.synthesize("Xin chào quý khách", voice=VOICE, speed=1.2)

    assert len(pcm) == round(0.4 * 8000) * 2  # 0.4 s of 22.05 kHz audio, now 8 kHz mono s16le
    method, path, headers, body = server.requests[0]
    assert (method, path) == ("POST", "/api/v1/tts")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    import json

    payload = json.loads(body)
    assert payload["app_id"] == APP_ID
    assert payload["voice_code"] == VOICE
    assert payload["input_text"] == "Xin chào quý khách"
    assert payload["response_type"] == "indirect"
    assert payload["callback_url"] == "https://aicall.example/cb"
    assert (payload["audio_type"], payload["speed_rate"]) == ("wav", "1.2")
    assert len([p for p in server.paths("GET") if p.startswith("/api/v1/tts/")]) >= 2  # IN_PROGRESS first


async def test_vbee_refuses_bad_credentials_clearly(server: VendorServer) -> None:
    async with vbee(server, token="wrong") as engine:
        with pytest.raises(TtsAuthError, match="Vbee refused the credentials"):
            await engine.synthesize("Xin chào", voice=VOICE)


async def test_vbee_quota_exceeded_is_a_quota_error(server: VendorServer) -> None:
    server.mode = "quota"
    async with vbee(server) as engine:
        with pytest.raises(TtsQuotaError, match="quota"):
            await engine.synthesize("Xin chào", voice=VOICE)


async def test_vbee_failure_status_is_an_error_naming_the_request(server: VendorServer) -> None:
    server.mode = "failure"
    async with vbee(server) as engine:
        with pytest.raises(TtsError, match="could not synthesise request"):
            await engine.synthesize("Xin chào", voice=VOICE)


async def test_a_vbee_request_that_never_completes_ends_at_the_time_budget(server: VendorServer) -> None:
    server.mode = "never"
    started = time.monotonic()
    async with vbee(server, timeout=0.8) as engine:
        with pytest.raises(TtsTimeoutError, match=r"not ready after 0\.8 s"):
            await engine.synthesize("Xin chào", voice=VOICE)
    assert time.monotonic() - started < 2.0


async def test_a_vbee_server_that_does_not_answer_in_time_is_a_timeout(server: VendorServer) -> None:
    server.mode, server.delay = "slow", 1.0
    async with vbee(server, timeout=0.3) as engine:
        with pytest.raises(TtsTimeoutError):
            await engine.synthesize("Xin chào", voice=VOICE)


def test_vbee_needs_an_app_id_and_a_token() -> None:
    with pytest.raises(ValueError, match="app id and a token"):
        VbeeEngine(app_id="", token=TOKEN)


async def test_fpt_posts_the_text_with_its_headers_and_polls_the_async_link(server: VendorServer) -> None:
    server.ready_after = 0.3
    async with fpt(server) as engine:
        pcm = await engine.synthesize("Xin chào quý khách", voice="banmai", speed=1.0)

    assert len(pcm) == round(0.4 * 8000) * 2
    method, path, headers, body = server.requests[0]
    assert (method, path, body.decode()) == ("POST", "/hmi/tts/v5", "Xin chào quý khách")
    assert (headers["api_key"], headers["voice"], headers["speed"], headers["format"]) == (
        FPT_KEY,
        "banmai",
        "0",
        "wav",
    )
    assert len([p for p in server.paths("GET") if p.startswith("/audio/")]) >= 2  # 404 until written


async def test_fpt_pads_a_text_shorter_than_its_minimum(server: VendorServer) -> None:
    async with fpt(server) as engine:
        await engine.synthesize("Hà", voice="banmai")
    assert server.requests[0][3].decode() == "Hà..."


async def test_fpt_refuses_a_bad_key_clearly(server: VendorServer) -> None:
    async with fpt(server, key="nope") as engine:
        with pytest.raises(TtsAuthError, match=r"FPT\.AI refused the credentials"):
            await engine.synthesize("Xin chào", voice="banmai")


async def test_fpt_quota_exceeded_is_a_quota_error(server: VendorServer) -> None:
    server.mode = "quota"
    async with fpt(server) as engine:
        with pytest.raises(TtsQuotaError):
            await engine.synthesize("Xin chào", voice="banmai")


async def test_fpt_audio_that_never_appears_ends_at_the_time_budget(server: VendorServer) -> None:
    server.mode = "never"
    async with fpt(server, timeout=0.8) as engine:
        with pytest.raises(TtsTimeoutError, match=r"FPT\.AI.* not ready after 0\.8 s"):
            await engine.synthesize("Xin chào", voice="banmai")


def test_fpt_speed_steps_are_clamped_to_its_range() -> None:
    assert [fpt_speed(s) for s in (0.5, 0.9, 1.0, 1.2, 2.0)] == [-3, -1, 0, 2, 3]
