"""Far ends other than SIPp: baresip (a softphone), kamailio (registrar and proxy), and a
plain UDP socket that plays a hand-driven trunk.

* `Baresip` runs baresip 1.0 with a config directory of its own: it answers by itself
  (`;answermode=auto`), sends a WAV file as its voice (`aufile`), and is driven through
  its `ctrl_tcp` module (netstring JSON): `sndcode` presses a key (RFC 4733), `hold` and
  `resume` send re-INVITEs, `hangup` a BYE. `-s` traces every SIP message it sees into its
  log, which tests read to check what baresip received from us.
* `Kamailio` runs `kamailio/kamailio.cfg` in the foreground on free loopback ports, UDP and
  TCP, with digest authentication against one fixed password.
* `UdpPeer` records every datagram, answers when the test says so, and sends in-dialog
  requests (re-INVITE, UPDATE) built with aiosipua, as any peer would.

Every wait here is bounded; a process is ended by its own pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import struct
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path

from aiosipua import SipMessage, SipRequest, SipResponse

KAMAILIO_CFG = Path(__file__).parent / "kamailio" / "kamailio.cfg"
KAMAILIO_PASSWORD = "interop-secret"  # as INTEROP_PASSWORD in kamailio.cfg


def free_port(*, udp: bool = True, tcp: bool = True) -> int:
    """A loopback port free for UDP and TCP at once (SIP listens on both, RFC 3261 §18.2.1)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        socks: list[socket.socket] = []
        try:
            if udp:
                socks.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                socks[-1].bind(("127.0.0.1", port))
            if tcp:
                socks.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                socks[-1].bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return port
    raise RuntimeError("no free port")


async def _stop(process: asyncio.subprocess.Process | None) -> None:
    if process is None or process.returncode is not None:
        return
    process.terminate()
    try:
        async with asyncio.timeout(5.0):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()


