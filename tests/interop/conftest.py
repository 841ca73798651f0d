"""SIPp as the far end of our calls, on 127.0.0.1, every run bounded in time.

Each scenario in `scenarios/` says what SIPp must RECEIVE from us (`<recv request="ACK">`,
`<recv request="BYE">`...): a missing or wrong message fails SIPp's call, and the test
asserts SIPp's exit code (0: every call succeeded) and its statistics file.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import math
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiortp import DtmfEvent, RtpPacket
from aiortp.codecs import get_codec
from aiortp.dtmf import DTMF_EVENTS
from aiosipua import SipRequest, SipResponse

from aicall.telephony.session import DialRequest, DialResult, TrunkConfig
from aicall.telephony.sip import SipBackend, SipTimers

from .peers import Baresip, Kamailio, MediaSocket, UdpPeer, open_udp, sdp_body

SCENARIOS = Path(__file__).parent / "scenarios"


def free_udp_port(pairs: int = 1) -> int:
    """An even UDP port with `2 * pairs` consecutive free ports from it (SIPp media uses +2)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1] & ~1
        if port + 2 * pairs >= 65535:
            continue
        socks = []
        try:
            for offset in range(2 * pairs):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return port
    raise RuntimeError("no free UDP port")


@dataclass
class SippResult:
    returncode: int
    stats: dict[str, str]
    workdir: Path
    stdout: str

    @property
    def successful_calls(self) -> int:
        return int(self.stats.get("SuccessfulCall(C)", "0"))

    @property
    def failed_calls(self) -> int:
        return int(self.stats.get("FailedCall(C)", "0"))

    def logs(self) -> str:
        """Everything SIPp wrote (messages, errors): shown when an assertion fails."""
        parts = [self.stdout[-3000:]]
        for path in sorted(self.workdir.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-6000:]}")
        return "\n".join(parts)


class SippExitedAtStart(RuntimeError):
    """SIPp ended before it listened (its output and error log in the message)."""


