"""RFC 3261 §17 client transactions on a hand-driven clock: every timer fires when the RFC says.

Time is a `ManualScheduler` that only moves when a test calls `advance()`, and the wire is a
list (`Wire`), so each retransmission is checked at its exact instant with no sleeping; the
interop tests check the same machines against a real UDP socket.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosipua import SipMessage, SipRequest, SipResponse

from aicall.telephony.sip.transactions import (
    SipTimers,
    State,
    TransactionTable,
    ack_for_non_2xx,
)

TIMERS = SipTimers()  # the RFC 3261 defaults: T1 0.5 s, T2 4 s, T4 5 s, B = F = D = 64*T1
TRUNK = ("203.0.113.10", 5060)
BRANCH = "z9hG4bK-524287-1---a1b2c3d4e5f6a7b8"


@dataclass(order=True)
class ManualHandle:
    when: float
    seq: int
    callback: Callable[..., object] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """A `Scheduler` whose time moves only in `advance()`; futures come from the running loop."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[ManualHandle] = []
        self._seq = itertools.count()

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> ManualHandle:
        handle = ManualHandle(self.now + delay, next(self._seq), callback, args)
        heapq.heappush(self._queue, handle)
        return handle

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def advance(self, seconds: float) -> None:
        """Fire, in order and at their own instants, the calls due up to now + `seconds`."""
        end = self.now + seconds
        while self._queue and self._queue[0].when <= end:
            handle = heapq.heappop(self._queue)
            if not handle.cancelled:
                self.now = handle.when
                handle.callback(*handle.args)
        self.now = end

    @property
    def pending(self) -> int:
        return sum(not h.cancelled for h in self._queue)


@dataclass
class Sent:
    at: float
    message: SipRequest | SipResponse
    addr: tuple[str, int]


