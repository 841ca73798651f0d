"""`SipBackend`: the telephony backend that places real calls through a SIP trunk."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from aiosipua import SipRequest, SipResponse, UdpSipTransport

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.session import DialRequest, DialResult, TrunkConfig
from aicall.telephony.sip.dialing import CallContext, OutboundCall
from aicall.telephony.sip.media import MediaClock, PortPool, PromptCache
from aicall.telephony.sip.messages import ALLOW, Endpoint, response_to
from aicall.telephony.sip.registration import Registration
from aicall.telephony.sip.transactions import SipTimers, TransactionTable

logger = logging.getLogger(__name__)

_CLOSE_GRACE = 4.0  # seconds close() waits for BYEs (ours, retransmitted) and the unREGISTER


class SipError(Exception):
    """The sip backend cannot do what was asked (not started, no route, bad trunk)."""


class _DatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: BoundUdpTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._owner.dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.debug("SIP socket error: %s", exc)  # ICMP unreachable: the transaction times out


class BoundUdpTransport(UdpSipTransport):
    """aiosipua's UDP transport (parsing, sending), bound with our protocol object.

    Ours learns the port the OS gave (for port 0), and avoids aiosipua's `connection_made`,
    whose `isinstance(transport, DatagramTransport)` assertion fails on CPython 3.11's
    selector loop (that class does not inherit it there) and logs an error at every start.
    """

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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SipBackend:
    """Places calls over SIP/UDP with aiosipua messages, our UDP transactions and one RTP clock.

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
        self._transport = BoundUdpTransport(local_addr=self._local, on_message=self._on_message)
        self._transactions = TransactionTable(self._transport, self.timers)
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

    async def start(self) -> None:
        await self._transport.start()
        host, port = self._transport.local_addr
        me = Endpoint(self._advertised_host or host, port)
        self._ctx = CallContext(
            me=me,
            transactions=self._transactions,
            timers=self.timers,
            clock=self.clock,
            ports=self._ports,
            prompts=self._prompts,
            recordings_dir=self._recordings_dir,
            wall_clock=self._wall_clock,
            forget=self._forget,
        )
        logger.info("sip backend listening on %s:%d", host, port)
        if self._default_trunk is not None and self._default_trunk.register:
            await self._registration(self._default_trunk)

    async def close(self) -> None:
        """Hang up live calls, unregister, and release every socket (bounded in time)."""
        for call in list(self._calls.values()):
            if call.session is None:
                call.abandon()  # still dialling: CANCEL if ringing, originate() returns FAILED
            elif not call.session.ended:
                await call.session.hangup()
        for registration in self._registrations.values():
            registration.unregister()
        # every request still unanswered (BYEs of calls that already ended included) gets
        # its retransmissions for a while: a lost BYE would leave the far end's call up
        pending = self._transactions.pending()
        if pending:
            await asyncio.wait(pending, timeout=_CLOSE_GRACE)
        self._registrations.clear()
        self._transactions.close()
        await self.clock.close()
        await self._transport.stop()
        self._ctx = None

    async def originate(self, request: DialRequest) -> DialResult:
        """Dial `request.to_number`; return when answered (with a live session) or not."""
        if self._ctx is None:
            raise SipError("SipBackend.originate before start()")
        trunk = request.trunk or self._default_trunk
        if trunk is None:
            return DialResult(CallOutcome.FAILED, None, "no SIP trunk for this call")
        if trunk.transport.lower() != "udp":
            return DialResult(
                CallOutcome.FAILED, None, f"transport {trunk.transport} is not supported (UDP only)"
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
            registration = Registration(
                trunk, me=self._ctx.me, transactions=self._transactions, timers=self.timers
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

    def _on_message(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        if isinstance(message, SipResponse):
            self._on_response(message)
        else:
            self._on_request(message)

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

    def _on_request(self, request: SipRequest) -> None:
        method = request.method.upper()
        if method == "ACK":
            return  # for our 2xx to a re-INVITE; nothing to do
        if self._transactions.retransmitted(request):
            return
        call = self._calls.get(request.call_id or "")
        if call is not None:
            call.handle_request(request)
            return
        if method == "OPTIONS":
            response = response_to(request, 200)
            response.headers.set_single("Allow", ALLOW)
        elif method == "INVITE":
            response = response_to(request, 480, "Outbound Only")
        else:
            response = response_to(request, 481)
        self._transactions.answer(request, response)
