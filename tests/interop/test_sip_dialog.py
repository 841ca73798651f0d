"""The dialog after the INVITE: odd SDP in the 2xx, hold and resume (RFC 3264), UPDATE
(RFC 3311), session timers (RFC 4028), reliable provisionals (RFC 3262) and the identity
headers a trunk may ask for (RFC 3325). Issue 15, faults 2 and 3, and what carriers require."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiosipua import SipRequest, SipResponse, parse_sdp

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.telephony.session import TrunkConfig
from aicall.telephony.sip import SipBackend

from .conftest import SCENARIOS, Sipp, answered_by, assert_sipp_ok, dial_request, offer_in_dialog
from .peers import MediaSocket, UdpPeer, sdp_body

# -- fault 2: the 2xx's SDP --------------------------------------------------------------------


async def test_sdp_forms_we_do_not_use_in_the_200_are_passed_over_and_the_call_goes_on(
    sipp: Sipp, backend: SipBackend
) -> None:
    await sipp.start("answer_odd_sdp.xml")

    result = await backend.originate(dial_request(sipp.trunk()))

    assert result.outcome is CallOutcome.ANSWERED, result
    assert result.session is not None and result.session.stream.payload_type == 8
    await result.session.hangup()
    assert_sipp_ok(await sipp.wait())


async def test_a_200_without_usable_audio_is_hung_up_with_bye_and_its_code_kept(
    sipp: Sipp, backend: SipBackend
) -> None:
    text = (SCENARIOS / "answer_odd_sdp.xml").read_text()
    text = text.replace("RTP/AVP 96 8 101", "RTP/AVP 96 18 101").replace("8 PCMA/8000", "18 G729/8000")
    scenario = sipp.workdir / "g729_only.xml"
    scenario.write_text(text)
    await sipp.start(scenario)

    result = await backend.originate(dial_request(sipp.trunk()))

    assert (result.outcome, result.sip_code, result.session) == (CallOutcome.FAILED, 488, None)
    assert "neither PCMU nor PCMA" in result.reason
    assert_sipp_ok(await sipp.wait())  # our BYE reached it


# -- fault 3: hold, UPDATE, session timers ------------------------------------------------------


def described(response: SipResponse) -> tuple[int, str]:
    """(o= version, direction) of the SDP in our response."""
    sdp = parse_sdp(response.text)
    audio = sdp.audio
    assert audio is not None
    return int(sdp.origin.session_version), audio.direction


async def test_hold_is_answered_as_rfc_3264_says_and_our_version_moves_only_when_our_sdp_does(
    peer: UdpPeer, live_backend: SipBackend, media_socket: Callable[[], Awaitable[MediaSocket]]
) -> None:
    media = await media_socket()
    invite, result = await answered_by(live_backend, peer, media.port)
    assert result.session is not None
    offered = int(parse_sdp(invite.text).origin.session_version)
    loop = asyncio.get_running_loop()
    answers: list[tuple[int, str]] = []
    rtp_while: dict[str, int] = {}
    for step, (direction, version) in enumerate(
        [("sendonly", 2), ("sendonly", 3), ("inactive", 4), ("sendrecv", 5), ("sendrecv", 6)]
    ):
        ok = await offer_in_dialog(
            peer, invite, "INVITE", sdp_body(media.port, direction=direction, version=version)
        )
        assert ok.status_code == 200
        answers.append(described(ok))
        await asyncio.sleep(0.1)
        at = loop.time()
        await asyncio.sleep(0.3)
        rtp_while[f"{step}:{direction}"] = media.count_since(at)
    await result.session.hangup()

    assert answers == [
        (offered + 1, "recvonly"),  # sendonly -> recvonly (RFC 3264 §6.1); our SDP changed
        (offered + 1, "recvonly"),  # the same offer again: the same answer, the same version (§8)
        (offered + 2, "inactive"),  # inactive -> inactive
        (offered + 3, "sendrecv"),  # resumed
        (offered + 3, "sendrecv"),  # a refresh changes nothing
    ]
    assert rtp_while["0:sendonly"] == rtp_while["1:sendonly"] == rtp_while["2:inactive"] == 0
    assert rtp_while["3:sendrecv"] >= 8 and rtp_while["4:sendrecv"] >= 8


async def test_our_2xx_to_a_reinvite_is_retransmitted_until_its_ack(
    peer: UdpPeer, live_backend: SipBackend
) -> None:
    invite, result = await answered_by(live_backend, peer, 9)
    assert result.session is not None

    peer.send_in_dialog(invite, "INVITE", sdp=sdp_body(9, direction="sendonly", version=2))  # never ACKed
    await asyncio.sleep(1.7)
    oks = peer.responses("INVITE")
    await result.session.hangup()

    assert len(oks) == 3  # at 0, T1 and 3*T1 (RFC 3261 §13.3.1.4), T1 = 0.5 s here
    assert len({bytes(ok) for ok in oks}) == 1


async def test_an_update_with_an_offer_is_answered_with_sdp(
    peer: UdpPeer, live_backend: SipBackend, media_socket: Callable[[], Awaitable[MediaSocket]]
) -> None:
    media = await media_socket()
    invite, result = await answered_by(live_backend, peer, media.port)
    assert result.session is not None

    held = await offer_in_dialog(
        peer, invite, "UPDATE", sdp_body(media.port, direction="sendonly", version=2)
    )
    refresh = await offer_in_dialog(peer, invite, "UPDATE")  # no body: a refresh, no offer
    await asyncio.sleep(0.1)
    at = asyncio.get_running_loop().time()
    await asyncio.sleep(0.3)
    while_held = media.count_since(at)
    await result.session.hangup()

    assert held.status_code == 200 and held.content_type == "application/sdp"
    assert described(held)[1] == "recvonly"  # RFC 3311 §5.2: the answer is in the 2xx
    assert refresh.status_code == 200 and not refresh.body
    assert while_held == 0


async def test_as_refresher_we_send_update_at_half_the_session_interval(
    peer: UdpPeer, live_backend: SipBackend
) -> None:
    timer = {"Session-Expires": "2;refresher=uac", "Require": "timer", "Allow": "INVITE, ACK, BYE, UPDATE"}
    invite, result = await answered_by(live_backend, peer, 9, headers=timer)
    assert result.session is not None
    loop = asyncio.get_running_loop()
    answered_at = loop.time()

    [first] = await peer.wait_for("UPDATE", timeout=3.0)
    assert isinstance(first.message, SipRequest)
    peer.reply(first.message, 200, "OK", headers={"Session-Expires": "2;refresher=uac", "Require": "timer"})
    updates = await peer.wait_for("UPDATE", count=2, timeout=3.0)
    second = updates[1]
    assert isinstance(second.message, SipRequest)
    peer.reply(second.message, 200, "OK", headers={"Session-Expires": "2;refresher=uac"})
    await result.session.hangup()

    assert 0.8 < first.at - answered_at < 1.4  # half of 2 s (RFC 4028 §10)
    assert 0.8 < second.at - first.at < 1.4
    assert first.message.headers.get_first("session-expires") == "2;refresher=uac"
    assert not first.message.body  # a refresh that changes no media carries no offer (RFC 4028 §9)
    assert "timer" in invite.headers.get("supported")


async def test_as_refresher_without_update_we_refresh_with_the_same_sdp_by_reinvite(
    peer: UdpPeer, live_backend: SipBackend
) -> None:
    timer = {"Session-Expires": "2;refresher=uac", "Allow": "INVITE, ACK, BYE, CANCEL"}
    invite, result = await answered_by(live_backend, peer, 9, headers=timer)
    assert result.session is not None

    invites = await peer.wait_for("INVITE", count=2, timeout=3.0)
    refresh = invites[1].message
    assert isinstance(refresh, SipRequest)
    # the far end offers too before answering ours: glare, its offer waits (RFC 3261 §14.2)
    peer.send_in_dialog(invite, "INVITE", sdp=sdp_body(9, direction="sendonly", version=2))
    [glare] = await peer.wait_response("INVITE")
    peer.reply(refresh, 200, "OK", sdp=sdp_body(9, version=2), headers={"Session-Expires": "2;refresher=uac"})
    acks = await peer.wait_for("ACK", count=2, timeout=2.0)
    await result.session.hangup()

    # same session, same version: nothing in our description changed (RFC 3264 §8)
    assert parse_sdp(refresh.text).origin == parse_sdp(invite.text).origin
    assert glare.status_code == 491
    assert acks[1].message.cseq is not None and refresh.cseq is not None
    assert acks[1].message.cseq.seq == refresh.cseq.seq


async def test_a_session_the_far_end_stops_refreshing_is_ended_with_bye(
    peer: UdpPeer, live_backend: SipBackend
) -> None:
    timer = {"Session-Expires": "3;refresher=uas", "Require": "timer", "Allow": "INVITE, ACK, BYE, UPDATE"}
    _, result = await answered_by(live_backend, peer, 9, headers=timer)
    assert result.session is not None
    loop = asyncio.get_running_loop()
    answered_at = loop.time()

    [bye] = await peer.wait_for("BYE", timeout=4.0)

    assert 1.7 < bye.at - answered_at < 2.6  # 3 - min(32, 3/3) s without a refresh (RFC 4028 §10)
    assert result.session.end_reason is EndReason.DEAD_MEDIA


async def test_the_far_ends_session_refresh_is_answered_with_its_interval(
    peer: UdpPeer, live_backend: SipBackend
) -> None:
    invite, result = await answered_by(live_backend, peer, 9)
    assert result.session is not None

    ok = await offer_in_dialog(
        peer, invite, "UPDATE", headers={"Session-Expires": "90;refresher=uac", "Supported": "timer"}
    )
    await result.session.hangup()

    assert ok.status_code == 200
    assert ok.headers.get_first("session-expires") == "90;refresher=uac"
    assert ok.headers.get_first("require") == "timer"


# -- what carriers commonly require ----------------------------------------------------------


async def test_a_reliable_provisional_is_pracked_once(peer: UdpPeer, live_backend: SipBackend) -> None:
    peer.auto_answer.add("BYE")
    trunk = TrunkConfig(id="udp", host="127.0.0.1", port=peer.port)
    dialling = asyncio.create_task(live_backend.originate(dial_request(trunk)))
    [invite] = await peer.wait_for("INVITE")
    request = invite.message
    assert isinstance(request, SipRequest)
    reliable = {"Require": "100rel", "RSeq": "7"}
    peer.reply(request, 183, "Session Progress", sdp=sdp_body(9), headers=reliable)
    [prack] = await peer.wait_for("PRACK", timeout=2.0)
    assert isinstance(prack.message, SipRequest)
    peer.reply(prack.message, 200, "OK")
    peer.reply(
        request, 183, "Session Progress", sdp=sdp_body(9), headers=reliable
    )  # as if our PRACK were lost
    await asyncio.sleep(0.3)
    peer.reply(request, 200, "OK", sdp=sdp_body(9))
    result = await dialling
    assert result.session is not None
    await result.session.hangup()

    assert "100rel" in request.headers.get("supported")
    assert prack.message.headers.get_first("rack") == f"7 {request.cseq.seq if request.cseq else 0} INVITE"
    assert prack.message.uri == f"sip:peer@127.0.0.1:{peer.port}"  # the 183's Contact (RFC 3262 §7.2)
    assert len(peer.requests("PRACK")) == 1


async def test_the_invite_asserts_the_identity_the_dial_asks_for(
    peer: UdpPeer, live_backend: SipBackend
) -> None:
    trunk = TrunkConfig(id="udp", host="127.0.0.1", port=peer.port)
    request = dial_request(trunk, asserted_identity="sip:+842812345678@carrier.example", privacy="id")
    dialling = asyncio.create_task(live_backend.originate(request))
    [invite] = await peer.wait_for("INVITE")
    assert isinstance(invite.message, SipRequest)
    peer.reply(invite.message, 486, "Busy Here")
    await dialling

    assert invite.message.headers.get_first("p-asserted-identity") == "<sip:+842812345678@carrier.example>"
    assert invite.message.headers.get_first("privacy") == "id"