class Wire:
    """A `Sender` that records what went out and when."""

    reliable = False  # UDP: retransmissions are the transactions' job

    def __init__(self, clock: ManualScheduler) -> None:
        self.clock = clock
        self.sent: list[Sent] = []

    def send(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        # through bytes and back, as the far end would see it
        self.sent.append(Sent(self.clock.now, SipMessage.parse(bytes(message)), addr))

    def times(self, method: str) -> list[float]:
        return [s.at for s in self.sent if isinstance(s.message, SipRequest) and s.message.method == method]


@dataclass
class Harness:
    clock: ManualScheduler
    wire: Wire
    table: TransactionTable
    responses: list[SipResponse] = field(default_factory=list)
    timeouts: int = 0

    def on_response(self, response: SipResponse) -> None:
        self.responses.append(response)

    def on_timeout(self) -> None:
        self.timeouts += 1


@pytest.fixture
def harness() -> Harness:
    clock = ManualScheduler()
    wire = Wire(clock)
    return Harness(clock, wire, TransactionTable(wire, TIMERS, scheduler=clock))


def request(method: str, *, cseq: int = 1, branch: str = BRANCH) -> SipRequest:
    req = SipRequest(method=method, uri="sip:0987654321@203.0.113.10")
    req.headers.append("Via", f"SIP/2.0/UDP 198.51.100.7:5060;branch={branch};rport")
    req.headers.set_single("Max-Forwards", "70")
    req.headers.set_single("From", '"Hotline" <sip:02873001234@203.0.113.10>;tag=4f2a9c1e')
    req.headers.set_single("To", "<sip:0987654321@203.0.113.10>")
    req.headers.set_single("Call-ID", "5b0e3c1f9d7a4e2b@198.51.100.7")
    req.headers.set_single("CSeq", f"{cseq} {method}")
    return req


def response(req: SipRequest, status: int, reason: str, *, tag: str = "as6d1f0b2c") -> SipResponse:
    resp = SipResponse(status_code=status, reason_phrase=reason)
    for via in req.headers.get("via"):
        resp.headers.append("Via", via.replace(";rport", ";rport=5060;received=198.51.100.7"))
    for name in ("From", "Call-ID", "CSeq"):
        resp.headers.set_single(name, req.headers.get_first(name) or "")
    to = req.headers.get_first("to") or ""
    resp.headers.set_single("To", to if status == 100 else f"{to};tag={tag}")
    parsed = SipMessage.parse(bytes(resp))  # as it arrives from the wire
    assert isinstance(parsed, SipResponse)
    return parsed


def send_invite(h: Harness) -> tuple[SipRequest, Any]:
    invite = request("INVITE")
    txn = h.table.send_invite(invite, TRUNK, on_response=h.on_response, on_timeout=h.on_timeout)
    return invite, txn


def send_bye(h: Harness) -> tuple[SipRequest, Any]:
    bye = request("BYE", cseq=2, branch="z9hG4bK-524287-1---0f1e2d3c4b5a6978")
    txn = h.table.send_request(bye, TRUNK, on_response=h.on_response, on_timeout=h.on_timeout)
    return bye, txn


# -- INVITE client transaction (§17.1.1) -------------------------------------------------


async def test_timer_a_doubles_from_t1_until_timer_b_gives_up_at_64_t1(harness):
    _, txn = send_invite(harness)

    harness.clock.advance(31.9)
    assert harness.wire.times("INVITE") == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert txn.state is State.CALLING and harness.timeouts == 0

    harness.clock.advance(0.1)  # Timer B = 64*T1 = 32 s
    assert harness.timeouts == 1
    assert txn.state is State.TERMINATED
    assert txn.done.result() is None
    assert len(harness.table) == 0
    assert harness.clock.pending == 0  # no timer left behind


async def test_timer_a_uses_the_t1_it_is_given(harness):
    table = TransactionTable(harness.wire, SipTimers(t1=0.1, timer_b=1.0), scheduler=harness.clock)
    table.send_invite(
        request("INVITE"), TRUNK, on_response=harness.on_response, on_timeout=harness.on_timeout
    )

    harness.clock.advance(1.0)

    assert harness.wire.times("INVITE") == pytest.approx([0.0, 0.1, 0.3, 0.7])
    assert harness.timeouts == 1


async def test_a_provisional_response_stops_timer_a_and_timer_b(harness):
    invite, txn = send_invite(harness)
    harness.clock.advance(0.2)

    assert harness.table.receive_response(response(invite, 100, "Trying"))
    harness.clock.advance(0.1)
    harness.table.receive_response(response(invite, 180, "Ringing"))
    harness.clock.advance(120)  # ringing longer than Timer B: the TU's ring timeout decides, not B

    assert harness.wire.times("INVITE") == [0.0]
    assert txn.state is State.PROCEEDING
    assert harness.timeouts == 0
    assert [r.status_code for r in harness.responses] == [100, 180]
    assert not txn.done.done()


async def test_a_busy_final_is_acked_on_the_invite_branch_and_again_for_each_retransmission(harness):
    invite, txn = send_invite(harness)
    busy = response(invite, 486, "Busy Here")
    harness.clock.advance(0.3)

    harness.table.receive_response(busy)
    harness.clock.advance(1.7)
    harness.table.receive_response(busy)  # the far end did not hear our ACK and resends

    acks = [s for s in harness.wire.sent if isinstance(s.message, SipRequest) and s.message.method == "ACK"]
    assert [a.at for a in acks] == [0.3, 2.0]
    ack = acks[0].message
    assert ack.via[0].branch == BRANCH  # a non-2xx ACK belongs to the INVITE's transaction (§17.1.1.3)
    assert ack.to_addr is not None and ack.to_addr.tag == "as6d1f0b2c"
    assert ack.headers.get_first("cseq") == "1 ACK"
    assert txn.state is State.COMPLETED
    assert txn.done.result() is busy
    assert [r.status_code for r in harness.responses] == [486]  # the retransmission is absorbed
    assert harness.wire.times("INVITE") == [0.0]  # Timer A stopped by the final


async def test_timer_d_ends_the_completed_invite_transaction(harness):
    invite, txn = send_invite(harness)
    harness.table.receive_response(response(invite, 486, "Busy Here"))

    harness.clock.advance(TIMERS.timer_d - 0.01)
    assert txn.state is State.COMPLETED and len(harness.table) == 1

    harness.clock.advance(0.01)
    assert txn.state is State.TERMINATED and len(harness.table) == 0
    assert not harness.table.receive_response(response(invite, 486, "Busy Here"))  # nobody left to ACK


async def test_a_2xx_is_left_to_the_tu_and_its_retransmissions_reach_it_until_timer_m(harness):
    invite, txn = send_invite(harness)
    ok = response(invite, 200, "OK")
    harness.clock.advance(1.0)  # after one retransmission

    harness.table.receive_response(ok)
    harness.clock.advance(4.0)
    harness.table.receive_response(ok)

    assert txn.state is State.ACCEPTED  # RFC 6026
    assert txn.done.result() is ok
    assert [r.status_code for r in harness.responses] == [200, 200]  # the TU ACKs each one
    assert harness.wire.times("ACK") == []  # a 2xx ACK is the TU's, not the transaction's
    assert harness.wire.times("INVITE") == [0.0, 0.5]

    harness.clock.advance(64 * TIMERS.t1 - 4.0)  # Timer M, counted from the first 2xx
    assert txn.state is State.TERMINATED
    assert not harness.table.receive_response(ok)


# -- non-INVITE client transaction (§17.1.2) ---------------------------------------------


async def test_timer_e_doubles_up_to_t2_until_timer_f_gives_up(harness):
    _, txn = send_bye(harness)

    harness.clock.advance(TIMERS.timer_f)

    assert harness.wire.times("BYE") == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert harness.timeouts == 1
    assert txn.state is State.TERMINATED
    assert txn.done.result() is None
    assert len(harness.table) == 0


async def test_after_a_provisional_timer_e_retransmits_every_t2(harness):
    bye, txn = send_bye(harness)
    harness.clock.advance(0.1)

    harness.table.receive_response(response(bye, 100, "Trying"))
    harness.clock.advance(9.0)

    # the retransmission already due at T1 goes out, then one every T2 (§17.1.2.2)
    assert harness.wire.times("BYE") == [0.0, 0.5, 4.5, 8.5]
    assert txn.state is State.PROCEEDING


async def test_timer_k_absorbs_retransmitted_finals_for_t4_then_ends(harness):
    bye, txn = send_bye(harness)
    ok = response(bye, 200, "OK")
    harness.clock.advance(0.2)

    harness.table.receive_response(ok)
    harness.clock.advance(TIMERS.t4 - 0.1)
    assert harness.table.receive_response(ok)  # matched, and absorbed

    assert [r.status_code for r in harness.responses] == [200]
    assert txn.state is State.COMPLETED
    assert txn.done.result() is ok
    assert harness.wire.times("BYE") == [0.0]

    harness.clock.advance(0.1)
    assert txn.state is State.TERMINATED
    assert not harness.table.receive_response(ok)
    assert harness.clock.pending == 0


async def test_a_response_on_another_branch_or_method_matches_no_transaction(harness):
    invite, _ = send_invite(harness)
    other_branch = response(request("INVITE", branch="z9hG4bK-other"), 200, "OK")
    cancel_answer = response(request("CANCEL"), 200, "OK")  # same branch, method CANCEL (§17.1.3)

    assert not harness.table.receive_response(other_branch)
    assert not harness.table.receive_response(cancel_answer)
    assert harness.table.receive_response(response(invite, 180, "Ringing"))


async def test_close_stops_every_timer(harness):
    send_invite(harness)
    send_bye(harness)

    harness.table.close()
    harness.clock.advance(100)

    assert harness.wire.times("INVITE") == [0.0] and harness.wire.times("BYE") == [0.0]
    assert harness.timeouts == 0
    assert len(harness.table) == 0


# -- server side: our responses resent for retransmitted requests (Timer J) -------------


async def test_a_retransmitted_request_gets_the_same_response_until_64_t1(harness):
    bye = request("BYE", cseq=3)
    ok = response(bye, 200, "OK")

    harness.table.answer(bye, ok)
    harness.clock.advance(64 * TIMERS.t1 - 0.1)
    assert harness.table.retransmitted(bye)

    harness.clock.advance(0.1)
    assert not harness.table.retransmitted(bye)
    sent = harness.wire.sent
    assert [s.at for s in sent] == [0.0, 31.9]
    assert all(s.addr == ("198.51.100.7", 5060) for s in sent)  # Via received + rport (RFC 3581)


# -- the ACK a transaction builds --------------------------------------------------------


def test_ack_for_non_2xx_copies_the_invite_and_takes_the_to_tag_of_the_final():
    invite = request("INVITE", cseq=7)
    invite.headers.append("Route", "<sip:203.0.113.1;lr>")
    declined = response(invite, 603, "Decline", tag="f00d")

    ack = ack_for_non_2xx(invite, declined)

    assert bytes(ack).decode() == (
        "ACK sip:0987654321@203.0.113.10 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 198.51.100.7:5060;branch={BRANCH};rport\r\n"
        "Max-Forwards: 70\r\n"
        'From: "Hotline" <sip:02873001234@203.0.113.10>;tag=4f2a9c1e\r\n'
        "Call-ID: 5b0e3c1f9d7a4e2b@198.51.100.7\r\n"
        "To: <sip:0987654321@203.0.113.10>;tag=f00d\r\n"
        "CSeq: 7 ACK\r\n"
        "Route: <sip:203.0.113.1;lr>\r\n"
        "Content-Length: 0\r\n"
        "\r\n"
    )
