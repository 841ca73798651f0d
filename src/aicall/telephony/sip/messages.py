"""The SIP requests and responses of an outbound call, built from aiosipua's message model.

Nothing here parses SIP text: aiosipua does (`SipMessage.parse`, `parse_sdp`); this module
only fills in the headers RFC 3261 asks for in the few messages a dialler sends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiosipua import (
    ConnectionData,
    Dialog,
    DialogState,
    MediaDescription,
    Origin,
    SdpMessage,
    SipRequest,
    SipResponse,
    TimingField,
    Via,
    generate_branch,
    generate_call_id,
    generate_tag,
    parse_sdp,
    serialize_sdp,
    stringify_uri,
    stringify_via,
)
from aiosipua.dialog import _default_reason

USER_AGENT = "aicall"
ALLOW = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, NOTIFY, REFER, UPDATE"

PCMU = 0
PCMA = 8
OFFER_DTMF_PT = 101  # the telephone-event payload type we offer; the far end may answer another
AUDIO_CODECS = {PCMU: "PCMU", PCMA: "PCMA"}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Our signalling address as written in Via and Contact (may differ from the bound one)."""

    host: str
    port: int

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"


def sip_uri(user: str, host: str, port: int | None = None) -> str:
    return f"sip:{user}@{host}" + (f":{port}" if port and port != 5060 else "")


def new_dialog(*, local_uri: str, remote_uri: str, host: str) -> Dialog:
    """An early UAC dialog: our tag chosen, theirs learnt from the responses."""
    return Dialog(
        call_id=generate_call_id(host),
        local_tag=generate_tag(),
        local_uri=local_uri,
        remote_uri=remote_uri,
        remote_target=remote_uri,
        state=DialogState.EARLY,
    )


def build_invite(
    dialog: Dialog, *, me: Endpoint, contact_user: str, sdp: SdpMessage, display_name: str = ""
) -> SipRequest:
    """An INVITE for `dialog` with the next CSeq and a fresh branch (a retry is a new transaction)."""
    invite = dialog.create_request("INVITE", via_host=me.host, via_port=me.port)
    if display_name:
        invite.headers.set_single("From", f'"{display_name}" <{dialog.local_uri}>;tag={dialog.local_tag}')
    invite.headers.set_single("Contact", f"<sip:{contact_user}@{me.hostport}>")
    invite.headers.set_single("Allow", ALLOW)
    invite.headers.set_single("User-Agent", USER_AGENT)
    invite.headers.set_single("Content-Type", "application/sdp")
    invite.text = serialize_sdp(sdp)
    return invite


def build_cancel(invite: SipRequest) -> SipRequest:
    """CANCEL of a pending INVITE: same Request-URI, top Via, From, To, Call-ID (§9.1)."""
    cancel = SipRequest(method="CANCEL", uri=invite.uri)
    cancel.headers.append("Via", invite.headers.get("via")[0])
    for name in ("From", "To", "Call-ID"):
        value = invite.headers.get_first(name)
        if value is not None:
            cancel.headers.set_single(name, value)
    cseq = invite.cseq
    cancel.headers.set_single("CSeq", f"{cseq.seq if cseq else 1} CANCEL")
    cancel.headers.set_single("Max-Forwards", "70")
    for route in invite.headers.get("route"):
        cancel.headers.append("Route", route)
    return cancel


def build_ack_for_2xx(dialog: Dialog, response: SipResponse, *, me: Endpoint) -> SipRequest:
    """The TU's ACK of a 2xx: new branch, the INVITE's CSeq number, the dialog's route (§13.2.2.4)."""
    ack = SipRequest(method="ACK", uri=dialog.remote_target or dialog.remote_uri)
    via = Via(host=me.host, port=me.port, params={"branch": generate_branch(), "rport": None})
    ack.headers.append("Via", stringify_via(via))
    ack.headers.set_single("From", f"<{dialog.local_uri}>;tag={dialog.local_tag}")
    ack.headers.set_single("To", f"<{dialog.remote_uri}>;tag={dialog.remote_tag}")
    ack.headers.set_single("Call-ID", dialog.call_id)
    cseq = response.cseq
    ack.headers.set_single("CSeq", f"{cseq.seq if cseq else dialog.local_cseq} ACK")
    ack.headers.set_single("Max-Forwards", "70")
    for route in dialog.route_set:
        ack.headers.append("Route", route)
    return ack


def build_in_dialog(
    dialog: Dialog,
    method: str,
    *,
    me: Endpoint,
    contact_user: str,
    body: str = "",
    content_type: str = "",
    headers: dict[str, str] | None = None,
) -> SipRequest:
    request = dialog.create_request(method, via_host=me.host, via_port=me.port)
    if method in ("INVITE", "REFER", "UPDATE"):
        request.headers.set_single("Contact", f"<sip:{contact_user}@{me.hostport}>")
    for name, value in (headers or {}).items():
        request.headers.set_single(name, value)
    if body:
        request.text = body
        request.headers.set_single("Content-Type", content_type)
    return request


