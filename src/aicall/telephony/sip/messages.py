"""The SIP requests and responses of an outbound call, built from aiosipua's message model.

Nothing here parses SIP text: aiosipua does (`SipMessage.parse`, `parse_sdp`); this module
only fills in the headers RFC 3261 asks for in the few messages a dialler sends.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from aiosipua import (
    Dialog,
    DialogState,
    SipRequest,
    SipResponse,
    Via,
    generate_branch,
    generate_call_id,
    generate_tag,
    stringify_uri,
    stringify_via,
)
from aiosipua.dialog import _default_reason

USER_AGENT = "aicall"
ALLOW = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, NOTIFY, REFER, UPDATE, PRACK"
# RFC 3262 reliable provisionals and RFC 4028 session timers: both are answered, so say so
SUPPORTED = "100rel, timer"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Our signalling address as written in Via and Contact (may differ from the bound one)."""

    host: str
    port: int
    transport: str = "UDP"  # as written in Via: UDP or TCP (RFC 3261 §18)

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def contact(self, user: str) -> str:
        """Our Contact for `user`; over TCP it says so, so in-dialog requests come back on TCP."""
        params = "" if self.transport == "UDP" else f";transport={self.transport.lower()}"
        return f"<sip:{user}@{self.hostport}{params}>"

    def over(self, transport: str) -> Endpoint:
        return dataclasses.replace(self, transport=transport.upper())


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
    dialog: Dialog,
    *,
    me: Endpoint,
    contact_user: str,
    sdp: str,
    display_name: str = "",
    headers: dict[str, str] | None = None,
) -> SipRequest:
    """An INVITE for `dialog` with the next CSeq and a fresh branch (a retry is a new transaction)."""
    invite = dialog.create_request("INVITE", via_host=me.host, via_port=me.port, via_transport=me.transport)
    if display_name:
        invite.headers.set_single("From", f'"{display_name}" <{dialog.local_uri}>;tag={dialog.local_tag}')
    invite.headers.set_single("Contact", me.contact(contact_user))
    invite.headers.set_single("Allow", ALLOW)
    invite.headers.set_single("Supported", SUPPORTED)
    invite.headers.set_single("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        invite.headers.set_single(name, value)
    invite.headers.set_single("Content-Type", "application/sdp")
    invite.text = sdp
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
    via = Via(
        transport=me.transport,
        host=me.host,
        port=me.port,
        params={"branch": generate_branch(), "rport": None},
    )
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
    request = dialog.create_request(method, via_host=me.host, via_port=me.port, via_transport=me.transport)
    if method in ("INVITE", "REFER", "UPDATE"):
        request.headers.set_single("Contact", me.contact(contact_user))
    for name, value in (headers or {}).items():
        request.headers.set_single(name, value)
    if body:
        request.text = body
        request.headers.set_single("Content-Type", content_type)
    return request


def build_prack(dialog: Dialog, provisional: SipResponse, *, me: Endpoint) -> SipRequest | None:
    """PRACK for a reliable provisional response (RFC 3262 §7.2), within its early dialog.

    The early dialog's target and route set come from the provisional itself (§12.1.2), not
    from the dialog we keep for the final answer, which they must not change.
    """
    rseq = (provisional.get_header("RSeq") or "").strip()
    cseq = provisional.cseq
    if not rseq.isdigit() or cseq is None:
        return None
    early = dataclasses.replace(dialog, route_set=list(reversed(provisional.headers.get("record-route"))))
    learn_remote_tag(early, provisional)
    contacts = provisional.contact
    if contacts:
        early.remote_target = stringify_uri(contacts[0].uri)
    prack = early.create_request("PRACK", via_host=me.host, via_port=me.port, via_transport=me.transport)
    dialog.local_cseq = early.local_cseq  # PRACK takes a CSeq of the dialog's sequence
    prack.headers.set_single("RAck", f"{rseq} {cseq.seq} {cseq.method}")
    prack.headers.set_single("User-Agent", USER_AGENT)
    return prack


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


def option_tags(message: SipRequest | SipResponse, header: str) -> set[str]:
    """The option tags of a Require/Supported header (comma lists, any case; RFC 3261 §20.32)."""
    tags: set[str] = set()
    for value in message.headers.get(header.lower()):
        tags.update(tag.strip().lower() for tag in value.split(",") if tag.strip())
    return tags


def allows(message: SipRequest | SipResponse, method: str) -> bool:
    """Whether the message's Allow header lists `method` (absent Allow: unknown, so False)."""
    return method.lower() in option_tags(message, "allow")
