"""SIP client transactions over UDP (RFC 3261 §17.1) and a response cache for server ones (§17.2.2).

aiosipua matches responses to requests but never retransmits, and leaves the ACK of a
non-2xx final response to the application. Over UDP both are the transaction layer's job:

* INVITE client transaction (§17.1.1): Timer A retransmits the INVITE at T1, 2*T1, 4*T1...
  until a response arrives; Timer B gives up (the caller sees a 408). A 300-699 final is
  ACKed here, on the INVITE's branch, and again for each retransmission of that final
  during Timer D. A 2xx goes to the TU, which ACKs it itself (§13.2.2.4); the transaction
  then lingers in the RFC 6026 "Accepted" state so retransmitted 2xx still reach the TU.
* non-INVITE client transaction (§17.1.2): Timer E retransmits (BYE, CANCEL, INFO, REFER,
  REGISTER, UPDATE, PRACK) at T1 doubling up to T2; Timer F gives up.

Over a reliable transport (TCP) nothing is retransmitted: Timers A and E do not run
(§17.1.1.2, §17.1.2.2), and our responses go back on the connection the request came in
on (§18.2.2). Timers B and F still bound every wait.

Timers are plain `call_later` handles on a `Scheduler` (the running asyncio loop unless one is
passed in); their delays come from `SipTimers`. Tests shrink the delays by passing a different
`SipTimers`, or drive time by hand with a scheduler of their own, never by patching globals.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiosipua import SipRequest, SipResponse

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SipTimers:
    """RFC 3261 timer values (seconds), plus our media and CANCEL guards."""

    t1: float = 0.5  # round-trip estimate; first retransmission interval
    t2: float = 4.0  # cap of the non-INVITE retransmission interval
    t4: float = 5.0  # how long a completed non-INVITE transaction absorbs retransmissions
    timer_b: float = 32.0  # INVITE with no response at all: give up (64*T1)
    timer_f: float = 32.0  # non-INVITE with no final response: give up (64*T1)
    timer_d: float = 32.0  # keep ACKing retransmitted non-2xx finals this long
    dead_media: float = 30.0  # answered call with no RTP from the far end this long: hang up
    cancel_wait: float = 32.0  # after our CANCEL, wait this long for the INVITE's final (§9.1)

    @property
    def server_linger(self) -> float:
        """How long an answered request's response is kept for its retransmissions (Timer J)."""
        return 64 * self.t1


