"""The HTTP engine against a real speech server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import io
import json
import math
import struct
import threading
import wave
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aicall.speech.errors import TtsError
from aicall.speech.tts import OpenAISpeechEngine, TtsEngine


def stereo_wav(rate: int, seconds: float, *, streamed: bool = False) -> bytes:
    """A 440 Hz tone as 16-bit stereo WAV, like a neural TTS server answers."""
    frames = array("h")
    for n in range(round(rate * seconds)):
        sample = round(8000 * math.sin(2 * math.pi * 440 * n / rate))
        frames.extend((sample, sample))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames.tobytes())
    data = bytearray(buffer.getvalue())
    if streamed:  # sizes unknown when the header was sent
        data[4:8] = data[40:44] = struct.pack("<I", 0xFFFFFFFF)
    return bytes(data)


@dataclass
class SpeechServer:
    url: str
    status: int = 200
    body: bytes = b""
    requests: list[tuple[str, dict[str, str], dict[str, object]]] = field(default_factory=list)


@pytest.fixture
def speech_server() -> Iterator[SpeechServer]:
    state = SpeechServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            payload = json.loads(self.rfile.read(length))
            state.requests.append((self.path, dict(self.headers), payload))
            self.send_response(state.status)
            self.send_header("Content-Type", "audio/wav" if state.status == 200 else "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_speech_is_asked_for_as_wav_and_comes_back_as_8khz_mono(speech_server: SpeechServer) -> None:
    speech_server.body = stereo_wav(24000, 0.5)

    async with OpenAISpeechEngine(speech_server.url, api_key="sk-test", model="tts-1-hd") as engine:
        pcm = await engine.synthesize("Xin chào", voice="nova", speed=1.25)

    assert isinstance(engine, TtsEngine)
    assert len(pcm) == 4000 * 2  # 0.5 s at 8 kHz, one channel
    path, headers, payload = speech_server.requests[0]
    assert path == "/v1/audio/speech"
    assert payload == {
        "model": "tts-1-hd",
        "input": "Xin chào",
        "voice": "nova",
        "response_format": "wav",
        "speed": 1.25,
    }
    assert headers["Authorization"] == "Bearer sk-test"


@pytest.mark.parametrize("resampler", ["python", "sox"])
async def test_stereo_is_mixed_down_at_the_same_loudness_by_either_resampler(
    speech_server: SpeechServer, resampler: str, require_tool: Callable[[str], str]
) -> None:
    if resampler == "sox":
        require_tool("sox")
    speech_server.body = stereo_wav(24000, 0.5)

    async with OpenAISpeechEngine(speech_server.url, resampler=resampler) as engine:
        pcm = await engine.synthesize("Xin chào", voice="alloy")

    assert engine.resampler == resampler
    samples = array("h")
    samples.frombytes(pcm)
    assert max(samples[100:-100]) == pytest.approx(8000, rel=0.05)  # averaged, not summed or halved


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100])
async def test_any_sample_rate_is_brought_to_8khz(speech_server: SpeechServer, rate: int) -> None:
    speech_server.body = stereo_wav(rate, 0.25)

    async with OpenAISpeechEngine(speech_server.url) as engine:
        pcm = await engine.synthesize("một", voice="alloy")

    assert abs(len(pcm) - 2000 * 2) <= 2  # 22 050 Hz: 5 512.5 input frames round down


async def test_a_streamed_wav_with_unknown_length_is_accepted(speech_server: SpeechServer) -> None:
    speech_server.body = stereo_wav(24000, 0.25, streamed=True)

    async with OpenAISpeechEngine(speech_server.url) as engine:
        pcm = await engine.synthesize("hai", voice="alloy")

    assert len(pcm) == 2000 * 2


async def test_a_base_url_ending_in_v1_is_not_doubled(speech_server: SpeechServer) -> None:
    speech_server.body = stereo_wav(24000, 0.1)

    async with OpenAISpeechEngine(speech_server.url + "/v1/") as engine:
        await engine.synthesize("ba", voice="alloy")

    assert speech_server.requests[0][0] == "/v1/audio/speech"
    assert "Authorization" not in speech_server.requests[0][1]  # no key, no header


async def test_a_server_error_is_a_tts_error_with_its_status(speech_server: SpeechServer) -> None:
    speech_server.status, speech_server.body = 500, b'{"error": "model not loaded"}'

    async with OpenAISpeechEngine(speech_server.url) as engine:
        with pytest.raises(TtsError, match=r"500.*model not loaded"):
            await engine.synthesize("bốn", voice="alloy")


async def test_an_answer_that_is_not_wav_is_a_tts_error(speech_server: SpeechServer) -> None:
    speech_server.body = b"ID3\x04 this is an mp3"

    async with OpenAISpeechEngine(speech_server.url) as engine:
        with pytest.raises(TtsError, match="usable WAV"):
            await engine.synthesize("năm", voice="alloy")


async def test_an_unreachable_server_is_a_tts_error(speech_server: SpeechServer) -> None:
    url = speech_server.url.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens

    async with OpenAISpeechEngine(url, timeout=2) as engine:
        with pytest.raises(TtsError, match="failed"):
            await engine.synthesize("sáu", voice="alloy")
