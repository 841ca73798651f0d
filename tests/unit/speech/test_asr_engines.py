"""Recognisers against local servers speaking their protocols (http.server on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aicall.media import Utterance
from aicall.speech.asr import EchoAsrEngine, ScriptedAsrEngine, Transcript, recognise
from aicall.speech.asr_http import FptAsrEngine, OpenAITranscriptionEngine, build_asr_engine
from aicall.speech.wav import parse_wav

SPEECH = Utterance(pcm=b"\x10\x00" * 8000, duration=1.0)


@dataclass
class AsrServer:
    url: str = ""
    status: int = 200
    body: object = field(default_factory=dict)
    delay: float = 0.0
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[AsrServer]:
    state = AsrServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((self.path, dict(self.headers), payload))
            time.sleep(state.delay)
            data = state.body if isinstance(state.body, bytes) else json.dumps(state.body).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _multipart_field(body: bytes, name: str) -> bytes:
    marker = f'name="{name}"'.encode()
    part = body.split(marker, 1)[1]
    return part.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]


async def test_openai_engine_posts_the_wav_with_language_vi_and_reads_the_text(server: AsrServer) -> None:
    server.body = {"text": " Vâng, đúng rồi. "}
    engine = OpenAITranscriptionEngine(server.url + "/v1", "sk-test", timeout=5)
    try:
        transcript = await engine.transcribe(SPEECH)
    finally:
        await engine.aclose()
    assert transcript == Transcript(text="Vâng, đúng rồi.")
    path, headers, body = server.requests[0]
    assert path == "/v1/audio/transcriptions"
    assert headers["Authorization"] == "Bearer sk-test"
    assert _multipart_field(body, "language") == b"vi"
    assert _multipart_field(body, "model") == b"whisper-1"
    wav = parse_wav(_multipart_field(body, "file"))
    assert wav.rate == 8000 and wav.pcm == SPEECH.pcm


async def test_fpt_engine_sends_the_audio_as_the_body_with_its_api_key_header(server: AsrServer) -> None:
    server.body = {"status": 0, "hypotheses": [{"utterance": "không phải tôi"}], "id": "abc"}
    engine = FptAsrEngine("fpt-key", url=server.url + "/hmi/asr/general", timeout=5)
    try:
        assert (await engine.transcribe(SPEECH)).text == "không phải tôi"
        server.body = {"status": 1, "hypotheses": [], "id": "abc"}  # no voice: heard nothing
        assert (await engine.transcribe(SPEECH)).text == ""
    finally:
        await engine.aclose()
    path, headers, body = server.requests[0]
    assert path == "/hmi/asr/general" and headers["api_key"] == "fpt-key"
    assert parse_wav(body).pcm == SPEECH.pcm


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"error": "invalid api key"}, "HTTP 401"),
        (429, {"error": "quota exceeded"}, "HTTP 429"),
        (200, {"status": 9, "message": "Not available.", "id": "x"}, "system busy"),
        (200, b"<html>gateway</html>", "not JSON"),
    ],
)
async def test_engine_errors_become_a_recognition_without_words(
    server: AsrServer, status: int, body: object, error: str
) -> None:
    server.status, server.body = status, body
    engine = FptAsrEngine("k", url=server.url, timeout=5)
    try:
        result = await recognise(engine, SPEECH, timeout=5)
    finally:
        await engine.aclose()
    assert result.transcript is None and result.error is not None and error in result.error
    assert result.engine == "fpt"


async def test_a_slow_engine_is_given_up_after_the_timeout(server: AsrServer) -> None:
    server.delay, server.body = 2.0, {"text": "có"}
    engine = OpenAITranscriptionEngine(server.url, timeout=5)
    try:
        result = await recognise(engine, SPEECH, timeout=0.2)
    finally:
        await engine.aclose()
    assert result.transcript is None and result.error is not None and "0.2 s" in result.error
    assert result.seconds < 1.5


async def test_an_unreachable_server_is_an_error_not_a_crash() -> None:
    engine = OpenAITranscriptionEngine("http://127.0.0.1:9", timeout=1)
    try:
        result = await recognise(engine, SPEECH, timeout=2)
    finally:
        await engine.aclose()
    assert result.transcript is None and result.error


async def test_fakes_echo_the_simulated_words_and_play_a_script() -> None:
    said = Utterance(pcm=b"", duration=0.5, said="vâng")
    assert (await EchoAsrEngine().transcribe(said)).text == "vâng"
    scripted = ScriptedAsrEngine.of(["có", RuntimeError("down")])
    assert (await recognise(scripted, SPEECH)).transcript == Transcript("có")
    assert (await recognise(scripted, SPEECH)).error == "scripted: RuntimeError: down"


def test_the_settings_name_the_engine() -> None:
    assert build_asr_engine("none") is None
    assert isinstance(build_asr_engine("echo"), EchoAsrEngine)
    assert isinstance(build_asr_engine("openai", base_url="http://x"), OpenAITranscriptionEngine)
    assert isinstance(build_asr_engine("FPT", api_key="k"), FptAsrEngine)
    with pytest.raises(ValueError, match="AICALL_ASR_BASE_URL"):
        build_asr_engine("openai")
    with pytest.raises(ValueError, match="unknown ASR engine"):
        build_asr_engine("whisperx")