def confirm_dialog(dialog: Dialog, response: SipResponse) -> None:
    """Fill in what a 2xx teaches: remote tag, remote target, route set (§12.1.2)."""
    learn_remote_tag(dialog, response)
    contacts = response.contact
    if contacts:
        dialog.remote_target = stringify_uri(contacts[0].uri)
    # the UAC's route set is the Record-Route list in reverse
    dialog.route_set = list(reversed(response.headers.get("record-route")))
    dialog.confirm()


def learn_remote_tag(dialog: Dialog, response: SipResponse) -> None:
    to = response.to_addr
    if to is not None and to.tag:
        dialog.remote_tag = to.tag


def response_to(
    request: SipRequest, status: int, reason: str = "", *, to_tag: str | None = None
) -> SipResponse:
    """A response echoing Via, From, To, Call-ID and CSeq of `request` (§8.2.6.2)."""
    response = SipResponse(status_code=status, reason_phrase=reason or _default_reason(status) or "Unknown")
    for via in request.headers.get("via"):
        response.headers.append("Via", via)
    for name in ("From", "To", "Call-ID", "CSeq"):
        value = request.headers.get_first(name)
        if value is not None:
            response.headers.set_single(name, value)
    to = request.to_addr
    if to_tag and to is not None and not to.tag:
        response.headers.set_single("To", f"{request.headers.get_first('to')};tag={to_tag}")
    response.headers.set_single("User-Agent", USER_AGENT)
    return response


# -- SDP ---------------------------------------------------------------------------------


def sdp_offer(host: str, rtp_port: int, *, codecs: tuple[int, ...] = (PCMU, PCMA)) -> SdpMessage:
    """Our offer: PCMU and PCMA at 20 ms, and RFC 4733 telephone-event for the digits.

    With one codec in `codecs` it is also our answer to a re-INVITE (we keep the codec).
    """
    attributes: dict[str, list[str]] = {
        "rtpmap": [f"{pt} {AUDIO_CODECS[pt]}/8000" for pt in codecs]
        + [f"{OFFER_DTMF_PT} telephone-event/8000"],
        "fmtp": [f"{OFFER_DTMF_PT} 0-16"],
        "ptime": ["20"],
        "sendrecv": [],
    }
    audio = MediaDescription(
        media="audio",
        port=rtp_port,
        proto="RTP/AVP",
        formats=[str(pt) for pt in codecs] + [str(OFFER_DTMF_PT)],
        attributes=attributes,
    )
    session_id = str(int(time.time() * 1000))
    address_type = "IP6" if ":" in host else "IP4"
    return SdpMessage(
        origin=Origin(
            username="aicall",
            session_id=session_id,
            session_version=session_id,
            addr_type=address_type,
            address=host,
        ),
        session_name="aicall",
        connection=ConnectionData(addr_type=address_type, address=host),
        timing=TimingField(),
        media=[audio],
    )


@dataclass(frozen=True, slots=True)
class MediaAnswer:
    """What the far end's SDP settles: where to send RTP, which codec, which DTMF payload type."""

    remote: tuple[str, int]
    payload_type: int
    dtmf_payload_type: int | None


class SdpAnswerError(ValueError):
    """The far end's SDP gives us no usable audio stream."""


def media_answer(response: SipResponse | SipRequest) -> MediaAnswer | None:
    """The usable audio stream in a message's SDP body; None if it carries no SDP."""
    content_type = (response.content_type or "").split(";")[0].strip().lower()
    if not response.body or content_type != "application/sdp":
        return None
    sdp = parse_sdp(response.text)
    audio = sdp.audio
    remote = sdp.rtp_address
    if audio is None or remote is None or audio.port == 0:
        raise SdpAnswerError("no audio stream in the SDP answer")
    payload_type: int | None = None
    dtmf: int | None = None
    for codec in audio.codecs:
        name = codec.encoding_name.upper()
        if name == "TELEPHONE-EVENT" and codec.clock_rate in (0, 8000) and dtmf is None:
            dtmf = codec.payload_type
        elif payload_type is None and (name in AUDIO_CODECS.values() or codec.payload_type in AUDIO_CODECS):
            payload_type = PCMA if name == "PCMA" or (not name and codec.payload_type == PCMA) else PCMU
    if payload_type is None:
        raise SdpAnswerError(f"the SDP answer has neither PCMU nor PCMA: {audio.formats}")
    return MediaAnswer(remote=remote, payload_type=payload_type, dtmf_payload_type=dtmf)


# -- SIP INFO digits -----------------------------------------------------------------------

_INFO_DIGITS = set("0123456789*#ABCD")


def info_digit(request: SipRequest) -> str | None:
    """The key of an INFO carrying `application/dtmf-relay` or `application/dtmf`, if any."""
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    text = request.text.strip()
    if content_type == "application/dtmf-relay":
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                text = value.strip()
                break
        else:
            return None
    elif content_type != "application/dtmf":
        return None
    digit = {"10": "*", "11": "#"}.get(text, text.upper())
    return digit if digit in _INFO_DIGITS else None
