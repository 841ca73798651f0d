"""A request uvicorn cannot parse is answered in the API's envelope (JSON, the same bytes as every
other error), not uvicorn's plain-text "Invalid HTTP request received."."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from aicall.web.envelope import error_bytes
from aicall.web.server import MALFORMED_HTTP, EnvelopeH11Protocol
from tests.integration.support import free_port


@pytest.fixture
def port() -> Iterator[int]:
    chosen = free_port()
    config = uvicorn.Config(
        FastAPI(), host="127.0.0.1", port=chosen, log_level="critical", http=EnvelopeH11Protocol
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield chosen
    server.should_exit = True
    thread.join(timeout=10)


def exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        for _ in range(100):  # bounded: the server closes the connection after its answer
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ],
)
def test_an_unparseable_request_gets_the_json_envelope(port, raw):
    head, _, body = exchange(port, raw).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 400 Bad Request"
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"connection"] == b"close"
    assert body == error_bytes(400, MALFORMED_HTTP)
    assert body == b'{"status":0,"code":400,"message":"' + MALFORMED_HTTP.encode() + b'"}'
