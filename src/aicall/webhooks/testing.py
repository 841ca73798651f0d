"""Fakes for tests, the benchmark and local trials: a real HTTP receiver on the loopback whose
behaviour is scripted (answer, hang, drop the connection), and a clock that can jump ahead."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Self

import h11

from aicall.clock import utc_now

__all__ = ["CLOSE", "HANG", "MovableClock", "Received", "Reply", "WebhookReceiver"]


class MovableClock:
    """Real time plus an offset that tests move forward (leases and back-off without sleeping)."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float  # time.time() when the body had arrived

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to think before answering


HANG: Literal["hang"] = "hang"  # hold the request unanswered until release() or stop()
CLOSE: Literal["close"] = "close"  # close the connection without answering
Action = Reply | Literal["hang", "close"]
Behaviour = Action | Callable[[Received], Action]


@dataclass
class WebhookReceiver:
    """An HTTP/1.1 server on 127.0.0.1 in a thread of its own, recording every request.

    `behaviour` (settable at any time) is a Reply, HANG, CLOSE, or a function of the request
    returning one. Use as a context manager, or start()/stop()."""

    behaviour: Behaviour = field(default_factory=Reply)
    port: int = 0
    path: str = "/hook"
    _received: list[Received] = field(default_factory=list, init=False)
    _condition: threading.Condition = field(default_factory=threading.Condition, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _release: asyncio.Event | None = field(default=None, init=False)
    _stopped: asyncio.Event | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def received(self) -> list[Received]:
        with self._condition:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until `count` requests have arrived; AssertionError after `timeout` seconds."""
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(f"receiver got {len(self._received)} requests, expected {count}")
            return list(self._received)

    async def wait_for_async(self, count: int, timeout: float = 10.0) -> list[Received]:
        return await asyncio.to_thread(self.wait_for, count, timeout)

    def release(self) -> None:
        """Let go of requests held by HANG (their connections are closed unanswered)."""
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        started = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(started))
            except BaseException as exc:  # handed to start()'s caller, which raises it
                failure.append(exc)
                started.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=main, name="webhook-receiver", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):  # already closed
                self._loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def _serve(self, started: threading.Event) -> None:
        self._release = asyncio.Event()
        self._stopped = asyncio.Event()
        handlers: set[asyncio.Task[None]] = set()

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                await self._handle(reader, writer)
            except (ConnectionError, h11.ProtocolError, asyncio.CancelledError):
                pass
            finally:
                handlers.discard(task)
                writer.close()

        server = await asyncio.start_server(on_connection, "127.0.0.1", self.port, reuse_address=True)
        self.port = server.sockets[0].getsockname()[1]
        started.set()
        await self._stopped.wait()
        server.close()
        self._release.set()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER)
        while True:
            request: h11.Request | None = None
            body = bytearray()
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(await reader.read(65536))  # b"" at EOF: ConnectionClosed next
                    continue
                if isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    return
            assert request is not None
            received = Received(
                method=request.method.decode(),
                path=request.target.decode(),
                headers={name.decode().lower(): value.decode() for name, value in request.headers},
                body=bytes(body),
                at=time.time(),
            )
            with self._condition:
                self._received.append(received)
                self._condition.notify_all()
            action = self.behaviour(received) if callable(self.behaviour) else self.behaviour
            if action == HANG:
                assert self._release is not None
                await self._release.wait()
                return
            if action == CLOSE or not isinstance(action, Reply):
                return
            if action.delay:
                await asyncio.sleep(action.delay)
            headers = [("content-length", str(len(action.body))), *action.headers]
            writer.write(connection.send(h11.Response(status_code=action.status, headers=headers)))
            writer.write(connection.send(h11.Data(data=action.body)))
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()
            if connection.our_state is h11.MUST_CLOSE:
                return
            connection.start_next_cycle()
