"""Our session description and what we read from the far end's (RFC 4566, RFC 3264).

aiosipua parses and writes SDP; this module decides what to offer and answer and reads
the one audio stream a dialler needs from the far end's SDP:

* `LocalSdp` is our description for one call. Its `o=` session id is fixed for the call
  and its version increases by one only when what we describe changes (RFC 3264 §8: a
  refresh that repeats our last description keeps the version, a hold answer or a new
  codec list moves it).
* `remote_media` reads where to send RTP, which codec, which telephone-event payload
  type and which direction the far end asks for. It is lenient where RFC 4566 allows forms
  we have no use for (a port count on `m=`, a TTL on `c=`, extension bandwidth types,
  attributes we do not know, a malformed line about another payload type): such lines are
  left out, and only an SDP without a usable PCMU/PCMA audio stream is refused.
"""

from __future__ import annotations

import email
import re
import time
from dataclasses import dataclass

from aiosipua import (
    ConnectionData,
    MediaDescription,
    Origin,
    SdpMessage,
    SipRequest,
    SipResponse,
    TimingField,
    parse_sdp,
    serialize_sdp,
)

PCMU = 0
PCMA = 8
OFFER_DTMF_PT = 101  # the telephone-event payload type we offer; the far end may answer another
AUDIO_CODECS = {PCMU: "PCMU", PCMA: "PCMA"}

SENDRECV = "sendrecv"
SENDONLY = "sendonly"
RECVONLY = "recvonly"
INACTIVE = "inactive"
_DIRECTIONS = (SENDRECV, SENDONLY, RECVONLY, INACTIVE)
# RFC 3264 §6.1: the answer's direction mirrors the offer's
ANSWER_DIRECTION = {SENDRECV: SENDRECV, SENDONLY: RECVONLY, RECVONLY: SENDONLY, INACTIVE: INACTIVE}
UNSPECIFIED_ADDRESSES = ("0.0.0.0", "::")  # RFC 2543 hold: "do not send to me" (RFC 3264 §8.4)


class SdpAnswerError(ValueError):
    """The far end's SDP gives us no usable audio stream."""


@dataclass(frozen=True, slots=True)
class MediaAnswer:
    """What the far end's SDP settles for our one audio stream.

    `remote` is None when the far end gave no address to send to (`c=0.0.0.0`, the RFC 2543
    form of hold). `direction` is the far end's own direction (sendrecv, sendonly, ...).
    """

    remote: tuple[str, int] | None
    payload_type: int
    dtmf_payload_type: int | None
    direction: str = SENDRECV
    offered: tuple[int, ...] = ()  # every PCMU/PCMA payload type in the SDP, in its order

    @property
    def they_send(self) -> bool:
        return self.direction in (SENDRECV, SENDONLY)

    @property
    def they_receive(self) -> bool:
        return self.direction in (SENDRECV, RECVONLY) and self.remote is not None


class LocalSdp:
    """Our session description for one call: one `o=` session, versioned by content (RFC 3264 §5, §8)."""

    def __init__(self, host: str, rtp_port: int, *, session_id: int | None = None) -> None:
        self.host = host
        self.rtp_port = rtp_port
        self.session_id = session_id if session_id is not None else int(time.time() * 1000)
        self.version = self.session_id
        self._last: tuple[tuple[int, ...], str] | None = None  # (codecs, direction) described last
        self.direction = SENDRECV

    def offer(self, codecs: tuple[int, ...] = (PCMU, PCMA), direction: str = SENDRECV) -> str:
        """The SDP body for `codecs` and `direction`; a new version only if it differs from the last."""
        if self._last is not None and self._last != (codecs, direction):
            self.version += 1
        self._last = (codecs, direction)
        self.direction = direction
        message = _description(self.host, self.rtp_port, codecs, direction)
        message.origin = Origin(
            username="aicall",
            session_id=str(self.session_id),
            session_version=str(self.version),
            addr_type=_address_type(self.host),
            address=self.host,
        )
        return serialize_sdp(message)

    def answer(self, offer: MediaAnswer, payload_type: int) -> str:
        """Our answer to `offer`, keeping `payload_type` and mirroring its direction (RFC 3264 §6.1)."""
        return self.offer((payload_type,), ANSWER_DIRECTION[offer.direction])

    def repeat(self) -> str:
        """Our last description again (a refresh, or an offer in a 2xx): the version is unchanged."""
        return self.offer(*self._last) if self._last is not None else self.offer()


def _address_type(host: str) -> str:
    return "IP6" if ":" in host else "IP4"


def _description(host: str, rtp_port: int, codecs: tuple[int, ...], direction: str) -> SdpMessage:
    """PCMU/PCMA at 20 ms with RFC 4733 telephone-event on 101 (the o= line is filled in later)."""
    attributes: dict[str, list[str]] = {
        "rtpmap": [f"{pt} {AUDIO_CODECS[pt]}/8000" for pt in codecs]
        + [f"{OFFER_DTMF_PT} telephone-event/8000"],
        "fmtp": [f"{OFFER_DTMF_PT} 0-16"],
        "ptime": ["20"],
        direction: [],
    }
    audio = MediaDescription(
        media="audio",
        port=rtp_port,
        proto="RTP/AVP",
        formats=[str(pt) for pt in codecs] + [str(OFFER_DTMF_PT)],
        attributes=attributes,
    )
    address_type = _address_type(host)
    return SdpMessage(
        origin=Origin(
            username="aicall", session_id="0", session_version="0", addr_type=address_type, address=host
        ),
        session_name="aicall",
        connection=ConnectionData(addr_type=address_type, address=host),
        timing=TimingField(),
        media=[audio],
    )


