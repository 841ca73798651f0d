"""RTP for many calls on one clock: every stream is served by a single 20 ms tick.

aiortp gives each session its own paced sender and media clock (an asyncio task per call)
and encodes each frame as it goes; measured here, those per-session timers saturate a core
near 200 calls. This module keeps aiortp's codecs and wire objects but drives all streams
from ONE `MediaClock`: each tick reads whatever RTP arrived on every stream's socket
(non-blocking, no per-packet callbacks) and sends one pre-encoded G.711 frame per stream.
A prompt is encoded once per (audio, codec) and shared by every call that plays it.

We send 20 ms packets (RFC 3551 §4.5's default, which every receiver takes) and receive
any packetisation: the far end may send 10, 30 or 60 ms packets, or change mid-call; the
recorder takes the received audio through a small playout buffer, 20 ms per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiortp import DtmfEvent, RtpPacket
from aiortp.codecs import Codec, get_codec

from aicall.observability import metrics
from aicall.telephony.sip.dtmf import DigitDetector
from aicall.telephony.sip.recording import Recorder

logger = logging.getLogger(__name__)

PTIME = 0.020
SAMPLES_PER_FRAME = 160  # 20 ms at 8 kHz
PCM_FRAME_BYTES = SAMPLES_PER_FRAME * 2
_SILENCE = {0: b"\xff" * SAMPLES_PER_FRAME, 8: b"\xd5" * SAMPLES_PER_FRAME}  # G.711 zero level
_PCM_SILENCE = bytes(PCM_FRAME_BYTES)
_HEADER = struct.Struct("!BBHII")
_MAX_RX_PER_TICK = 16  # a burst beyond this waits for the next tick (the kernel buffers it)
_PRIME_FRAMES = 3  # received audio held before the recorder starts taking it (jitter, long packets)
_MAX_BUFFERED_FRAMES = 15  # beyond this (a burst) the oldest audio is dropped: the lag stays bounded


@dataclass(frozen=True, slots=True)
class EncodedPrompt:
    """A prompt cut into 20 ms frames: G.711 payloads to send, PCM to record."""

    frames: tuple[bytes, ...]
    pcm: bytes


class PromptCache:
    """Encodes each prompt once per codec; bounded by total encoded size (LRU)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[tuple[int, bytes], EncodedPrompt] = OrderedDict()
        self._codecs: dict[int, Codec] = {}

    def get(self, pcm: bytes, payload_type: int) -> EncodedPrompt:
        key = (payload_type, pcm)  # bytes hash once and keep it: a hit costs a dict lookup
        prompt = self._entries.get(key)
        if prompt is not None:
            self._entries.move_to_end(key)
            return prompt
        prompt = self._encode(pcm, payload_type)
        self._entries[key] = prompt
        self._bytes += len(pcm) + len(pcm) // 2
        while self._bytes > self._max_bytes and len(self._entries) > 1:
            (_, old_pcm), _ = self._entries.popitem(last=False)
            self._bytes -= len(old_pcm) + len(old_pcm) // 2
        return prompt

    def _encode(self, pcm: bytes, payload_type: int) -> EncodedPrompt:
        codec = self._codecs.get(payload_type)
        if codec is None:
            codec = self._codecs[payload_type] = get_codec(payload_type)
        pcm = pcm[: len(pcm) // 2 * 2]
        tail = len(pcm) % PCM_FRAME_BYTES
        if tail:
            pcm += bytes(PCM_FRAME_BYTES - tail)  # pad the last frame with silence
        encoded = codec.encode(pcm)
        frames = tuple(encoded[i : i + SAMPLES_PER_FRAME] for i in range(0, len(encoded), SAMPLES_PER_FRAME))
        return EncodedPrompt(frames=frames, pcm=pcm)


class SendIntervals:
    """Histogram of the gaps between consecutive packets of each stream (0.1 ms buckets)."""

    def __init__(self) -> None:
        self.buckets = [0] * 2001  # 0..200 ms; the last bucket holds anything longer
        self.count = 0

    def add(self, seconds: float) -> None:
        index = int(seconds * 10000)
        self.buckets[min(2000, index)] += 1
        self.count += 1

    def percentile(self, fraction: float) -> float:
        """The gap (seconds) below which `fraction` of the gaps fall."""
        if not self.count:
            return 0.0
        target = fraction * self.count
        seen = 0
        for index, n in enumerate(self.buckets):
            seen += n
            if seen >= target:
                return (index + 1) / 10000
        return 0.2

    def reset(self) -> None:
        self.buckets = [0] * 2001
        self.count = 0


class MediaClock:
    """The one 20 ms clock: each tick sends a frame on every stream, then reads them all."""

    def __init__(self, *, measure: bool = True) -> None:
        self._streams: dict[int, RtpStream] = {}
        self.failures = 0  # streams ended by an error in their tick
        self._task: asyncio.Task[None] | None = None
        self.tick_count = 0
        self.late_ticks = 0
        self.intervals = SendIntervals() if measure else None

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    def add(self, stream: RtpStream) -> None:
        self._streams[id(stream)] = stream
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="rtp-media-clock")

    def remove(self, stream: RtpStream) -> None:
        self._streams.pop(id(stream), None)

    async def close(self) -> None:
        self._streams.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = last_tick = loop.time()
        while self._streams:
            deadline += PTIME
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -5 * PTIME:
                # far behind (a stalled loop): drop the missed ticks rather than burst them
                self.late_ticks += 1
                deadline = loop.time()
            self.tick_count += 1
            now = loop.time()
            metrics.RTP_SEND_INTERVAL.observe(now - last_tick)  # per tick, not per packet: cheap at 400 calls
            last_tick = now
            tick = self.tick_count
            intervals = self.intervals
            streams = list(self._streams.values())
            for stream in streams:
                try:
                    stream.send(intervals)
                except Exception:
                    logger.exception("RTP send failed")
                    self._fail(stream)
            for stream in streams:
                try:
                    stream.receive(tick)
                except Exception:
                    logger.exception("RTP receive failed")
                    self._fail(stream)

    def _fail(self, stream: RtpStream) -> None:
        """A stream whose tick raised leaves the clock and its call is ended (with our BYE):
        a call whose media silently stopped would hang until its maximum duration."""
        self.failures += 1
        self.remove(stream)
        try:
            stream.failed()
        except Exception:
            logger.exception("ending the call of a failed RTP stream failed")