async def _wait_tcp(port: int, process: asyncio.subprocess.Process, log: Path, timeout: float = 8.0) -> None:
    """Until something accepts TCP connections on 127.0.0.1:`port` (the process is up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"{log.stem} exited at start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise RuntimeError(f"{log.stem} did not listen on {port}:\n{log.read_text(errors='replace')[-3000:]}")


def write_tone_wav(
    path: Path, seconds: float = 20.0, frequency: float = 600.0, amplitude: int = 6000
) -> None:
    samples = int(8000 * seconds)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(
            struct.pack(
                f"<{samples}h",
                *(int(amplitude * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(samples)),
            )
        )


# -- baresip ---------------------------------------------------------------------------------


@dataclass
class Baresip:
    """baresip 1.0 as an auto-answering callee on 127.0.0.1, driven through ctrl_tcp.

    One ctrl_tcp connection stays open: commands go out on it, and baresip's events
    (`CALL_ESTABLISHED`, `CALL_CLOSED`, `REGISTER_OK`...) come back on it, which is what
    tests wait on. baresip's log (with its SIP trace) is block-buffered into a file: read it
    after `stop()`.
    """

    binary: str
    workdir: Path
    sip_port: int = field(default_factory=free_port)
    ctrl_port: int = field(default_factory=lambda: free_port(udp=False))
    process: asyncio.subprocess.Process | None = None
    events: list[dict[str, object]] = field(default_factory=list)
    _writer: asyncio.StreamWriter | None = None
    _reader_task: asyncio.Task[None] | None = None
    _responses: dict[str, asyncio.Future[dict[str, object]]] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def log_path(self) -> Path:
        return self.workdir / "baresip.log"

    user: str = "callee"

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.sip_port}"

    async def start(self, *, account: str | None = None, user: str | None = None) -> None:
        """Run baresip; `account` replaces the default (a local callee that never registers),
        `user` its user part (baresip answers only INVITEs to its own user: 404 otherwise)."""
        if user is not None:
            self.user = user
        rtp = free_port(tcp=False) & ~1
        config = "\n".join(
            [
                "module_path /usr/lib/baresip/modules",
                "poll_method epoll",
                f"sip_listen 127.0.0.1:{self.sip_port}",
                "call_local_timeout 30",
                "call_max_calls 8",
                "audio_player alsa,null",  # ALSA's null device: no sound card needed
                f"audio_source aufile,{self.workdir / 'voice.wav'}",
                "audio_alert alsa,null",
                "ausrc_srate 8000",
                "auplay_srate 8000",
                "ausrc_channels 1",
                "auplay_channels 1",
                f"rtp_ports {rtp}-{rtp + 40}",
                "rtp_timeout 0",
                "jitter_buffer_delay 1-10",
                f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
                "module g711.so",
                "module alsa.so",
                "module aufile.so",
                "module_tmp account.so",
                "module_app menu.so",
                "module_app ctrl_tcp.so",
                "",
            ]
        )
        (self.workdir / "config").write_text(config)
        (self.workdir / "accounts").write_text(
            (account or f"<{self.aor}>;answermode=auto;regint=0;audio_codecs=pcmu,pcma") + "\n"
        )
        (self.workdir / "contacts").write_text("")
        voice = self.workdir / "voice.wav"
        if not voice.exists():
            write_tone_wav(voice)
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                self.binary,
                "-s",  # trace SIP: tests read what baresip received
                "-f",
                str(self.workdir),
                cwd=self.workdir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        await _wait_tcp(self.ctrl_port, self.process, self.log_path)
        reader, self._writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
        self._reader_task = asyncio.get_running_loop().create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Netstrings from ctrl_tcp: responses to our commands, and events."""
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, ValueError):
            while True:
                size = int((await reader.readuntil(b":"))[:-1])
                message = json.loads(await reader.readexactly(size))
                await reader.readexactly(1)  # the netstring's comma
                if message.get("response"):
                    future = self._responses.pop(str(message.get("token")), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif message.get("event"):
                    self.events.append(message)
                    self._changed.set()

    async def command(self, name: str, params: str = "") -> dict[str, object]:
        """A ctrl_tcp command (netstring JSON); its response."""
        assert self._writer is not None
        token = uuid.uuid4().hex
        future: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()
        self._responses[token] = future
        body = json.dumps({"command": name, "params": params, "token": token}).encode()
        self._writer.write(str(len(body)).encode() + b":" + body + b",")
        async with asyncio.timeout(5.0):
            return await future

    def count(self, event_type: str) -> int:
        return sum(1 for event in self.events if event.get("type") == event_type)

    async def wait_event(self, event_type: str, *, count: int = 1, timeout: float = 8.0) -> None:
        """Until baresip has reported `event_type` `count` times."""
        try:
            async with asyncio.timeout(timeout):
                while self.count(event_type) < count:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            types = [event.get("type") for event in self.events]
            raise AssertionError(f"{event_type} x{count} not reported by baresip; events: {types}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def stop(self) -> str:
        """End baresip (its log is complete then); the log."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
            self._reader_task = None
        await _stop(self.process)
        return self.log()


# -- kamailio --------------------------------------------------------------------------------


def kamailio_modules() -> str:
    for candidate in [
        *sorted(Path("/usr/lib").glob("*/kamailio/modules")),
        Path("/usr/lib/kamailio/modules"),
    ]:
        if (candidate / "tm.so").exists():
            return str(candidate)
    raise RuntimeError("kamailio modules not found under /usr/lib")


@dataclass
class Kamailio:
    """kamailio as registrar and proxy on 127.0.0.1:`port`, UDP and TCP, digest auth.

    Another `cfg` with its `listen` sockets and `defines` (`-A NAME=value`) runs it in
    another role (the TLS edge: `kamailio/tls-edge.cfg`); `wait_port` is a TCP or TLS port
    it listens on, to know it is up.
    """

    binary: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    password: str = KAMAILIO_PASSWORD
    cfg: Path = KAMAILIO_CFG
    listen: list[str] | None = None
    defines: list[str] = field(default_factory=list)
    wait_port: int | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "kamailio.log"

    async def start(self) -> None:
        run = self.workdir / "kamailio-run"
        run.mkdir(exist_ok=True)
        log = self.log_path.open("wb")
        listen = self.listen or [f"udp:127.0.0.1:{self.port}", f"tcp:127.0.0.1:{self.port}"]
        options = [arg for address in listen for arg in ("-l", address)]
        options += [arg for define in self.defines for arg in ("-A", define)]
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            "-f", str(self.cfg),
            "-DD", "-E",  # foreground, log to stderr
            "-L", kamailio_modules(),
            "-Y", str(run),
            "-P", str(run / "kamailio.pid"),
            "-w", str(run),
            *options,
            "-m", "32", "-M", "4",
            cwd=self.workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()  # the child holds its own copy
        await _wait_tcp(self.wait_port or self.port, self.process, self.log_path)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_log(self, text: str, *, timeout: float = 8.0) -> str:
        """Until `text` is in kamailio's log (written unbuffered); the log."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            log = self.log()
            if text in log:
                return log
            await asyncio.sleep(0.05)
        raise AssertionError(f"{text!r} not in kamailio's log:\n{self.log()[-4000:]}")

    async def stop(self) -> None:
        await _stop(self.process)


# -- a hand-driven UDP peer ------------------------------------------------------------------


@dataclass
class Arrival:
    at: float
    raw: bytes
    message: SipRequest | SipResponse


class UdpPeer(asyncio.DatagramProtocol):
    """A trunk that only records what arrives and replies when told."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._new = asyncio.Event()
        self.transport: asyncio.DatagramTransport | None = None
        self.last_addr: tuple[str, int] | None = None
        self._cseq = 100
        self.auto_answer: set[str] = set()  # methods answered 200 at once (e.g. BYE)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.last_addr = addr
        loop = asyncio.get_running_loop()
        message = SipMessage.parse(data)
        self.arrivals.append(Arrival(loop.time(), data, message))
        if isinstance(message, SipRequest) and message.method in self.auto_answer:
            self.reply(message, 200, "OK")
        self._new.set()

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def requests(self, method: str) -> list[Arrival]:
        return [a for a in self.arrivals if isinstance(a.message, SipRequest) and a.message.method == method]

    def responses(self, method: str) -> list[SipResponse]:
        found = []
        for arrival in self.arrivals:
            message = arrival.message
            if (
                isinstance(message, SipResponse)
                and message.cseq is not None
                and message.cseq.method == method
            ):
                found.append(message)
        return found

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Arrival]:
        async with asyncio.timeout(timeout):
            while len(self.requests(method)) < count:
                self._new.clear()
                await self._new.wait()
        return self.requests(method)

    async def wait_response(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SipResponse]:
        async with asyncio.timeout(timeout):
            while len(self.responses(method)) < count:
                self._new.clear()
                await self._new.wait()
        return self.responses(method)

    def reply(
        self,
        request: SipRequest,
        status: int,
        reason: str,
        *,
        tag: str = "peer1",
        sdp: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        response = SipResponse(status_code=status, reason_phrase=reason)
        for via in request.headers.get("via"):
            response.headers.append("Via", via)
        for name in ("From", "Call-ID", "CSeq"):
            response.headers.set_single(name, request.headers.get_first(name) or "")
        to = request.headers.get_first("to") or ""
        response.headers.set_single("To", to if "tag=" in to or status == 100 else f"{to};tag={tag}")
        response.headers.set_single("Contact", f"<sip:peer@127.0.0.1:{self.port}>")
        for name, value in (headers or {}).items():
            response.headers.set_single(name, value)
        if sdp:
            response.headers.set_single("Content-Type", "application/sdp")
            response.text = sdp
        assert self.transport is not None and self.last_addr is not None
        self.transport.sendto(bytes(response), self.last_addr)

    def send_in_dialog(
        self,
        invite: SipRequest,
        method: str,
        *,
        tag: str = "peer1",
        sdp: str = "",
        headers: dict[str, str] | None = None,
        cseq: int | None = None,
    ) -> SipRequest:
        """A request from us (the callee) in the dialog `invite` opened, to its Contact.

        `cseq`: the number to use (an ACK takes its INVITE's); by default the next one.
        """
        if cseq is None:
            self._cseq += 1
            cseq = self._cseq
        contact = invite.contact[0].uri
        request = SipRequest(method=method, uri=f"sip:{contact.user}@{contact.host}:{contact.port}")
        request.headers.append(
            "Via", f"SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK-{uuid.uuid4().hex[:16]};rport"
        )
        request.headers.set_single("From", f"{invite.headers.get_first('to')};tag={tag}")
        request.headers.set_single("To", invite.headers.get_first("from") or "")
        request.headers.set_single("Call-ID", invite.call_id or "")
        request.headers.set_single("CSeq", f"{cseq} {method}")
        request.headers.set_single("Max-Forwards", "70")
        request.headers.set_single("Contact", f"<sip:peer@127.0.0.1:{self.port}>")
        for name, value in (headers or {}).items():
            request.headers.set_single(name, value)
        if sdp:
            request.headers.set_single("Content-Type", "application/sdp")
            request.text = sdp
        assert self.transport is not None
        self.transport.sendto(bytes(request), (contact.host, int(contact.port or 5060)))
        return request


class MediaSocket(asyncio.DatagramProtocol):
    """A far end's RTP port: counts what we send it, and sends from itself when told."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.arrivals.append((asyncio.get_running_loop().time(), data))

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def count_since(self, at: float) -> int:
        return sum(1 for when, _ in self.arrivals if when >= at)

    def talk(self, to: tuple[str, int]) -> asyncio.Task[None]:
        """Send 20 ms PCMU silence to `to` until the task is cancelled (a far end that is alive)."""

        async def loop() -> None:
            seq = 0
            while True:
                assert self.transport is not None
                header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, (160 * seq) & 0xFFFFFFFF, 0x4242)
                self.transport.sendto(header + b"\xff" * 160, to)
                seq += 1
                await asyncio.sleep(0.02)

        return asyncio.get_running_loop().create_task(loop())

    def send_rtp(self, to: tuple[str, int], packets: int = 5, payload_type: int = 0) -> None:
        assert self.transport is not None
        for n in range(packets):
            header = struct.pack("!BBHII", 0x80, payload_type, n + 1, 160 * n, 0x1234)
            self.transport.sendto(header + b"\xff" * 160, to)


async def open_udp(factory: type[UdpPeer] | type[MediaSocket]) -> UdpPeer | MediaSocket:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(factory, local_addr=("127.0.0.1", 0))
    return protocol


def sdp_body(
    port: int, *, address: str = "127.0.0.1", direction: str = "", version: int = 1, codecs: str = "0"
) -> str:
    lines = [
        "v=0",
        f"o=peer 1 {version} IN IP4 127.0.0.1",
        "s=-",
        f"c=IN IP4 {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {codecs} 101",
        "a=rtpmap:101 telephone-event/8000",
    ]
    if direction:
        lines.append(f"a={direction}")
    return "\r\n".join(lines) + "\r\n"
