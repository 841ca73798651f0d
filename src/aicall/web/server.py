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
from types import FrameType

import uvicorn
from fastapi import FastAPI

from aicall.dialer.shutdown import Shutdown

__all__ = ["serve"]


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, shutdown: Shutdown) -> None:
        super().__init__(config)
        self._shutdown = shutdown

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._shutdown.signal_threadsafe()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        # uvicorn ran the lifespan's end unless force_exit was set before it got there.
        ended = getattr(self.lifespan, "shutdown_event", None)
        if self.force_exit and isinstance(ended, asyncio.Event) and not ended.is_set():
            await self.lifespan.shutdown()


def serve(app: FastAPI, *, host: str, port: int, shutdown: Shutdown) -> None:
    """Serve `app` until SIGINT/SIGTERM, then stop within `shutdown.grace` (plus the hang-up
    and the last webhooks, docs/deploy.md)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # uvicorn's lines go through our pipeline (format, masking) like all others
        # Open HTTP connections may hold the stop no longer than the calls may.
        timeout_graceful_shutdown=math.ceil(shutdown.grace),
    )
    _Server(config, shutdown).run()