class RtpStream:
    """One call's RTP: a UDP socket, an SSRC, a send position in a prompt, digit detection."""

    def __init__(
        self,
        sock: socket.socket,
        clock: MediaClock,
        *,
        on_digit: Callable[[str], None],
        on_prompt_done: Callable[[], None],
        latch: bool = True,
    ) -> None:
        self._sock = sock
        self._clock = clock
        self.local_port: int = sock.getsockname()[1]
        self._on_digit = on_digit
        self._on_prompt_done = on_prompt_done
        self.remote: tuple[str, int] | None = None
        self.sdp_remote: tuple[str, int] | None = None  # where the far end's SDP says to send
        self._latch = latch
        self._latch_pending = False  # the next RTP from the far end tells where it really is
        self.latched = False
        self._send_enabled = True  # False while the far end holds (RFC 3264 §8.4) or says recvonly/inactive
        self._rx_expected = True  # False while the far end says it sends nothing (dead media not watched)
        self.payload_type = 0
        self._dtmf_pts: frozenset[int] = frozenset()
        self._silence = _SILENCE[0]
        self._ssrc = int.from_bytes(os.urandom(4), "big")
        self._seq = int.from_bytes(os.urandom(2), "big")
        self._ts = int.from_bytes(os.urandom(4), "big")
        self._marker = 0x80
        self._sending = False
        self._prompt: EncodedPrompt | None = None
        self._position = 0
        self._silence_left = 0  # frames of silence still to "play" for a prompt with no PCM
        self._digits = DigitDetector()
        self._last_send = 0.0
        self.recorder: Recorder | None = None
        # Takes the received audio as PCM while the call listens (speech responses); None: off.
        self.audio_sink: Callable[[bytes], None] | None = None
        # Take the received audio 20 ms per tick, in call time (`add_tap`): answering-machine
        # detection. Empty: the playout buffer is not filled for them.
        self._taps: list[Callable[[bytes], None]] = []
        self._sent_pcm: bytes | None = None  # this tick's prompt PCM, for the recorder
        self._rx_pcm = bytearray()  # received audio (PCM) waiting for the recorder, any packet size
        self._rx_primed = False
        self._rx_last_packet = 0  # bytes of PCM in the last received packet (its packetisation)
        self._codecs: dict[int, Codec] = {}
        self.recording_failed = False
        self.started_tick = 0
        self.last_rx_tick = 0
        self.packets_sent = 0
        self.packets_received = 0
        self._dead_after = 0  # ticks without RTP before `on_dead`; 0: not watched
        self._on_dead: Callable[[], None] | None = None
        self._on_failure: Callable[[], None] | None = None
        self._closed = False

    # -- control (called from the SIP side) ---------------------------------------------

    def configure(self, remote: tuple[str, int] | None, payload_type: int, dtmf_pts: set[int]) -> None:
        """Point the stream at the far end with the negotiated codec and DTMF payload types.

        `remote` None (`c=0.0.0.0`, RFC 2543 hold) stops our sending until an address comes.
        With latching on, a new SDP address is used until RTP from the far end shows where
        it really is (symmetric RTP, RFC 4961: a far end behind NAT sends from the address
        it receives on); the SDP address stays the target when nothing arrives.
        """
        if remote != self.sdp_remote:
            self.sdp_remote = remote
            self.remote = remote
            self.latched = False
            self._latch_pending = self._latch and remote is not None
        if payload_type != self.payload_type and self._prompt is not None:
            self.stop_playing()  # the prompt was encoded for the old codec
            self._on_prompt_done()
        self.payload_type = payload_type
        self._silence = _SILENCE[payload_type]
        self._dtmf_pts = frozenset(dtmf_pts)

    def set_direction(self, *, send: bool, receive: bool) -> None:
        """What the latest offer/answer allows: we send only when the far end receives
        (not while it holds us), and expect RTP only when it says it sends (RFC 3264 §5.1, §8.4)."""
        if send and not self._send_enabled:
            self._marker = 0x80  # a talkspurt starts again after hold (RFC 3551 §4.1)
        self._send_enabled = send
        if receive and not self._rx_expected:
            self.last_rx_tick = self._clock.tick_count  # the dead-media wait starts over
        self._rx_expected = receive

    @property
    def sending(self) -> bool:
        """RTP leaves this tick: started, an address to send to, and not held."""
        return self._sending and self._send_enabled and self.remote is not None and not self._closed

    def listen(self) -> None:
        """Receive (early media, digits) without sending."""
        if not self.started_tick:
            self.started_tick = self.last_rx_tick = self._clock.tick_count
        self._clock.add(self)

    def start(self) -> None:
        """Receive and send: silence until a prompt plays (RTP keeps flowing for the far end's timers)."""
        self._sending = True
        self.started_tick = self.last_rx_tick = self._clock.tick_count
        self._clock.add(self)

    def watch_dead_media(self, seconds: float, on_dead: Callable[[], None]) -> None:
        """Call `on_dead` once the far end has sent no RTP for `seconds` (checked each tick)."""
        self._dead_after = max(1, round(seconds / PTIME))
        self._on_dead = on_dead

    def on_failure(self, callback: Callable[[], None]) -> None:
        """Call `callback` if this stream's tick raises (the clock has dropped the stream)."""
        self._on_failure = callback

    def failed(self) -> None:
        if self._on_failure is not None:
            self._on_failure()

    def add_tap(self, tap: Callable[[bytes], None]) -> None:
        """Give `tap` one 20 ms PCM frame of the received audio every tick from now (silence
        when nothing arrived or the playout buffer is priming), whatever the far end's packet
        size. A tap that raises is dropped and logged, never the stream."""
        self._taps.append(tap)

    def remove_tap(self, tap: Callable[[bytes], None]) -> None:
        with contextlib.suppress(ValueError):
            self._taps.remove(tap)

    def play(self, prompt: EncodedPrompt | None, *, silence_frames: int = 0) -> None:
        self._prompt = prompt
        self._position = 0
        self._silence_left = silence_frames
        self._marker = 0x80  # talkspurt start

    def stop_playing(self) -> None:
        self._prompt = None
        self._silence_left = 0

    @property
    def playing(self) -> bool:
        return self._prompt is not None or self._silence_left > 0

    def silent_ticks(self) -> int:
        """Ticks since the last RTP packet from the far end (or since the stream started)."""
        return self._clock.tick_count - self.last_rx_tick

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._clock.remove(self)
        self._sock.close()

    # -- the tick ---------------------------------------------------------------------

    def send(self, intervals: SendIntervals | None) -> None:
        """First pass of a tick: one frame out (prompt or silence). Kept short, so every
        stream's packet leaves close to the tick's start whatever the receive pass costs.

        While held nothing is sent and the prompt waits where it stopped, but the RTP
        timestamp keeps counting time (RFC 3550 §5.1), so the far end sees the gap."""
        if not self._sending or self._closed:
            return
        if not self._send_enabled or self.remote is None:
            self._ts = (self._ts + SAMPLES_PER_FRAME) & 0xFFFFFFFF
            self._marker = 0x80
            return
        prompt = self._prompt
        if prompt is not None:
            position = self._position
            payload = prompt.frames[position]
            if self.recorder is not None:
                self._sent_pcm = prompt.pcm[position * PCM_FRAME_BYTES : (position + 1) * PCM_FRAME_BYTES]
            self._position = position + 1
            if self._position >= len(prompt.frames):
                self._prompt = None
                self._on_prompt_done()
        else:
            payload = self._silence
            if self._silence_left:
                self._silence_left -= 1
                if not self._silence_left:
                    self._on_prompt_done()
        header = _HEADER.pack(0x80, self._marker | self.payload_type, self._seq, self._ts, self._ssrc)
        self._marker = 0
        try:  # noqa: SIM105 - every RTP frame of every call passes here: try costs nothing, suppress() an object
            self._sock.sendto(header + payload, self.remote)
        except OSError:
            pass  # a full socket buffer or an unreachable peer: RTP is loss-tolerant
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + SAMPLES_PER_FRAME) & 0xFFFFFFFF
        self.packets_sent += 1
        if intervals is not None:
            now = time.perf_counter()
            if self._last_send:
                intervals.add(now - self._last_send)
            self._last_send = now

    def receive(self, tick: int) -> None:
        """Second pass of a tick: drain the socket, detect digits, record, watch for silence."""
        sock = self._sock
        for _ in range(_MAX_RX_PER_TICK):
            try:
                if self._latch_pending:
                    data, source = sock.recvfrom(2048)
                else:
                    data = sock.recv(2048)
            except BlockingIOError:
                break
            except OSError:
                break  # e.g. ICMP unreachable reported on the socket: nothing to read
            if self._receive(data, tick) and self._latch_pending:
                self._latch_to((str(source[0]), int(source[1])))
        recording = self.recorder is not None and self._sending
        if recording or self._taps:
            # One 20 ms frame out of the playout buffer per tick, for the recorder and the taps alike.
            received = self._received_frame()
            if recording:
                self._record(self._sent_pcm, received)
                self._sent_pcm = None
            if self._taps:
                self._feed_taps(received)
        if not self._rx_expected:
            self.last_rx_tick = tick  # held by a far end that sends nothing: not dead
        elif self._dead_after and tick - self.last_rx_tick > self._dead_after:
            self._dead_after = 0
            assert self._on_dead is not None
            self._on_dead()

    def _latch_to(self, source: tuple[str, int]) -> None:
        self._latch_pending = False
        if source != self.remote:
            logger.info("RTP latched to %s:%d (SDP said %s)", source[0], source[1], self.remote)
            self.remote = source
            self.latched = True

    def _receive(self, data: bytes, tick: int) -> bool:
        """Take one datagram; True if it was RTP from the far end."""
        if len(data) < 12 or data[0] >> 6 != 2:
            return False
        self.last_rx_tick = tick
        self.packets_received += 1
        payload_type = data[1] & 0x7F
        if payload_type in self._dtmf_pts:
            self._receive_event(data)
        elif (
            self.recorder is not None or self.audio_sink is not None or self._taps
        ) and payload_type in _SILENCE:
            # PCMU or PCMA, whichever the far end sends now; any packet length
            self._buffer_received(payload_type, _payload(data))
        return True

    def _buffer_received(self, payload_type: int, payload: bytes) -> None:
        codec = self._codecs.get(payload_type)
        if codec is None:
            codec = self._codecs[payload_type] = get_codec(payload_type)
        pcm = codec.decode(payload)
        if self.audio_sink is not None:
            self.audio_sink(pcm)
        self._rx_last_packet = len(pcm)
        self._rx_pcm += pcm
        limit = (_MAX_BUFFERED_FRAMES + _PRIME_FRAMES) * PCM_FRAME_BYTES
        if len(self._rx_pcm) > limit:
            del self._rx_pcm[: len(self._rx_pcm) - _PRIME_FRAMES * PCM_FRAME_BYTES]

    def _receive_event(self, data: bytes) -> None:
        try:
            packet = RtpPacket.parse(data)
            event = DtmfEvent.parse(packet.payload)
        except ValueError:
            return
        digit = self._digits.feed(packet, event)
        if digit is not None:
            self._on_digit(digit)

    def _feed_taps(self, frame: bytes) -> None:
        for tap in tuple(self._taps):
            try:
                tap(frame)
            except Exception:
                logger.exception("a reader of the received audio failed; it is dropped, the call goes on")
                self.remove_tap(tap)

    def _record(self, sent_pcm: bytes | None, received: bytes) -> None:
        """One 20 ms frame of each direction to the recorder; a recorder that fails is dropped,
        never the call (the RTP of both directions goes on)."""
        recorder = self.recorder
        assert recorder is not None
        try:
            recorder.write(sent_pcm or _PCM_SILENCE, received)
        except Exception:
            logger.exception("recording failed; the call goes on unrecorded")
            self.recorder = None
            self.recording_failed = True
            recorder.abandon()

    def _received_frame(self) -> bytes:
        """20 ms of what the far end sent, whatever its packet size: packets are buffered until
        a few frames (or one long packet and a frame) are there, then taken 20 ms per tick, so
        30 and 60 ms packets play out evenly; an underrun gives silence and primes again."""
        buffered = self._rx_pcm
        if not self._rx_primed:
            if len(buffered) < max(_PRIME_FRAMES * PCM_FRAME_BYTES, self._rx_last_packet + PCM_FRAME_BYTES):
                return _PCM_SILENCE
            self._rx_primed = True
        if len(buffered) < PCM_FRAME_BYTES:
            self._rx_primed = False
            frame = bytes(buffered) + bytes(PCM_FRAME_BYTES - len(buffered))
            buffered.clear()
            return frame
        frame = bytes(buffered[:PCM_FRAME_BYTES])
        del buffered[:PCM_FRAME_BYTES]
        return frame


def _payload(data: bytes) -> bytes:
    """The payload of an RTP packet: past CSRCs and header extension, before padding."""
    start = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= start + 4:
        start += 4 + 4 * int.from_bytes(data[start + 2 : start + 4], "big")
    end = len(data)
    if data[0] & 0x20 and end > start:
        end -= data[-1]
    return data[start:end]


class PortPool:
    """Even RTP ports from a range, bound as non-blocking UDP sockets."""

    def __init__(self, host: str, port_range: tuple[int, int] | None) -> None:
        self._host = host
        self._range = port_range
        self._next = port_range[0] if port_range else 0

    def open(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        if self._range is None:
            return _bind(family, self._host, 0)
        low, high = self._range
        low += low % 2
        span = (high - low) // 2
        for _ in range(span):
            port = self._next + self._next % 2
            self._next = port + 2 if port + 2 < high else low
            try:
                return _bind(family, self._host, port)
            except OSError:
                continue
        raise OSError(f"no free RTP port in {self._range}")


def _bind(family: int, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
