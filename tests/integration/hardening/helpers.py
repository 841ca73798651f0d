"""Raw HTTP for the hardening tests: requests that `requests` will not send (a Content-Length
with no body, a chunked body left unfinished) and a look at what the server answers first."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi.routing import iter_route_contexts

from tests.integration.support import LiveServer

API = "/api/v1/public-api"


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _connect(server: LiveServer, timeout: float) -> socket.socket:
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    return sock


def _read_answer(sock: socket.socket) -> RawAnswer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawAnswer(status, headers, rest[:length])


def send_head_only(
    server: LiveServer, method: str, path: str, headers: dict[str, str], *, timeout: float = 5.0
) -> RawAnswer:
    """Send the request line and headers, and nothing of the body they announce; read the answer.

    A server that waits for the body before answering times out here."""
    with _connect(server, timeout) as sock:
        lines = [f"{method} {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        return _read_answer(sock)


def send_chunks_without_end(
    server: LiveServer, method: str, path: str, headers: dict[str, str], total: int, *, timeout: float = 10.0
) -> RawAnswer:
    """Send `total` bytes of a chunked body and never the last chunk; read the answer."""
    with _connect(server, timeout) as sock:
        lines = [
            f"{method} {path} HTTP/1.1",
            "Host: test",
            "Transfer-Encoding: chunked",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        block = b"[" + b" " * (64 * 1024 - 1)
        sent = 0
        try:
            while sent < total:
                sock.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: read what it said
        return _read_answer(sock)


def body_routes(server: LiveServer) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, path parameters filled in."""
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(server.app.routes):
        if not route.methods or not route.path_format:
            continue
        for method in sorted(route.methods - {"GET", "HEAD", "OPTIONS"}):
            path = route.path_format.replace("{", "").replace("}", "")
            found.append((method, path))
    return found
