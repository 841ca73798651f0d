"""`aicall serve`'s HTTP server: uvicorn, with the engine told of every signal as it comes.

uvicorn handles SIGINT/SIGTERM itself: it stops accepting, waits for open connections (at most
`timeout_graceful_shutdown` seconds), then ends the ASGI lifespan, where the engine stops. Two
changes make its stop the engine's graceful one (docs/deploy.md):

* each signal is passed to the engine's `Shutdown` at once, so the dialer stops claiming at the
  first signal instead of dialling on while connections drain, and a second signal cuts the
  calls' grace short;
* a second Ctrl-C makes uvicorn skip the lifespan's end (`force_exit`); ours still runs it, so
  calls cut short are hung up and stored, not left to the crash rule.
"""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import Callable
from types import FrameType

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from aicall.dialer.shutdown import Shutdown
from aicall.web.envelope import error_bytes

__all__ = ["MALFORMED_HTTP", "EnvelopeH11Protocol", "ListenError", "listen", "serve"]

MALFORMED_HTTP = "Bad Request: the request is not valid HTTP/1.1 (RFC 9112)"


class EnvelopeH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering a request it cannot parse (a broken request line or
    header, a header block past h11's limit) with the API's JSON envelope instead of uvicorn's
    plain text "Invalid HTTP request received.": no ASGI app sees such a request, so this is
    the one place it can be said in the envelope. The connection is closed after it, as before.
    """

    def send_400_response(self, msg: str) -> None:
        body = error_bytes(400, MALFORMED_HTTP)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, shutdown: Shutdown, stopped: Callable[[], None]) -> None:
        super().__init__(config)
        self._shutdown = shutdown
        self._stopped = stopped

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._shutdown.signal_threadsafe()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        # uvicorn ran the lifespan's end unless force_exit was set before it got there.
        ended = getattr(self.lifespan, "shutdown_event", None)
        if self.force_exit and isinstance(ended, asyncio.Event) and not ended.is_set():
            await self.lifespan.shutdown()
        # Here, not after run(): uvicorn then raises the signal it caught again, which ends the
        # process before the caller's code after run() (or its `finally`) runs.
        self._stopped()


class ListenError(Exception):
    """The server cannot listen where it was told; the message says where and why."""


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (`host`, `port`), as uvicorn would bind it (SO_REUSEADDR, IPv6 for
    an address with a colon), for `serve`. Bound before anything else starts: uvicorn binds
    only after the ASGI lifespan has started, and the lifespan starts the engine, so a port
    already taken used to leave a process that dialled (and charged) for its grace period
    before it gave up. Raises ListenError (address in use, no such address, port out of range).
    """
    if not 0 < port < 65536:
        raise ListenError(f"cannot listen on port {port}: a port is 1-65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def check_free(host: str, port: int, *, setting: str) -> None:
    """Raise ListenError, naming `setting`, when UDP or TCP `port` on `host` cannot be bound now.

    For a port another part binds later, inside the ASGI lifespan (the SIP user agent, RFC 3261
    §18.2.1: UDP and TCP on one number): a failure there is uvicorn's "Application startup
    failed", not one line. The sockets are closed at once; a process that takes the port in the
    moment between is still refused by the engine itself."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(family, kind) as sock:
            if kind == socket.SOCK_STREAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                raise ListenError(
                    f"{setting}={port}: cannot listen on {host}:{port}: {exc.strerror or exc}"
                ) from None


def serve(
    app: FastAPI,
    *,
    host: str,
    port: int,
    shutdown: Shutdown,
    stopped: Callable[[], None] = lambda: None,
    sock: socket.socket | None = None,
) -> None:
    """Serve `app` until SIGINT/SIGTERM, then stop within `shutdown.grace` (plus the hang-up
    and the last webhooks, docs/deploy.md); `stopped` runs once the server has stopped.
    `sock`: bound already (`listen`); else bound here (ListenError)."""
    sock = sock if sock is not None else listen(host, port)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # uvicorn's lines go through our pipeline (format, masking) like all others
        http=EnvelopeH11Protocol,  # unparseable requests get the envelope too (h11: uvicorn's choice here)
        # Open HTTP connections may hold the stop no longer than the calls may.
        timeout_graceful_shutdown=math.ceil(shutdown.grace),
    )
    _Server(config, shutdown, stopped).run(sockets=[sock])
