"""Local stand-ins for Vbee's and FPT.AI's TTS APIs, as their public documents describe them
(see `aicall.speech.vbee` and `aicall.speech.fpt`), on 127.0.0.1 in a thread.

`mode` picks the behaviour: "ok", "bad-credentials", "quota", "never" (the audio never becomes
ready), "failure" (Vbee's FAILURE status), "slow" (the first answer takes `delay` seconds).
`ready_after` is how long after the request the audio appears (polls before see IN_PROGRESS/404).
"""

from __future__ import annotations

import io
import json
import math
import threading
import time
import uuid
import wave
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP_ID = "app-123"
TOKEN = "token-abc"
FPT_KEY = "fpt-key-xyz"


def tone_wav(rate: int = 22050, seconds: float = 0.4) -> bytes:
    samples = array(
        "h", (round(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(round(rate * seconds)))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


@dataclass
class VendorServer:
    url: str = ""
    mode: str = "ok"
    ready_after: float = 0.0
    delay: float = 0.0
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    born: dict[str, float] = field(default_factory=dict)  # request id -> time it was made

    @property
    def vbee_url(self) -> str:
        return f"{self.url}/api/v1/tts"

    @property
    def fpt_url(self) -> str:
        return f"{self.url}/hmi/tts/v5"

    def paths(self, method: str = "") -> list[str]:
        return [path for m, path, _, _ in self.requests if not method or m == method]


@contextmanager
def vendor_server() -> Iterator[VendorServer]:
    state = VendorServer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: object) -> None:
            self._answer(status, json.dumps(payload).encode())

        def _record(self, body: bytes = b"") -> None:
            with lock:
                state.requests.append((self.command, self.path, dict(self.headers), body))

        def _ready(self, request_id: str) -> bool:
            return (
                state.mode != "never"
                and time.monotonic() - state.born.get(request_id, 0) >= state.ready_after
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._record(body)
            if state.mode == "slow":
                time.sleep(state.delay)
            request_id = str(uuid.uuid4())
            state.born[request_id] = time.monotonic()
            if self.path == "/api/v1/tts":  # Vbee: create speech
                payload = json.loads(body)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}" or payload.get("app_id") != APP_ID:
                    return self._json(
                        401, {"status": 0, "error_code": 401, "error_message": "Unauthorized: invalid token"}
                    )
                if state.mode == "quota":
                    return self._json(
                        200, {"status": 0, "error_code": 1007, "error_message": "Characters quota exceeded"}
                    )
                if not payload.get("callback_url") or not payload.get("input_text"):
                    return self._json(
                        400, {"status": 0, "error_code": 400, "error_message": "callback_url required"}
                    )
                return self._json(
                    200, {"status": 1, "result": {"request_id": request_id, "status": "IN_PROGRESS"}}
                )
            if self.path == "/hmi/tts/v5":  # FPT.AI
                if FPT_KEY not in (self.headers.get("api_key"), self.headers.get("api-key")):
                    return self._json(401, {"error": 1, "message": "Invalid API key"})
                if state.mode == "quota":
                    return self._json(200, {"error": 2, "message": "Out of quota: characters limit reached"})
                if len(body.decode().strip()) < 3:
                    return self._json(200, {"error": 3, "message": "Body must have at least 3 characters"})
                link = f"{state.url}/audio/{request_id}.wav"
                return self._json(
                    200, {"async": link, "error": 0, "message": "later", "request_id": request_id}
                )
            self._json(404, {"message": "no such route"})

        def do_GET(self) -> None:
            self._record()
            if self.path.startswith("/api/v1/tts/"):  # Vbee: get request
                request_id = self.path.rsplit("/", 1)[1]
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._json(401, {"status": 0, "error_code": 401, "error_message": "Unauthorized"})
                if state.mode == "failure":
                    return self._json(
                        200, {"status": 1, "result": {"request_id": request_id, "status": "FAILURE"}}
                    )
                if not self._ready(request_id):
                    return self._json(
                        200, {"status": 1, "result": {"request_id": request_id, "status": "IN_PROGRESS"}}
                    )
                link = f"{state.url}/audio/{request_id}.wav"
                result = {
                    "request_id": request_id,
                    "status": "SUCCESS",
                    "audio_link": link,
                    "audio_type": "wav",
                }
                return self._json(200, {"status": 1, "result": result})
            if self.path.startswith("/audio/"):  # the storage behind the links
                request_id = self.path.rsplit("/", 1)[1].removesuffix(".wav")
                if not self._ready(request_id):
                    return self._answer(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
                return self._answer(200, tone_wav(), "audio/wav")
            self._json(404, {"message": "no such route"})

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