@dataclass
class Sipp:
    """One SIPp process playing a scenario; `port` is its SIP port, `media_port` its RTP port."""

    binary: str
    workdir: Path
    port: int = field(default_factory=free_udp_port)
    media_port: int = field(default_factory=lambda: free_udp_port(pairs=2))
    process: asyncio.subprocess.Process | None = None

    async def start(self, scenario: str | Path, *args: str, calls: int = 1, timeout: float = 30.0) -> None:
        """Run `scenario` (a file name in scenarios/, or a path) as SIPp's UAS, once it listens.

        A port free when chosen may be taken before SIPp binds it (other processes on a shared
        machine): SIPp then exits at once, and is started again on new ports, twice at most."""
        for tries_left in (2, 1, 0):
            try:
                await self._start(scenario, *args, calls=calls, timeout=timeout)
                return
            except SippExitedAtStart:
                if not tries_left:
                    raise
                self.port, self.media_port = free_udp_port(), free_udp_port(pairs=2)

    async def _start(self, scenario: str | Path, *args: str, calls: int, timeout: float) -> None:
        scenario_path = scenario if isinstance(scenario, Path) else SCENARIOS / scenario
        command = [
            self.binary,
            "-sf", str(scenario_path),
            "-i", "127.0.0.1",
            "-p", str(self.port),
            "-mi", "127.0.0.1",
            "-mp", str(self.media_port),
            "-m", str(calls),
            "-timeout", f"{int(timeout)}s",
            "-timeout_error",
            "-nostdin",
            "-trace_err", "-error_file", str(self.workdir / "errors.log"),
            "-trace_msg", "-message_file", str(self.workdir / "messages.log"),
            "-trace_stat", "-stf", str(self.workdir / "stats.csv"), "-fd", "1",
            *args,
        ]  # fmt: skip
        self.process = await asyncio.create_subprocess_exec(
            *command,
            cwd=self.workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        await self._wait_listening()

    async def _wait_listening(self) -> None:
        """SIPp is up once its SIP port is taken."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while loop.time() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    probe.bind(("127.0.0.1", self.port))
                except OSError:
                    return
            assert self.process is not None
            if self.process.returncode is not None:
                output = await self.process.stdout.read() if self.process.stdout else b""
                errors = self.workdir / "errors.log"
                why = errors.read_text(errors="replace")[-1000:] if errors.exists() else ""
                raise SippExitedAtStart(
                    f"SIPp exited at start: {output.decode(errors='replace')[-2000:]}{why}"
                )
            await asyncio.sleep(0.05)
        raise RuntimeError("SIPp did not bind its port")

    async def wait(self, timeout: float = 30.0) -> SippResult:
        assert self.process is not None
        try:
            stdout, _ = await asyncio.wait_for(self.process.communicate(), timeout)
        except TimeoutError:
            self.process.kill()
            stdout, _ = await self.process.communicate()
        assert self.process.returncode is not None
        return SippResult(
            returncode=self.process.returncode,
            stats=_last_stats(self.workdir / "stats.csv"),
            workdir=self.workdir,
            stdout=stdout.decode(errors="replace"),
        )

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    def trunk(self, **overrides: object) -> TrunkConfig:
        values: dict[str, object] = {"id": "sipp", "host": "127.0.0.1", "port": self.port}
        values.update(overrides)
        return TrunkConfig(**values)  # type: ignore[arg-type]


def _last_stats(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    rows = list(csv.reader(path.read_text(errors="replace").splitlines(), delimiter=";"))
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1], strict=False))


@pytest.fixture
async def sipp(require_tool: Callable[[str], str], tmp_path: Path) -> AsyncIterator[Sipp]:
    process = Sipp(require_tool("sipp"), tmp_path)
    yield process
    process.kill()
    if process.process is not None:
        await process.process.wait()


FAST_TIMERS = SipTimers(t1=0.5, timer_b=4.0, timer_f=4.0, timer_d=2.0, dead_media=2.0, cancel_wait=4.0)


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[SipBackend]:
    sip = SipBackend(
        "127.0.0.1", 0, rtp_port_range=None, recordings_dir=tmp_path / "recordings", timers=FAST_TIMERS
    )
    await sip.start()
    yield sip
    await sip.close()


def assert_sipp_ok(result: SippResult, *, calls: int = 1) -> None:
    assert result.returncode == 0, result.logs()
    assert result.successful_calls == calls, result.logs()
    assert result.failed_calls == 0, result.logs()


def _pcap(packets: list[tuple[float, bytes]]) -> bytes:
    """RTP payloads (seconds from start, RTP packet) as a pcap of UDP datagrams, as SIPp plays them."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for index, (at_seconds, rtp) in enumerate(packets):
        udp = struct.pack("!HHHH", 49176, 10000, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), index & 0xFFFF, 0, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp  # fmt: skip
        frame = bytes(12) + b"\x08\x00" + ip
        at = 1_000_000 + round(at_seconds * 1_000_000)
        out.append(struct.pack("<IIII", at // 1_000_000, at % 1_000_000, len(frame), len(frame)) + frame)
    return b"".join(out)


def write_media_pcap(
    path: Path,
    segments: list[tuple[int, float]],
    *,
    payload_type: int = 8,
    digit: str | None = None,
    frequency: float = 500.0,
) -> None:
    """A pcap of a far end talking (a tone) in G.711 with the packetisation of each segment
    ((ptime ms, seconds), in turn: a peer that changes it mid-call), then pressing `digit`."""
    codec = get_codec(payload_type)
    packets: list[tuple[float, bytes]] = []
    seq, timestamp, at = 1, 8000, 0.0
    for ptime_ms, seconds in segments:
        samples = 8 * ptime_ms
        for _ in range(int(seconds * 1000 / ptime_ms)):
            pcm = struct.pack(
                f"<{samples}h",
                *(
                    int(6000 * math.sin(2 * math.pi * frequency * (timestamp + n) / 8000))
                    for n in range(samples)
                ),
            )
            rtp = RtpPacket(
                payload_type=payload_type, marker=0, sequence_number=seq, timestamp=timestamp, ssrc=0x6161,
                payload=codec.encode(pcm),
            ).serialize()  # fmt: skip
            packets.append((at, rtp))
            seq, timestamp, at = seq + 1, timestamp + samples, at + ptime_ms / 1000
    if digit is not None:
        event = DTMF_EVENTS[digit]
        for n in range(1, 11):
            dtmf = DtmfEvent(event=event, end=n > 7, volume=10, duration=160 * min(n, 8))
            rtp = RtpPacket(
                payload_type=101, marker=1 if n == 1 else 0, sequence_number=seq, timestamp=timestamp,
                ssrc=0x6161, payload=dtmf.serialize(),
            ).serialize()  # fmt: skip
            packets.append((at + 0.02 * min(n, 8), rtp))
            seq += 1
    path.write_bytes(_pcap(packets))


def write_dtmf_pcap(path: Path, digit: str, payload_type: int) -> None:
    """A pcap of one RFC 4733 key press (as SIPp's own dtmf_2833_*.pcap, any payload type).

    SIPp's play_pcap_audio re-addresses the packets to the media address of our SDP.
    """
    event = DTMF_EVENTS[digit]
    packets = []
    for n in range(1, 8):
        packets.append((n, DtmfEvent(event=event, end=False, volume=10, duration=160 * n)))
    for _ in range(3):
        packets.append((8, DtmfEvent(event=event, end=True, volume=10, duration=160 * 8)))
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for index, (step, dtmf) in enumerate(packets):
        rtp = RtpPacket(
            payload_type=payload_type,
            marker=1 if index == 0 else 0,
            sequence_number=1000 + min(index, 7),
            timestamp=8000,
            ssrc=0x5151,
            payload=dtmf.serialize(),
        ).serialize()
        udp = struct.pack("!HHHH", 49176, 10000, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), index, 0, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp  # fmt: skip
        frame = bytes(12) + b"\x08\x00" + ip
        at = 1_000_000 + step * 20_000
        out.append(struct.pack("<IIII", at // 1_000_000, at % 1_000_000, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))


# -- far ends other than SIPp (peers.py) -------------------------------------------------------


@pytest.fixture
async def baresip(require_tool: Callable[[str], str], tmp_path: Path) -> AsyncIterator[Baresip]:
    workdir = tmp_path / "baresip"
    workdir.mkdir()
    process = Baresip(require_tool("baresip"), workdir)
    yield process
    await process.stop()


@pytest.fixture
async def kamailio(require_tool: Callable[[str], str], tmp_path: Path) -> AsyncIterator[Kamailio]:
    workdir = tmp_path / "kamailio"
    workdir.mkdir()
    process = Kamailio(require_tool("kamailio"), workdir)
    await process.start()
    yield process
    await process.stop()


@pytest.fixture
async def live_backend() -> AsyncIterator[SipBackend]:
    """A backend whose dead-media watch stays out of the way of far ends that send no RTP."""
    sip = SipBackend(rtp_port_range=None, timers=dataclasses.replace(FAST_TIMERS, dead_media=30.0))
    await sip.start()
    yield sip
    await sip.close()


@pytest.fixture
async def peer() -> AsyncIterator[UdpPeer]:
    protocol = await open_udp(UdpPeer)
    assert isinstance(protocol, UdpPeer)
    yield protocol
    assert protocol.transport is not None
    protocol.transport.close()


@pytest.fixture
async def media_socket() -> AsyncIterator[Callable[[], Awaitable[MediaSocket]]]:
    """Opens far-end RTP ports; all closed after the test."""
    opened: list[MediaSocket] = []

    async def open_one() -> MediaSocket:
        protocol = await open_udp(MediaSocket)
        assert isinstance(protocol, MediaSocket)
        opened.append(protocol)
        return protocol

    yield open_one
    for protocol in opened:
        assert protocol.transport is not None
        protocol.transport.close()


def dial_request(trunk: TrunkConfig, call_id: str = "attempt-x", **overrides: object) -> DialRequest:
    values: dict[str, object] = {
        "call_id": call_id,
        "to_number": "+84987654321",
        "from_number": "+84281234567",
        "ring_timeout": 10.0,
        "max_duration": 30.0,
        "trunk": trunk,
    }
    values.update(overrides)
    return DialRequest(**values)  # type: ignore[arg-type]


async def answered_by(
    backend: SipBackend,
    peer: UdpPeer,
    media_port: int,
    *,
    headers: dict[str, str] | None = None,
    **overrides: object,
) -> tuple[SipRequest, DialResult]:
    """A call to `peer`, answered 200 with PCMU on `media_port` (and `headers`), ACKed."""
    peer.auto_answer.add("BYE")
    trunk = TrunkConfig(id="udp", host="127.0.0.1", port=peer.port)
    dialling = asyncio.create_task(backend.originate(dial_request(trunk, **overrides)))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    peer.reply(invite.message, 200, "OK", sdp=sdp_body(media_port), headers=headers)
    result = await dialling
    await peer.wait_for("ACK")
    assert result.session is not None, result
    return invite.message, result


async def offer_in_dialog(
    peer: UdpPeer, invite: SipRequest, method: str, sdp: str = "", *, headers: dict[str, str] | None = None
) -> SipResponse:
    """A re-INVITE or UPDATE from the far end; our final response (a re-INVITE's is ACKed)."""
    before = len(peer.responses(method))
    request = peer.send_in_dialog(invite, method, sdp=sdp, headers=headers)
    responses = await peer.wait_response(method, count=before + 1)
    assert request.cseq is not None
    if method == "INVITE":
        peer.send_in_dialog(invite, "ACK", cseq=request.cseq.seq)
    return responses[-1]