class Sender(Protocol):
    """Where transactions put their messages on the wire (aiosipua's transports fit).

    `reliable` (TCP) turns retransmission off; an object without it is taken as UDP.
    """

    def send(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None: ...


def is_reliable(sender: Sender) -> bool:
    return bool(getattr(sender, "reliable", False))


class TimerHandle(Protocol):
    """A pending delayed call (asyncio's `TimerHandle` fits)."""

    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Where transactions get their time from: delayed calls and futures (an asyncio loop fits)."""

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> TimerHandle: ...

    def create_future(self) -> asyncio.Future[Any]: ...


class State(enum.Enum):
    CALLING = "calling"  # INVITE sent, nothing heard (non-INVITE: "trying")
    PROCEEDING = "proceeding"  # a provisional response arrived
    ACCEPTED = "accepted"  # INVITE got a 2xx (RFC 6026)
    COMPLETED = "completed"  # final response received, absorbing retransmissions
    TERMINATED = "terminated"


TransactionKey = tuple[str, str]  # (Via branch, CSeq method): RFC 3261 §17.1.3


def top_branch(message: SipRequest | SipResponse) -> str:
    vias = message.via
    return (vias[0].branch or "") if vias else ""


def response_key(response: SipResponse) -> TransactionKey | None:
    cseq = response.cseq
    branch = top_branch(response)
    if cseq is None or not branch:
        return None
    return (branch, cseq.method.upper())


class ClientTransaction:
    """One request we sent and the responses to it; subclasses add the per-method rules."""

    def __init__(
        self,
        request: SipRequest,
        addr: tuple[str, int],
        *,
        sender: Sender,
        timers: SipTimers,
        on_response: Callable[[SipResponse], None],
        on_timeout: Callable[[], None],
        on_terminated: Callable[[ClientTransaction], None],
        scheduler: Scheduler | None = None,
    ) -> None:
        self.request = request
        self.addr = addr
        self.key: TransactionKey = (top_branch(request), request.method.upper())
        self.state = State.CALLING
        self.final: SipResponse | None = None
        self._sender = sender
        self.sender = sender
        self._timers = timers
        self._on_response = on_response
        self._on_timeout = on_timeout
        self._on_terminated = on_terminated
        self._loop: Scheduler = scheduler or asyncio.get_running_loop()
        self._retransmit_handle: TimerHandle | None = None
        self._timeout_handle: TimerHandle | None = None
        self._linger_handle: TimerHandle | None = None
        self._interval = timers.t1
        self.transmissions = 0
        self.transport_error = False  # ended by `fail()`: the request never reached the far end
        self.done: asyncio.Future[SipResponse | None] = self._loop.create_future()

    @property
    def pending(self) -> bool:
        """No final response yet."""
        return self.state in (State.CALLING, State.PROCEEDING)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float) -> None:
        self._transmit()
        if not is_reliable(self._sender):
            self._retransmit_handle = self._loop.call_later(self._interval, self._on_retransmit_timer)
        self._timeout_handle = self._loop.call_later(timeout, self._on_timeout_timer)

    def fail(self) -> None:
        """The transport could not deliver the request: a timeout now (RFC 3261 §8.1.3.1)."""
        if self.pending:
            self.transport_error = True
            self._finish(None)
            self._on_timeout()

    def _transmit(self) -> None:
        self.transmissions += 1
        self._sender.send(self.request, self.addr)

    def _on_retransmit_timer(self) -> None:
        if self.state not in (State.CALLING, State.PROCEEDING):
            return
        self._transmit()
        self._interval = self._next_interval()
        self._retransmit_handle = self._loop.call_later(self._interval, self._on_retransmit_timer)

    def _next_interval(self) -> float:
        return self._interval * 2

    def _on_timeout_timer(self) -> None:
        if self.state in (State.CALLING, State.PROCEEDING):
            logger.info("%s %s: no final response, timed out", self.request.method, self.key[0])
            self._finish(None)
            self._on_timeout()

    def _stop_timers(self) -> None:
        for handle in (self._retransmit_handle, self._timeout_handle):
            if handle is not None:
                handle.cancel()
        self._retransmit_handle = self._timeout_handle = None

    def _linger(self, seconds: float) -> None:
        self._stop_timers()
        self._linger_handle = self._loop.call_later(seconds, self.terminate)

    def _finish(self, response: SipResponse | None) -> None:
        if response is None:
            self.terminate()
        if not self.done.done():
            self.done.set_result(response)

    def terminate(self) -> None:
        """Stop every timer and leave the transaction table."""
        if self.state is State.TERMINATED:
            return
        self.state = State.TERMINATED
        self._stop_timers()
        if self._linger_handle is not None:
            self._linger_handle.cancel()
        self._on_terminated(self)

    def receive(self, response: SipResponse) -> None:
        raise NotImplementedError


class InviteClientTransaction(ClientTransaction):
    """RFC 3261 §17.1.1 with the RFC 6026 Accepted state."""

    def _on_retransmit_timer(self) -> None:
        # Timer A only runs in Calling: a provisional response means the far end has it
        if self.state is State.CALLING:
            super()._on_retransmit_timer()

    def _on_timeout_timer(self) -> None:
        # Timer B only applies in Calling; once ringing, the TU's ring timeout and CANCEL rule
        if self.state is State.CALLING:
            super()._on_timeout_timer()

    def receive(self, response: SipResponse) -> None:
        status = response.status_code
        if self.state in (State.CALLING, State.PROCEEDING):
            if status < 200:
                self.state = State.PROCEEDING
                self._cancel_retransmit()
                self._on_response(response)
            elif status < 300:
                self.state = State.ACCEPTED
                self.final = response
                self._linger(64 * self._timers.t1)  # Timer M
                self._finish(response)
                self._on_response(response)
            else:
                self.state = State.COMPLETED
                self.final = response
                self._send_ack(response)
                self._linger(self._timers.timer_d)
                self._finish(response)
                self._on_response(response)
        elif self.state is State.ACCEPTED and 200 <= status < 300:
            self._on_response(response)  # retransmitted 2xx: the TU ACKs it again
        elif self.state is State.COMPLETED and status >= 300:
            self._send_ack(response)  # our ACK was lost: the far end retransmits its final

    def _cancel_retransmit(self) -> None:
        if self._retransmit_handle is not None:
            self._retransmit_handle.cancel()
            self._retransmit_handle = None

    def _send_ack(self, response: SipResponse) -> None:
        self._sender.send(ack_for_non_2xx(self.request, response), self.addr)


class NonInviteClientTransaction(ClientTransaction):
    """RFC 3261 §17.1.2."""

    def _next_interval(self) -> float:
        if self.state is State.PROCEEDING:
            return self._timers.t2
        return min(self._interval * 2, self._timers.t2)

    def receive(self, response: SipResponse) -> None:
        if self.state not in (State.CALLING, State.PROCEEDING):
            return  # retransmitted final: absorbed during Timer K
        if response.status_code < 200:
            self.state = State.PROCEEDING
            self._on_response(response)
            return
        self.state = State.COMPLETED
        self.final = response
        self._linger(self._timers.t4)  # Timer K
        self._finish(response)
        self._on_response(response)


def ack_for_non_2xx(invite: SipRequest, response: SipResponse) -> SipRequest:
    """The ACK the INVITE transaction sends for a 300-699 final (RFC 3261 §17.1.1.3)."""
    ack = SipRequest(method="ACK", uri=invite.uri)
    ack.headers.append("Via", invite.headers.get("via")[0])
    for name in ("Max-Forwards", "From", "Call-ID"):
        value = invite.headers.get_first(name)
        if value is not None:
            ack.headers.set_single(name, value)
    to = response.headers.get_first("to")
    if to is not None:
        ack.headers.set_single("To", to)
    cseq = invite.cseq
    ack.headers.set_single("CSeq", f"{cseq.seq if cseq else 1} ACK")
    for route in invite.headers.get("route"):
        ack.headers.append("Route", route)
    return ack


class TransactionTable:
    """Our live client transactions, and the responses we gave to requests (server side)."""

    def __init__(self, sender: Sender, timers: SipTimers, *, scheduler: Scheduler | None = None) -> None:
        self.sender = sender  # also used by the TU for the ACK of a 2xx (not a transaction)
        self._sender = sender
        self._timers = timers
        # None: the running loop, looked up when needed (the table may be built before the loop runs)
        self._scheduler = scheduler
        self._client: dict[TransactionKey, ClientTransaction] = {}
        self._answered: dict[TransactionKey, tuple[SipResponse, Sender, tuple[str, int]]] = {}

    def __len__(self) -> int:
        return len(self._client)

    def send_invite(
        self,
        request: SipRequest,
        addr: tuple[str, int],
        *,
        on_response: Callable[[SipResponse], None],
        on_timeout: Callable[[], None],
        transport: Sender | None = None,
    ) -> InviteClientTransaction:
        txn = InviteClientTransaction(
            request,
            addr,
            sender=transport or self._sender,
            timers=self._timers,
            on_response=on_response,
            on_timeout=on_timeout,
            on_terminated=self._forget,
            scheduler=self._scheduler,
        )
        self._client[txn.key] = txn
        txn.start(self._timers.timer_b)
        return txn

    def send_request(
        self,
        request: SipRequest,
        addr: tuple[str, int],
        *,
        on_response: Callable[[SipResponse], None] | None = None,
        on_timeout: Callable[[], None] | None = None,
        transport: Sender | None = None,
    ) -> NonInviteClientTransaction:
        txn = NonInviteClientTransaction(
            request,
            addr,
            sender=transport or self._sender,
            timers=self._timers,
            on_response=on_response or _ignore_response,
            on_timeout=on_timeout or _ignore_timeout,
            on_terminated=self._forget,
            scheduler=self._scheduler,
        )
        self._client[txn.key] = txn
        txn.start(self._timers.timer_f)
        return txn

    def _forget(self, txn: ClientTransaction) -> None:
        if self._client.get(txn.key) is txn:
            del self._client[txn.key]

    def receive_response(self, response: SipResponse) -> bool:
        """Hand a response to its transaction; False when none matches (RFC 3261 §17.1.3)."""
        key = response_key(response)
        txn = self._client.get(key) if key is not None else None
        if txn is None:
            return False
        txn.receive(response)
        return True

    def transport_failed(self, addr: tuple[str, int], transport: Sender) -> None:
        """A connection to `addr` could not be made or was lost: its pending requests fail now."""
        for txn in list(self._client.values()):
            if txn.addr == addr and txn.sender is transport:
                txn.fail()

    # -- server side: a request's response is resent when the request is retransmitted --

    def answer(
        self,
        request: SipRequest,
        response: SipResponse,
        *,
        transport: Sender | None = None,
        source: tuple[str, int] | None = None,
    ) -> None:
        """Send `response` and remember it for retransmissions of `request` (Timer J).

        Over UDP the response goes where the top Via says (received/rport, RFC 3581); over
        TCP back on the connection the request came from, `source` (RFC 3261 §18.2.2).
        """
        sender = transport or self._sender
        addr = source if source is not None and is_reliable(sender) else _reply_addr(response)
        sender.send(response, addr)
        key = (top_branch(request), request.method.upper())
        if key[0]:
            self._answered[key] = (response, sender, addr)
            scheduler = self._scheduler or asyncio.get_running_loop()
            scheduler.call_later(self._timers.server_linger, self._answered.pop, key, None)

    def retransmitted(self, request: SipRequest) -> bool:
        """Resend our earlier response if `request` is a retransmission; True if it was."""
        answered = self._answered.get((top_branch(request), request.method.upper()))
        if answered is None:
            return False
        response, sender, addr = answered
        sender.send(response, addr)
        return True

    def pending(self) -> list[asyncio.Future[SipResponse | None]]:
        """Results of the client transactions still waiting for a final response."""
        return [txn.done for txn in self._client.values() if txn.pending]

    def close(self) -> None:
        for txn in list(self._client.values()):
            txn.terminate()
        self._answered.clear()


def _reply_addr(response: SipResponse) -> tuple[str, int]:
    """Via-based response routing (RFC 3261 §18.2.2 with RFC 3581 rport)."""
    via = response.via[0]
    host = via.received or via.host
    rport = via.rport
    port = int(rport) if rport else (via.port or 5060)
    return (host, port)


def _ignore_response(response: SipResponse) -> None:
    return None


def _ignore_timeout() -> None:
    return None
