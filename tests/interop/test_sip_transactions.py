"""RFC 3261 §17 over UDP, seen from a plain UDP socket that plays a silent or lazy trunk.

SIPp hides retransmissions from its scenario (it absorbs them), so the timing of ours is
checked here: a socket records when each datagram arrives, and answers (built with
aiosipua, as any peer would) only when the test says so.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiosipua import SipRequest

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.session import DialRequest, TrunkConfig
from aicall.telephony.sip import SipBackend

from .peers import Arrival, UdpPeer


def request_to(peer: UdpPeer, **overrides: object) -> DialRequest:
    values: dict[str, object] = {
        "call_id": "attempt-t",
        "to_number": "+84900000001",
        "from_number": "+84280000001",
        "ring_timeout": 30.0,
        "trunk": TrunkConfig(id="udp", host="127.0.0.1", port=peer.port),
    }
    values.update(overrides)
    return DialRequest(**values)  # type: ignore[arg-type]


def offsets(arrivals: list[Arrival]) -> list[float]:
    return [round(a.at - arrivals[0].at, 2) for a in arrivals]


def sdp_on(port: int) -> str:
    return (
        "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\n"
    )


async def test_unanswered_invite_is_retransmitted_on_the_doubling_timer_then_fails_408(
    peer: UdpPeer, backend: SipBackend
) -> None:
    result = await backend.originate(request_to(peer))

    invites = peer.requests("INVITE")
    # Timer A: 0, T1, 3*T1, 7*T1 (0.5 s doubling), then Timer B (4 s here) ends the transaction
    assert offsets(invites) == pytest.approx([0.0, 0.5, 1.5, 3.5], abs=0.2)
    assert {a.raw for a in invites} == {invites[0].raw}  # a retransmission is the same request
    assert (result.outcome, result.sip_code) == (CallOutcome.FAILED, 408)


async def test_provisional_response_stops_invite_retransmission(peer: UdpPeer, backend: SipBackend) -> None:
    dialling = asyncio.create_task(backend.originate(request_to(peer, ring_timeout=1.2)))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    peer.reply(invite.message, 180, "Ringing")
    [cancel] = await peer.wait_for("CANCEL", timeout=3.0)
    assert isinstance(cancel.message, SipRequest)
    peer.reply(cancel.message, 200, "OK")
    peer.reply(invite.message, 487, "Request Terminated")

    result = await dialling
    assert len(peer.requests("INVITE")) == 1
    assert (result.outcome, result.sip_code) == (CallOutcome.NO_ANSWER, 487)
    [ack] = await peer.wait_for("ACK")
    assert ack.message.via[0].branch == invite.message.via[0].branch  # non-2xx ACK: same transaction


async def test_cancel_is_retransmitted_until_answered_and_a_repeated_487_is_acked_again(
    peer: UdpPeer, backend: SipBackend
) -> None:
    dialling = asyncio.create_task(backend.originate(request_to(peer, ring_timeout=0.3)))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    peer.reply(invite.message, 180, "Ringing")

    cancels = await peer.wait_for("CANCEL", count=3, timeout=3.0)
    assert offsets(cancels) == pytest.approx([0.0, 0.5, 1.5], abs=0.2)
    assert isinstance(cancels[0].message, SipRequest)
    peer.reply(cancels[0].message, 200, "OK")
    peer.reply(invite.message, 487, "Request Terminated")
    await peer.wait_for("ACK")
    peer.reply(invite.message, 487, "Request Terminated")  # as if our ACK were lost
    acks = await peer.wait_for("ACK", count=2)

    result = await dialling
    assert result.outcome is CallOutcome.NO_ANSWER
    assert acks[0].raw == acks[1].raw
    await asyncio.sleep(0.8)
    assert len(peer.requests("CANCEL")) == 3  # answered: no more retransmissions


async def test_bye_is_retransmitted_until_answered_and_a_repeated_2xx_is_acked_again(
    peer: UdpPeer, backend: SipBackend
) -> None:
    dialling = asyncio.create_task(backend.originate(request_to(peer)))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as media:
        media.bind(("127.0.0.1", 0))
        peer.reply(invite.message, 200, "OK", sdp=sdp_on(media.getsockname()[1]))
        result = await dialling
        assert result.session is not None
        await peer.wait_for("ACK")
        peer.reply(invite.message, 200, "OK", sdp=sdp_on(media.getsockname()[1]))  # our ACK "lost"
        acks = await peer.wait_for("ACK", count=2)
        assert acks[0].raw == acks[1].raw
        assert acks[0].message.via[0].branch != invite.message.via[0].branch  # 2xx ACK: new transaction

        await result.session.hangup()
        byes = await peer.wait_for("BYE", count=3, timeout=3.0)
        assert offsets(byes) == pytest.approx([0.0, 0.5, 1.5], abs=0.2)
        assert isinstance(byes[0].message, SipRequest)
        peer.reply(byes[0].message, 200, "OK")
        await asyncio.sleep(2.3)
        assert len(peer.requests("BYE")) == 3


async def test_cancelled_dial_sends_cancel_and_still_acks_the_487(peer: UdpPeer, backend: SipBackend) -> None:
    dialling = asyncio.create_task(backend.originate(request_to(peer)))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    peer.reply(invite.message, 180, "Ringing")
    await asyncio.sleep(0.1)

    dialling.cancel()
    [cancel] = await peer.wait_for("CANCEL")
    assert isinstance(cancel.message, SipRequest)
    peer.reply(cancel.message, 200, "OK")
    peer.reply(invite.message, 487, "Request Terminated")
    [ack] = await peer.wait_for("ACK")

    assert dialling.cancelled()
    assert ack.message.via[0].branch == invite.message.via[0].branch


async def test_closing_the_backend_mid_ring_cancels_and_the_dial_fails(
    peer: UdpPeer, backend: SipBackend
) -> None:
    dialling = asyncio.create_task(backend.originate(request_to(peer)))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    peer.reply(invite.message, 183, "Session Progress")
    await asyncio.sleep(0.1)

    closing = asyncio.create_task(backend.close())
    result = await dialling
    [cancel] = await peer.wait_for("CANCEL")
    assert isinstance(cancel.message, SipRequest)
    peer.reply(cancel.message, 200, "OK")
    await closing

    assert result.outcome is CallOutcome.FAILED and result.session is None


async def test_answer_arriving_after_the_dial_was_cancelled_is_acked_and_hung_up(
    peer: UdpPeer, backend: SipBackend
) -> None:
    dialling = asyncio.create_task(backend.originate(request_to(peer)))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    dialling.cancel()  # before any provisional: no CANCEL may be sent yet
    await asyncio.sleep(0.1)
    assert peer.requests("CANCEL") == []

    peer.reply(invite.message, 200, "OK", sdp=sdp_on(9))
    await peer.wait_for("ACK")
    [bye] = await peer.wait_for("BYE")
    assert bye.message.call_id == invite.message.call_id
