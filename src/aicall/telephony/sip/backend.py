"""`SipBackend`: the telephony backend that places real calls through a SIP trunk."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosipua import SipRequest, SipResponse

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.session import TRUNK_TRANSPORTS, DialRequest, DialResult, TrunkConfig
from aicall.telephony.sip.dialing import CallContext, OutboundCall
from aicall.telephony.sip.media import MediaClock, PortPool, PromptCache
from aicall.telephony.sip.messages import ALLOW, Endpoint, response_to
from aicall.telephony.sip.registration import Registration
from aicall.telephony.sip.transactions import Sender, SipTimers, TransactionTable
from aicall.telephony.sip.transports import TcpTransport, UdpTransport

logger = logging.getLogger(__name__)

_CLOSE_GRACE = 4.0  # seconds close() waits for BYEs (ours, retransmitted) and the unREGISTER
_BIND_ATTEMPTS = 20  # port 0: tries at a UDP port whose number is free for TCP as well
TRANSPORTS = TRUNK_TRANSPORTS  # what a trunk may use (telephony.session, where trunks are checked)


class SipError(Exception):
    """The sip backend cannot do what was asked (not started, no route, bad trunk)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SipBackend:
    """Places calls over SIP (UDP or TCP) with aiosipua messages, our transactions and one RTP clock.

    `start()` binds once however many callers race to it (the first calls of a cold start
    all do); `close()` releases everything once.

    Usage::

        backend = SipBackend(local_host="10.0.0.5", recordings_dir=Path("recordings"))
        await backend.start()
        result = await backend.originate(DialRequest(call_id="a1", to_number="+8498...",
                                                     from_number="+8428...", trunk=trunk))
        if result.session:  # answered
            await result.session.play(audio)
        await backend.close()
    """

    name = "sip"

    def __init__(
        self,
        local_host: str = "127.0.0.1",
        local_port: int = 0,
        *,
        rtp_port_range: tuple[int, int] | None = (20000, 40000),
        recordings_dir: Path | str | None = None,
        timers: SipTimers | None = None,
        default_trunk: TrunkConfig | None = None,
        advertised_host: str | None = None,
        wall_clock: Callable[[], datetime] = _utc_now,
        measure_media: bool = True,
        symmetric_rtp: bool = True,
    ) -> None:
        if local_host in ("0.0.0.0", "::") and advertised_host is None:
            # Via, Contact and SDP must carry an address the trunk can reach
            raise SipError("binding to all interfaces needs advertised_host (the address the trunk reaches)")
        self._local = (local_host, local_port)
        self._advertised_host = advertised_host
        self.timers = timers or SipTimers()
        self._default_trunk = default_trunk
        self._recordings_dir = Path(recordings_dir) if recordings_dir is not None else None
        self._wall_clock = wall_clock
        self._symmetric_rtp = symmetric_rtp
        self._transport = UdpTransport(local_addr=self._local, on_message=self._on_udp_message)
        self._tcp = TcpTransport(
            self._local, on_message=self._on_tcp_message, on_connect_failed=self._on_tcp_failure
        )
        self._transactions = TransactionTable(self._transport, self.timers)
        self._start_lock = asyncio.Lock()
        self._started = False
        self.clock = MediaClock(measure=measure_media)
        self._ports = PortPool(local_host, rtp_port_range)
        self._prompts = PromptCache()
        self._calls: dict[str, OutboundCall] = {}  # by SIP Call-ID, from INVITE to the end
        self._registrations: dict[str, Registration] = {}
        self._ctx: CallContext | None = None

    @property
    def local_addr(self) -> tuple[str, int]:
        """Where our SIP socket is bound (the real port once started)."""
        return self._transport.local_addr

    @property
    def active_calls(self) -> int:
        return len(self._calls)

    @property
    def tcp_connects(self) -> int:
        """TCP connections this backend opened (one per far end, reused: RFC 3261 §18)."""
        return self._tcp.connects

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        """Bind SIP (UDP and TCP on one port) and register the default trunk; once only.

        Every call task of a dialler's first pass may call this at the same moment: the lock
        makes the first bind and the others wait for it, so a fixed port is bound once and
        port 0 gives one socket, not one per caller.
        """
        async with self._start_lock:
            if self._started:
                return
            await self._bind()
            host, port = self._transport.local_addr
            me = Endpoint(self._advertised_host or host, port)
            self._ctx = CallContext(
                me=me,
                transactions=self._transactions,
                transports={"udp": self._transport, "tcp": self._tcp},
                timers=self.timers,
                clock=self.clock,
                ports=self._ports,
                prompts=self._prompts,
                recordings_dir=self._recordings_dir,
                wall_clock=self._wall_clock,
                forget=self._forget,
                symmetric_rtp=self._symmetric_rtp,
            )
            self._started = True
            logger.info("sip backend listening on %s:%d (UDP and TCP)", host, port)
        if self._default_trunk is not None and self._default_trunk.register:
            await self._registration(self._default_trunk)

    async def _bind(self) -> None:
        """UDP, then TCP on the same port number (RFC 3261 §18.2.1)."""
        host, wanted = self._local
        for _ in range(_BIND_ATTEMPTS if wanted == 0 else 1):
            self._transport.local_addr = (host, wanted)
            await self._transport.start()
            port = self._transport.local_addr[1]
            self._tcp.local_addr = (host, port)
            try:
                await self._tcp.start()
            except OSError:
                await self._transport.stop()
                if wanted:
                    raise
                continue  # port 0: that number is taken for TCP, try another
            return
        raise SipError(f"no port free for both UDP and TCP on {host}")

    async def close(self) -> None:
        """Hang up live calls, unregister, and release every socket (bounded in time); once only."""
        async with self._start_lock:
            if not self._started:
                return
            for call in list(self._calls.values()):
                if call.session is None:
                    call.abandon()  # still dialling: CANCEL if ringing, originate() returns FAILED
                elif not call.session.ended:
                    await call.session.hangup()
            unregistering = [registration.unregister() for registration in self._registrations.values()]
            # every request still unanswered (BYEs of calls that already ended included) gets
            # its retransmissions for a while: a lost BYE would leave the far end's call up;
            # an unREGISTER may need a second request with credentials (RFC 3261 §22.2)
            pending: list[asyncio.Future[Any]] = [*self._transactions.pending(), *unregistering]
            if pending:
                await asyncio.wait(pending, timeout=_CLOSE_GRACE)
            for task in unregistering:
                task.cancel()
            self._registrations.clear()
            self._transactions.close()
            await self.clock.close()
            await self._tcp.stop()
            await self._transport.stop()
            self._transport.local_addr = self._local
            self._ctx = None
            self._started = False

    async def originate(self, request: DialRequest) -> DialResult:
        """Dial `request.to_number`; return when answered (with a live session) or not."""
        if self._ctx is None:
            raise SipError("SipBackend.originate before start()")
        trunk = request.trunk or self._default_trunk
        if trunk is None:
            return DialResult(CallOutcome.FAILED, None, "no SIP trunk for this call")
        if trunk.transport.lower() not in TRANSPORTS:
            return DialResult(
                CallOutcome.FAILED,
                None,
                f"transport {trunk.transport} is not supported (UDP or TCP; TLS through an edge proxy)",
            )
        if trunk.register:
            await self._registration(trunk)
        call = OutboundCall(self._ctx, request, trunk)
        self._calls[call.sip_call_id] = call
        return await call.dial()

    async def _registration(self, trunk: TrunkConfig) -> Registration:
        registration = self._registrations.get(trunk.id)
        if registration is None:
            assert self._ctx is not None
            transport = self._ctx.transport_for(trunk)
            registration = Registration(
                trunk,
                me=self._ctx.me.over(trunk.transport),
                transactions=self._transactions,
                timers=self.timers,
                transport=transport,
            )
            self._registrations[trunk.id] = registration
            await registration.start()
        return registration

    def registration(self, trunk: TrunkConfig) -> Registration | None:
        """The registration kept with `trunk`, if it registers."""
        return self._registrations.get(trunk.id)

    def _forget(self, sip_call_id: str) -> None:
        self._calls.pop(sip_call_id, None)

    # -- the wire -----------------------------------------------------------------------

    def _on_udp_message(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        self._on_message(message, addr, self._transport)

    def _on_tcp_message(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        self._on_message(message, addr, self._tcp)

    def _on_tcp_failure(self, addr: tuple[str, int]) -> None:
        self._transactions.transport_failed(addr, self._tcp)

    def _on_message(
        self, message: SipRequest | SipResponse, addr: tuple[str, int], transport: Sender
    ) -> None:
        if isinstance(message, SipResponse):
            self._on_response(message)
        else:
            self._on_request(message, addr, transport)

    def _on_response(self, response: SipResponse) -> None:
        if self._transactions.receive_response(response):
            return
        cseq = response.cseq
        call = self._calls.get(response.call_id or "")
        if (
            call is not None
            and cseq is not None
            and cseq.method.upper() == "INVITE"
            and 200 <= response.status_code < 300
        ):
            call.resend_ack()  # a 2xx retransmitted after its transaction ended
            return
        logger.debug("response matches no transaction: %s %s", response.status_code, response.call_id)

    def _on_request(self, request: SipRequest, source: tuple[str, int], transport: Sender) -> None:
        method = request.method.upper()
        call = self._calls.get(request.call_id or "")
        if method == "ACK":
            if call is not None:
                call.handle_ack(request)  # of our 2xx to a re-INVITE: may carry the SDP answer
            return
        if self._transactions.retransmitted(request):
            return
        if call is not None:
            call.handle_request(request, transport=transport, source=source)
            return
        if method == "OPTIONS":
            response = response_to(request, 200)
            response.headers.set_single("Allow", ALLOW)
        elif method == "INVITE":
            response = response_to(request, 480, "Outbound Only")
        else:
            response = response_to(request, 481)
        self._transactions.answer(request, response, transport=transport, source=source)
