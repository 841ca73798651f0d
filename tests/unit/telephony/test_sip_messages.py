"""SIP wire objects on their own: captured messages through `parse()` and `bytes()`, and the
messages `telephony/sip/messages.py` builds compared with captures of the same call.

The captures in `sip_captures/` are one outbound call to an Asterisk trunk (INVITE, 100, 180,
183, 200, ACK, INFO, BYE, 200), its failure branches (CANCEL, 487, 486 and its ACK, 401), and
a gateway that writes compact names and folded lines. They are stored with LF line ends for
readable diffs; `capture()` restores SIP's CRLF. `sip_captures/normalised/` holds how a
capture that is not in aiosipua's canonical form (comma lists, compact names, folding) comes
back from a round trip.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosipua import Dialog, DialogState, SipMessage, SipRequest, SipResponse

from aicall.telephony.sip.messages import (
    Endpoint,
    build_ack_for_2xx,
    build_cancel,
    build_invite,
    confirm_dialog,
    info_digit,
    learn_remote_tag,
    new_dialog,
    response_to,
)
from aicall.telephony.sip.sdp import PCMA, PCMU, LocalSdp, MediaAnswer, SdpAnswerError, media_answer
from aicall.telephony.sip.transactions import ack_for_non_2xx

CAPTURES = Path(__file__).parent / "sip_captures"
ME = Endpoint("198.51.100.7", 5060)
CANONICAL = [
    "trying_100",
    "session_progress_183",
    "ack_2xx",
    "info_dtmf_relay",
    "bye_from_trunk",
    "ok_200_bye",
    "cancel",
    "terminated_487",
    "busy_486",
    "ack_486",
    "unauthorized_401",
]
NORMALISED = ["invite", "ringing_180", "ok_200_invite", "ok_200_compact"]


def raw(name: str, folder: Path = CAPTURES) -> bytes:
    return (folder / f"{name}.sip").read_bytes().replace(b"\n", b"\r\n")


def capture(name: str) -> SipRequest | SipResponse:
    return SipMessage.parse(raw(name))


def request(name: str) -> SipRequest:
    message = capture(name)
    assert isinstance(message, SipRequest)
    return message


def response(name: str) -> SipResponse:
    message = capture(name)
    assert isinstance(message, SipResponse)
    return message


def headers(message: SipMessage) -> list[tuple[str, list[str]]]:
    # names are matched without case (RFC 3261 §7.3.1); `bytes()` writes them in one spelling
    return [(name.lower(), values) for name, values in message.headers.items()]


def dialog_of_the_captured_call() -> Dialog:
    """The UAC dialog our INVITE capture opened, before any response."""
    return Dialog(
        call_id="5b0e3c1f9d7a4e2b8c6d0f1a@198.51.100.7",
        local_tag="4f2a9c1e",
        local_uri="sip:02873001234@203.0.113.10",
        remote_uri="sip:0987654321@203.0.113.10",
        remote_target="sip:0987654321@203.0.113.10",
        local_cseq=1,
        state=DialogState.EARLY,
    )


# -- round trips ---------------------------------------------------------------------------


def test_every_capture_is_covered_by_a_round_trip_test():
    assert sorted(p.stem for p in CAPTURES.glob("*.sip")) == sorted(CANONICAL + NORMALISED)


@pytest.mark.parametrize("name", CANONICAL)
def test_a_canonical_capture_comes_back_byte_for_byte(name):
    assert bytes(capture(name)) == raw(name)


@pytest.mark.parametrize("name", NORMALISED)
def test_comma_lists_compact_names_and_folded_lines_come_back_in_canonical_form(name):
    assert bytes(capture(name)) == raw(name, CAPTURES / "normalised")


@pytest.mark.parametrize("name", CANONICAL + NORMALISED)
def test_a_second_round_trip_changes_nothing(name):
    once = capture(name)
    twice = SipMessage.parse(bytes(once))

    assert bytes(twice) == bytes(once)
    assert headers(twice) == headers(once)  # every value kept, in order
    assert twice.body == once.body


def test_compact_names_are_expanded_and_folded_lines_joined():
    ok = response("ok_200_compact")

    assert ok.status_code == 200
    assert ok.call_id == "5b0e3c1f9d7a4e2b8c6d0f1a@198.51.100.7"
    assert ok.cseq is not None and (ok.cseq.seq, ok.cseq.method) == (1, "INVITE")
    assert ok.to_addr is not None and ok.to_addr.tag == "8812C4D-1F0"
    assert ok.via[0].branch == "z9hG4bK-7c1d2e3f4a5b6c7d"
    assert ok.headers.get("record-route") == ["<sip:192.0.2.1;lr;ftag=4f2a9c1e>", "<sip:192.0.2.2;lr>"]
    assert ok.headers.get_first("p-asserted-identity") == '"Khach hang" <sip:0987654321@192.0.2.44>'
    assert ok.content_type == "application/sdp"
    assert ok.content_length == len(ok.body) == 238


def test_the_body_is_cut_at_content_length():
    # datagram padding or a second message glued on must not become SDP (RFC 3261 §18.3)
    with_trailing_bytes = raw("session_progress_183") + b"\r\n\r\n"
    assert bytes(SipMessage.parse(with_trailing_bytes)) == raw("session_progress_183")


# -- the messages we build, compared with the captured call ----------------------------------


def test_our_cancel_is_the_captured_cancel():
    # same Request-URI, top Via (so the same branch), From, To, Call-ID and CSeq number (§9.1)
    assert bytes(build_cancel(request("invite"))) == raw("cancel")


def test_the_transaction_ack_of_a_busy_is_the_captured_ack():
    ack = ack_for_non_2xx(request("invite"), response("busy_486"))
    assert bytes(ack) == raw("ack_486")


def test_our_200_to_a_bye_echoes_its_vias_from_to_call_id_and_cseq():
    ok = response_to(request("bye_from_trunk"), 200)
    assert bytes(ok) == raw("ok_200_bye")


def test_a_2xx_confirms_the_dialog_and_our_ack_follows_its_route_set():
    dialog = dialog_of_the_captured_call()
    ok = response("ok_200_invite")

    confirm_dialog(dialog, ok)
    ack = build_ack_for_2xx(dialog, ok, me=ME)

    assert dialog.state is DialogState.CONFIRMED
    assert dialog.remote_tag == "as6d1f0b2c"
    assert dialog.remote_target == "sip:0987654321@203.0.113.20:5060"  # the 200's Contact
    # a 2xx ACK is a new transaction (§13.2.2.4): only its branch differs from the capture
    branch = ack.via[0].branch
    assert branch and branch.startswith("z9hG4bK") and branch != "z9hG4bK-7c1d2e3f4a5b6c7d"
    assert bytes(ack) == raw("ack_2xx").replace(b"z9hG4bK-0a9b8c7d6e5f4a3b", branch.encode())


def test_a_provisional_response_teaches_the_remote_tag_without_confirming():
    dialog = dialog_of_the_captured_call()
    ringing = response("ringing_180")

    learn_remote_tag(dialog, ringing)

    assert dialog.remote_tag == "as6d1f0b2c"
    assert dialog.state is DialogState.EARLY


def test_the_invite_we_build_survives_the_wire():
    dialog = new_dialog(
        local_uri="sip:02873001234@203.0.113.10", remote_uri="sip:0987654321@203.0.113.10", host=ME.host
    )
    invite = build_invite(
        dialog,
        me=ME,
        contact_user="02873001234",
        sdp=LocalSdp(ME.host, 40000).offer(),
        display_name="Hotline",
    )

    parsed = SipMessage.parse(bytes(invite))

    assert isinstance(parsed, SipRequest)
    assert (parsed.method, parsed.uri) == ("INVITE", "sip:0987654321@203.0.113.10")
    assert (
        parsed.headers.get_first("from") == f'"Hotline" <sip:02873001234@203.0.113.10>;tag={dialog.local_tag}'
    )
    assert parsed.headers.get_first("contact") == "<sip:02873001234@198.51.100.7:5060>"
    assert parsed.headers.get_first("max-forwards") == "70"
    assert parsed.cseq is not None and (parsed.cseq.seq, parsed.cseq.method) == (1, "INVITE")
    assert parsed.via[0].branch and parsed.via[0].branch.startswith("z9hG4bK")  # RFC 3261 magic cookie
    assert parsed.body == invite.body
    # our own offer read back as if it were the answer: PCMU first, RFC 4733 digits on 101
    assert media_answer(parsed) == MediaAnswer(("198.51.100.7", 40000), PCMU, 101, offered=(PCMU, PCMA))


# -- SDP answers and INFO digits in the captures ---------------------------------------------


def test_the_answer_settles_address_codec_and_digit_payload_type():
    assert media_answer(response("ok_200_invite")) == MediaAnswer(
        ("203.0.113.20", 17320), PCMA, 101, offered=(PCMA,)
    )
    # Asterisk's early media is one-way: its 183 says sendonly
    assert media_answer(response("session_progress_183")) == MediaAnswer(
        ("203.0.113.20", 17320), PCMA, 101, direction="sendonly", offered=(PCMA,)
    )
    assert media_answer(response("ok_200_compact")) == MediaAnswer(
        ("192.0.2.44", 16384), PCMU, 96, offered=(PCMU,)
    )


def test_the_sdp_part_of_a_multipart_body_is_the_answer():
    # a carrier interworking with ISDN sends SDP beside an ISUP part (RFC 3204)
    ok = response("ok_200_invite")
    sdp = ok.text
    ok.headers.set_single("Content-Type", 'multipart/mixed;boundary="unique-boundary-1"')
    ok.text = (
        "--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\n"
        + sdp
        + "\r\n--unique-boundary-1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n"
        + "Content-Disposition: signal;handling=optional\r\n\r\n\x01\x00\x49\r\n--unique-boundary-1--\r\n"
    )

    assert media_answer(ok) == MediaAnswer(("203.0.113.20", 17320), PCMA, 101, offered=(PCMA,))


def test_a_message_without_sdp_has_no_media_answer():
    assert media_answer(response("ringing_180")) is None
    assert media_answer(request("info_dtmf_relay")) is None  # a body, but not SDP


def test_an_answer_with_neither_pcmu_nor_pcma_is_refused():
    ok = response("ok_200_invite")
    ok.text = ok.text.replace("RTP/AVP 8 101", "RTP/AVP 18 101").replace("8 PCMA/8000", "18 G729/8000")

    with pytest.raises(SdpAnswerError, match="neither PCMU nor PCMA"):
        media_answer(ok)


def test_an_answer_that_rejects_the_audio_stream_is_refused():
    ok = response("ok_200_invite")
    ok.text = ok.text.replace("m=audio 17320", "m=audio 0")

    with pytest.raises(SdpAnswerError, match="no audio stream"):
        media_answer(ok)


def test_a_dtmf_relay_info_carries_its_key():
    assert info_digit(request("info_dtmf_relay")) == "5"


@pytest.mark.parametrize(
    ("content_type", "body", "key"),
    [
        ("application/dtmf-relay", "Signal=11\r\nDuration=100\r\n", "#"),
        ("application/dtmf-relay", "signal= 10\r\n", "*"),
        ("application/dtmf", "9", "9"),
        ("application/dtmf", "x", None),
        ("application/dtmf-relay", "Duration=100\r\n", None),
        ("text/plain", "5", None),
    ],
)
def test_info_digit_reads_both_dtmf_bodies(content_type, body, key):
    info = request("info_dtmf_relay")
    info.headers.set_single("Content-Type", content_type)
    info.text = body

    assert info_digit(info) == key
