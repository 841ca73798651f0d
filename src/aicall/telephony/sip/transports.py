"""SIP over UDP and over TCP (RFC 3261 §18), one of each per backend, on the same port.

UDP is aiosipua's transport bound with our protocol object. TCP is ours: aiosipua's
`TcpSipTransport` sends only on a connection that already exists and gives no hook for a
failed connect, while a dialler opens the connection itself when the first INVITE leaves.

TCP rules kept here:

* connection reuse: one connection per far-end address carries every request we send there,
  opened by the first and kept; a connection the far end opened to us is used to send to it
  too (RFC 3261 §18.1.1, §18.2.2);
* framing by Content-Length (§18.3): a message is its header block up to the empty line,
  then exactly Content-Length bytes of body (`l` is its compact form);
* CRLF keep-alives (RFC 5626 §3.5.1): a double CRLF between messages is a ping, answered
  with one CRLF; a single CRLF is skipped;
* a connection that cannot be made fails the requests waiting for it at once (the dial ends
  `failed`), rather than at Timer B (§8.1.3.1 treats it as a 503).

The TCP listener takes the UDP socket's port: a server listening on a port for UDP listens
on it for TCP as well (§18.2.1), so our Contact works with either transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiosipua import SipMessage, SipRequest, SipResponse, UdpSipTransport

logger = logging.getLogger(__name__)

MessageHandler = Callable[[SipRequest | SipResponse, tuple[str, int]], None]

CONNECT_TIMEOUT = 5.0
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
_KEEPALIVE_PING = b"\r\n\r\n"
_KEEPALIVE_PONG = b"\r\n"


class _DatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._owner.dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.debug("SIP socket error: %s", exc)  # ICMP unreachable: the transaction times out


class UdpTransport(UdpSipTransport):
    """aiosipua's UDP transport (parsing, sending), bound with our protocol object.

    Ours learns the port the OS gave (for port 0), and avoids aiosipua's `connection_made`,
    whose `isinstance(transport, DatagramTransport)` assertion fails on CPython 3.11's
    selector loop (that class does not inherit it there) and logs an error at every start.
    """

    name = "UDP"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _DatagramProtocol(self), local_addr=self.local_addr
        )
        self._udp_transport = transport
        host, port = transport.get_extra_info("sockname")[:2]
        self.local_addr = (host, port)

    def dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        self._dispatch(data, addr)


class TcpTransport:
    """SIP over TCP: a listener, and one reused connection per far-end address."""

    name = "TCP"
    reliable = True

    def __init__(
        self,
        local_addr: tuple[str, int],
        *,
        on_message: MessageHandler,
        on_connect_failed: Callable[[tuple[str, int]], None],
    ) -> None:
        self.local_addr = local_addr
        self._on_message = on_message
        self._on_connect_failed = on_connect_failed
        self._server: asyncio.Server | None = None
        self._connections: dict[tuple[str, int], asyncio.StreamWriter] = {}
        self._waiting: dict[tuple[str, int], list[bytes]] = {}  # messages queued while connecting
        self._tasks: set[asyncio.Task[Any]] = set()
        self.connects = 0  # connections we opened (reuse keeps this at one per far end)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accepted, host=self.local_addr[0], port=self.local_addr[1], limit=MAX_HEADER_BYTES
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections.values()):
            writer.close()
        self._connections.clear()
        self._waiting.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def send(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        data = bytes(message)
        writer = self._connections.get(addr)
        if writer is not None and not writer.is_closing():
            writer.write(data)
            return
        waiting = self._waiting.get(addr)
        if waiting is not None:
            waiting.append(data)  # the connection is being made: it carries this one too
            return
        self._waiting[addr] = [data]
        self._spawn(self._connect(addr))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, addr: tuple[str, int]) -> None:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                reader, writer = await asyncio.open_connection(addr[0], addr[1], limit=MAX_HEADER_BYTES)
        except (OSError, TimeoutError) as exc:
            logger.warning("SIP over TCP: cannot connect to %s:%d: %s", addr[0], addr[1], exc)
            self._waiting.pop(addr, None)
            self._on_connect_failed(addr)
            return
        self.connects += 1
        self._connections[addr] = writer
        for data in self._waiting.pop(addr, []):
            writer.write(data)
        await self._read(reader, writer, addr)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        addr = (str(peer[0]), int(peer[1]))
        self._connections[addr] = writer
        task = asyncio.current_task()
        if task is not None:  # cancelled by stop() like the readers of connections we opened
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await self._read(reader, writer, addr)

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, addr: tuple[str, int]
    ) -> None:
        try:
            while True:
                data = await read_message(reader, writer)
                if data is None:
                    break
                self._dispatch(data, addr)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError) as exc:
            logger.debug("SIP over TCP: connection from %s:%d ends: %s", addr[0], addr[1], exc)
        finally:
            if self._connections.get(addr) is writer:
                del self._connections[addr]
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = SipMessage.parse(data)
        except Exception:  # a peer's garbage must not end the connection's reader
            logger.warning("unreadable SIP message over TCP from %s:%d", addr[0], addr[1])
            return
        try:
            self._on_message(message, addr)
        except Exception:
            logger.exception("SIP over TCP: handling a message from %s:%d failed", addr[0], addr[1])


async def read_message(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None = None
) -> bytes | None:
    """One SIP message from a stream, framed by Content-Length (RFC 3261 §18.3); None at EOF.

    A double CRLF where a message would start is a keep-alive ping, answered with a CRLF
    on `writer` (RFC 5626 §3.5.1).
    """
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise
            return None  # closed between messages
        message_head = head.lstrip(b"\r\n")
        if message_head:
            break
        if head == _KEEPALIVE_PING and writer is not None:
            writer.write(_KEEPALIVE_PONG)
    length = 0
    for line in message_head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            length = int(value.strip() or b"0")
            break
    if length < 0 or length > MAX_BODY_BYTES:
        raise ValueError(f"Content-Length {length} out of bounds")
    body = await reader.readexactly(length) if length else b""
    return message_head + body