def sdp_offer(host: str, rtp_port: int, *, codecs: tuple[int, ...] = (PCMU, PCMA)) -> SdpMessage:
    """A one-off offer as an SDP object (tests and tools; calls use `LocalSdp`)."""
    return parse_sdp(LocalSdp(host, rtp_port).offer(codecs))


# -- the far end's SDP ---------------------------------------------------------------------


def sdp_text(message: SipResponse | SipRequest) -> str | None:
    """The SDP a message carries: its body, or the `application/sdp` part of a multipart body
    (carriers interworking with ISDN add an ISUP part: RFC 3204, RFC 5621)."""
    if not message.body:
        return None
    full_type = message.content_type or ""
    content_type = full_type.split(";")[0].strip().lower()
    if content_type == "application/sdp":
        return message.text
    if not content_type.startswith("multipart/"):
        return None
    mime = email.message_from_bytes(b"Content-Type: " + full_type.encode() + b"\r\n\r\n" + message.body)
    for part in mime.walk():
        if part.get_content_type() == "application/sdp":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode("utf-8", errors="replace")
    return None


def has_sdp(message: SipResponse | SipRequest) -> bool:
    return sdp_text(message) is not None


def media_answer(message: SipResponse | SipRequest) -> MediaAnswer | None:
    """The usable audio stream in a message's SDP body; None if it carries no SDP.

    Raises `SdpAnswerError` when the SDP has no audio stream we can use.
    """
    text = sdp_text(message)
    if text is None:
        return None
    sdp = parse_leniently(text)
    audio = next((m for m in sdp.media if m.media.lower() == "audio" and m.port != 0), None)
    if audio is None:
        raise SdpAnswerError("no audio stream in the SDP answer")  # RFC 3264 §6: port 0 rejects it
    connection = audio.connection or sdp.connection
    if connection is None:
        raise SdpAnswerError("the SDP gives no connection address (c=) for audio")
    address = connection.address.split("/")[0]  # multicast TTL / count (RFC 4566 §5.7) is no use to us
    payload_type: int | None = None
    dtmf: int | None = None
    offered: list[int] = []
    for codec in audio.codecs:
        name = codec.encoding_name.upper()
        if name == "TELEPHONE-EVENT" and codec.clock_rate in (0, 8000):
            dtmf = codec.payload_type if dtmf is None else dtmf
        elif name in AUDIO_CODECS.values() or (not name and codec.payload_type in AUDIO_CODECS):
            # the payload type on the wire is theirs (a dynamic number for PCMA is legal); we
            # send G.711 on the static numbers, which every peer seen so far accepts
            pt = PCMA if name == "PCMA" or (not name and codec.payload_type == PCMA) else PCMU
            offered.append(pt)
            payload_type = pt if payload_type is None else payload_type
    if payload_type is None:
        raise SdpAnswerError(f"the SDP answer has neither PCMU nor PCMA: {audio.formats}")
    remote = None if address in UNSPECIFIED_ADDRESSES else (address, audio.port)
    return MediaAnswer(
        remote=remote,
        payload_type=payload_type,
        dtmf_payload_type=dtmf,
        direction=_direction(audio, sdp),
        offered=tuple(offered),
    )


def _direction(audio: MediaDescription, sdp: SdpMessage) -> str:
    """Media-level direction, else session-level, else sendrecv (RFC 3264 §5.1, RFC 4566 §6)."""
    for attributes in (audio.attributes, sdp.attributes):
        for direction in _DIRECTIONS:
            if direction in attributes:
                return direction
    return SENDRECV


_M_LINE = re.compile(r"^m=(\S+)\s+(\S+)\s+(\S+)(.*)$")


def parse_leniently(text: str) -> SdpMessage:
    """aiosipua's parser, after leaving out lines it cannot read and we do not need.

    RFC 4566 allows forms the library does not read (`m=audio 49170/2`, extension `b=`
    types) and peers write lines it chokes on (a malformed `a=rtpmap` for a payload type we
    never use). Each such line is dropped alone; the rest of the description stands.
    """
    try:
        return parse_sdp(text)
    except ValueError:
        pass
    kept: list[str] = []
    in_media = False
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        if line.startswith("m="):
            in_media = True
            kept.append(_media_line(line))
        elif _readable(line, in_media):
            kept.append(line)
    return parse_sdp("\r\n".join(kept) + "\r\n")


def _media_line(line: str) -> str:
    """`m=` with its port reduced to the first port (RFC 4566 §5.14 `<port>/<number of ports>`).

    An unreadable port makes the stream a rejected one (port 0) so that its attributes stay
    with it rather than joining the previous stream.
    """
    match = _M_LINE.match(line)
    if match is None:
        return "m=unknown 0 RTP/AVP"
    media, port, proto, formats = match.groups()
    port = port.split("/")[0]
    if not port.isdigit():
        port = "0"
    return f"m={media} {port} {proto}{formats}"


def _readable(line: str, in_media: bool) -> bool:
    probe = "v=0\r\n" + ("m=audio 9 RTP/AVP 0\r\n" if in_media else "") + line + "\r\n"
    try:
        parse_sdp(probe)
    except ValueError:
        return False
    return True
