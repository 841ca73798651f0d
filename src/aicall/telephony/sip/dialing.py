"""One outbound call from INVITE to answer or outcome; its dialog then lives in `midcall`."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiosipua import SipRequest, SipResponse
from aiosipua.auth import SipDigestAuth, answer_challenge

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.telephony.session import DialRequest, DialResult, TrunkConfig
from aicall.telephony.sip.media import MediaClock, PortPool, PromptCache, RtpStream
from aicall.telephony.sip.messages import (
    Endpoint,
    build_ack_for_2xx,
    build_cancel,
    build_in_dialog,
    build_invite,
    build_prack,
    confirm_dialog,
    learn_remote_tag,
    new_dialog,
    option_tags,
    sip_uri,
)
from aicall.telephony.sip.midcall import CallDialog
from aicall.telephony.sip.outcomes import outcome_for_status
from aicall.telephony.sip.recording import Recorder, recording_path
from aicall.telephony.sip.sdp import SENDRECV, LocalSdp, MediaAnswer, media_answer
from aicall.telephony.sip.session import SipCallSession
from aicall.telephony.sip.transactions import InviteClientTransaction, Sender, SipTimers, TransactionTable

logger = logging.getLogger(__name__)


class _Signal(enum.Enum):
    TIMER_B = "timer_b"  # the INVITE transaction timed out
    CLOSING = "closing"  # the dial was abandoned


_TIMER_B = _Signal.TIMER_B
_CLOSING = _Signal.CLOSING
MAX_AUTH_ATTEMPTS = 2  # a second challenge is answered only when it says the nonce went stale


@dataclass(slots=True)
class CallContext:
    """What every call of one backend shares."""

    me: Endpoint
    transactions: TransactionTable
    transports: dict[str, Sender]  # by lower-case name: "udp", "tcp"
    timers: SipTimers
    clock: MediaClock
    ports: PortPool
    prompts: PromptCache
    recordings_dir: Path | None
    wall_clock: Callable[[], datetime]
    forget: Callable[[str], None]  # drop a SIP Call-ID from the backend's routing table
    symmetric_rtp: bool = True

    def transport_for(self, trunk: TrunkConfig) -> Sender:
        return self.transports[trunk.transport.lower()]


class OutboundCall:
    """The UAC side of one dial: INVITE transaction(s), PRACK, CANCEL, ACK, then its `CallDialog`.

    Once a 2xx has been ACKed the far end's leg is up: from then on every way out of
    `dial()` other than an answered session (an SDP we cannot use, an error of ours, the
    caller giving up) sends our BYE and reports the 2xx's code (RFC 3261 §15).
    """

    def __init__(self, ctx: CallContext, request: DialRequest, trunk: TrunkConfig) -> None:
        self._ctx = ctx
        self._request = request
        self._trunk = trunk
        self._peer = (trunk.host, trunk.port)
        self._transport = ctx.transport_for(trunk)
        self._me = ctx.me.over(trunk.transport)
        domain = trunk.from_domain or trunk.host
        self._contact_user = request.from_number.lstrip("+") or "aicall"
        self.dialog = new_dialog(
            local_uri=sip_uri(request.from_number, domain),
            remote_uri=sip_uri(request.to_number, trunk.host, trunk.port),
            host=ctx.me.host,
        )
        self._auth = (
            SipDigestAuth(trunk.username, trunk.password or "") if trunk.username is not None else None
        )
        self._events: asyncio.Queue[SipResponse | _Signal] = asyncio.Queue()
        self._provisional = False  # a 1xx arrived: CANCEL is allowed (§9.1)
        self._cancelled = False
        self._abandoned = False
        self._invite: SipRequest | None = None
        self._invite_txn: InviteClientTransaction | None = None
        self._ack: SipRequest | None = None
        self._answer_status: int | None = None  # the 2xx we ACKed
        self._bye_sent = False
        self._early: MediaAnswer | None = None
        self._stream: RtpStream | None = None
        self._sdp: LocalSdp | None = None
        self._session_expires: int | None = None  # asked for after a 422 (RFC 4028 §6)
        self._last_auth: tuple[str, str] | None = None  # the INVITE's credentials, for a retry
        self._acknowledged_rseq: dict[str, int] = {}  # by To tag: highest RSeq PRACKed (RFC 3262 §4)
        self.midcall: CallDialog | None = None
        self.session: SipCallSession | None = None

    @property
    def sip_call_id(self) -> str:
        return self.dialog.call_id

    # -- the dial -----------------------------------------------------------------------

    async def dial(self) -> DialResult:
        started_at = self._ctx.wall_clock()
        self._stream = RtpStream(
            self._ctx.ports.open(),
            self._ctx.clock,
            on_digit=self._digit,
            on_prompt_done=self._prompt_done,
            latch=self._ctx.symmetric_rtp,
        )
        self._sdp = LocalSdp(self._ctx.me.host, self._stream.local_port)
        self.midcall = CallDialog(
            call_id=self._request.call_id,
            dialog=self.dialog,
            me=self._me,
            contact_user=self._contact_user,
            peer=self._peer,
            transport=self._transport,
            transactions=self._ctx.transactions,
            timers=self._ctx.timers,
            stream=self._stream,
            local_sdp=self._sdp,
        )
        answered = False
        try:
            result = await self._negotiate()
            answered = result.outcome is CallOutcome.ANSWERED
        except asyncio.CancelledError:
            self.abandon()
            raise
        except Exception as exc:
            # a fault of ours must not leave the far end's leg up, nor escape as a crash
            logger.exception("call %s: dialling failed", self._request.call_id)
            if self.session is not None:
                self.session.expire(EndReason.ERROR)  # its BYE
                self.session = None
            else:
                self._bye_if_confirmed()
            result = DialResult(CallOutcome.FAILED, self._answer_status, f"error while dialling: {exc}")
        finally:
            if not answered:
                self._stream.close()
                if self.midcall is not None:
                    self.midcall.stop()
                if not self._abandoned:
                    self._ctx.forget(self.sip_call_id)
        result.started_at = started_at
        return result

    def abandon(self) -> None:
        """Give up a dial still in progress (caller cancelled, backend closing).

        A ringing INVITE is CANCELled; the call stays known for `cancel_wait` so that its
        final response is ACKed, and a 2xx that still comes is ACKed and hung up. A 2xx
        already ACKed is hung up now.
        """
        if self._abandoned or self.session is not None:
            return
        self._abandoned = True
        self._bye_if_confirmed()
        if (
            self._provisional
            and self._invite_txn is not None
            and self._invite_txn.pending
            and not self._cancelled
        ):
            self._cancel()
        self._events.put_nowait(_CLOSING)
        asyncio.get_running_loop().call_later(
            self._ctx.timers.cancel_wait, self._ctx.forget, self.sip_call_id
        )

    async def _negotiate(self) -> DialResult:
        loop = asyncio.get_running_loop()
        timers = self._ctx.timers
        self._send_invite(None)
        ring_deadline = loop.time() + self._request.ring_timeout
        give_up_at = math.inf  # after our CANCEL: how long we wait for the INVITE's final
        cancel_due = False  # ring timeout passed before any provisional
        auth_attempts = 0
        interval_retried = False
        while True:
            deadline = give_up_at if self._cancelled else ring_deadline
            try:
                async with asyncio.timeout(
                    max(0.0, deadline - loop.time()) if deadline != math.inf else None
                ):
                    event = await self._events.get()
            except TimeoutError:
                if self._cancelled:
                    return DialResult(CallOutcome.NO_ANSWER, 487, "ring timeout; no final response to CANCEL")
                ring_deadline = math.inf
                if self._provisional:
                    self._cancel()
                    give_up_at = loop.time() + timers.cancel_wait
                else:
                    cancel_due = True  # a CANCEL may only follow a provisional response (§9.1)
                continue
            if event is _TIMER_B:
                if self._invite_txn is not None and self._invite_txn.transport_error:
                    return DialResult(
                        CallOutcome.FAILED, 503, f"cannot reach the trunk over {self._me.transport}"
                    )
                return DialResult(CallOutcome.FAILED, 408, "no response from the trunk (Timer B)")
            if event is _CLOSING:
                return DialResult(CallOutcome.FAILED, None, "dial abandoned (backend closing)")
            assert isinstance(event, SipResponse)
            status = event.status_code
            if status < 200:
                self._provisional = True
                if status > 100:
                    self._on_provisional(event)
                if cancel_due and not self._cancelled:
                    self._cancel()
                    give_up_at = loop.time() + timers.cancel_wait
                continue
            if status < 300:
                if self._cancelled:
                    self._bye_if_confirmed()
                    return DialResult(
                        CallOutcome.NO_ANSWER, status, "answered after the ring timeout; hung up"
                    )
                return self._answered(event)
            if self._cancelled:
                header = None
            elif status == 422 and not interval_retried:
                interval_retried = self._retry_with_min_se(event)
                if interval_retried:
                    continue
                header = None
            else:
                header = self._credentials_for(event, auth_attempts)
            if header is not None:
                auth_attempts += 1
                self._send_invite(header)
                continue
            reason = "ring timeout" if self._cancelled and status == 487 else event.reason_phrase
            return DialResult(outcome_for_status(status), status, reason)

    def _credentials_for(self, response: SipResponse, attempts: int) -> tuple[str, str] | None:
        """The Authorization header answering a 401/407, if we have credentials and may retry."""
        status = response.status_code
        if status not in (401, 407) or self._auth is None or attempts >= MAX_AUTH_ATTEMPTS:
            return None
        if attempts and not _stale(response, status):
            return None  # the same credentials were refused once: a retry would loop
        return answer_challenge(self._auth, response, status, "INVITE", self._request_uri)

    def _retry_with_min_se(self, response: SipResponse) -> bool:
        """422 Session Interval Too Small: ask again with the far end's Min-SE (RFC 4028 §6)."""
        value = (response.get_header("Min-SE") or "").split(";")[0].strip()
        if not value.isdigit():
            return False
        self._session_expires = int(value)
        self._send_invite(self._last_auth)
        return True

    @property
    def _request_uri(self) -> str:
        return self.dialog.remote_target or self.dialog.remote_uri

    def _send_invite(self, auth_header: tuple[str, str] | None) -> None:
        assert self._sdp is not None
        self._last_auth = auth_header
        self.dialog.remote_tag = ""  # a retried INVITE starts a new early dialog
        headers = dict(_identity_headers(self._request))
        if self._session_expires is not None:
            headers["Session-Expires"] = str(self._session_expires)
            headers["Min-SE"] = str(self._session_expires)
        invite = build_invite(
            self.dialog,
            me=self._me,
            contact_user=self._contact_user,
            sdp=self._sdp.repeat(),  # a retry offers the same session, same version (RFC 3264 §8)
            headers=headers,
        )
        if auth_header is not None:
            invite.headers.set_single(*auth_header)
        self._invite = invite
        self._invite_txn = self._ctx.transactions.send_invite(
            invite,
            self._peer,
            on_response=self._on_invite_response,
            on_timeout=self._on_timer_b,
            transport=self._transport,
        )

    def _cancel(self) -> None:
        assert self._invite is not None
        logger.info("call %s: CANCEL", self._request.call_id)
        self._cancelled = True
        self._ctx.transactions.send_request(build_cancel(self._invite), self._peer, transport=self._transport)

    def _on_invite_response(self, response: SipResponse) -> None:
        status = response.status_code
        if 100 < status < 200 and not self._first_reliable(response):
            return  # a reliable provisional we already PRACKed, sent again
        if self._abandoned and status < 200:
            self._provisional = True
            if not self._cancelled:
                self._cancel()  # abandoned before any provisional: CANCEL now that one came
            return
        if 200 <= status < 300:
            # the TU ACKs every 2xx, retransmissions included (§13.2.2.4)
            if self._ack is None:
                confirm_dialog(self.dialog, response)
                self._ack = build_ack_for_2xx(self.dialog, response, me=self._me)
                self._answer_status = status
            else:
                self.resend_ack()
                return
            self._send(self._ack)
            if self._abandoned:
                self._bye_if_confirmed()
                return
        self._events.put_nowait(response)

    def _first_reliable(self, response: SipResponse) -> bool:
        """PRACK a reliable provisional (RFC 3262 §4); False for one already PRACKed."""
        if "100rel" not in option_tags(response, "require"):
            return True
        rseq_text = (response.get_header("RSeq") or "").strip()
        if not rseq_text.isdigit():
            return True
        to = response.to_addr
        tag = (to.tag if to is not None else None) or ""
        rseq = int(rseq_text)
        last = self._acknowledged_rseq.get(tag)
        if last is not None and rseq <= last:
            return False  # our PRACK is on its way (retransmitted by its own transaction)
        self._acknowledged_rseq[tag] = rseq
        prack = build_prack(self.dialog, response, me=self._me)
        if prack is not None:
            self._ctx.transactions.send_request(prack, self._peer, transport=self._transport)
        return True

    def resend_ack(self) -> None:
        """A 2xx came again: our ACK was lost."""
        if self._ack is not None:
            self._send(self._ack)

    def _send(self, message: SipRequest | SipResponse) -> None:
        self._transport.send(message, self._peer)

    def _on_timer_b(self) -> None:
        self._events.put_nowait(_TIMER_B)

    def _on_provisional(self, response: SipResponse) -> None:
        """18x: learn the early dialog's tag; with SDP, listen to early media."""
        learn_remote_tag(self.dialog, response)
        try:
            answer = media_answer(response)
        except ValueError:  # no usable early media: the 2xx may still bring an answer
            return
        if answer is None or self._stream is None:
            return
        self._early = answer
        self._configure(answer)
        self._stream.listen()

    def _configure(self, answer: MediaAnswer) -> None:
        assert self.midcall is not None
        self.midcall.apply_answer(answer)

    def _bye_if_confirmed(self) -> None:
        """BYE for a 2xx we ACKed but will not use (once)."""
        if self._ack is None or self._bye_sent or self.session is not None:
            return
        self._bye_sent = True
        bye = build_in_dialog(self.dialog, "BYE", me=self._me, contact_user=self._contact_user)
        self._ctx.transactions.send_request(bye, self._peer, transport=self._transport)

    def _answered(self, response: SipResponse) -> DialResult:
        status = response.status_code
        try:
            answer = media_answer(response) or self._answer_from_early_media()
        except ValueError as exc:  # SdpAnswerError, or an SDP beyond even lenient reading
            answer = None
            reason = f"unusable SDP in the {status}: {exc}"
        else:
            reason = f"the {status} carried no SDP answer"
        if answer is None:
            self._bye_if_confirmed()
            return DialResult(CallOutcome.FAILED, 488, reason)
        self._configure(answer)
        assert self._stream is not None and self.midcall is not None
        self.session = SipCallSession(
            call_id=self._request.call_id,
            dialog=self.dialog,
            peer=self._peer,
            me=self._me,
            contact_user=self._contact_user,
            transactions=self._ctx.transactions,
            stream=self._stream,
            prompts=self._ctx.prompts,
            recorder=self._recorder(),
            wall_clock=self._ctx.wall_clock,
            refer_domain=self._trunk.from_domain or self._trunk.host,
            on_ended=self._ended,
            transport=self._transport,
        )
        self.midcall.session = self.session
        self.session.begin(max_duration=self._request.max_duration, dead_media=self._ctx.timers.dead_media)
        self.midcall.answered(response)
        logger.info("call %s answered (%s)", self._request.call_id, self.sip_call_id)
        return DialResult(
            CallOutcome.ANSWERED,
            status,
            response.reason_phrase,
            session=self.session,
            answered_at=self._ctx.wall_clock(),
        )

    def _answer_from_early_media(self) -> MediaAnswer | None:
        """A 2xx without SDP keeps the 18x's answer, but not its direction: gateways mark
        ringback and announcements `sendonly`, and the answered call is two-way."""
        if self._early is None:
            return None
        return dataclasses.replace(self._early, direction=SENDRECV)

    def _recorder(self) -> Recorder | None:
        """The call's recorder; a recording that cannot start leaves the call unrecorded, not failed."""
        if not self._request.record or self._ctx.recordings_dir is None:
            return None
        try:
            return Recorder(recording_path(self._ctx.recordings_dir, self._request.call_id))
        except Exception:
            logger.exception(
                "call %s: recording cannot start; the call goes on unrecorded", self._request.call_id
            )
            return None

    def _ended(self, _session: SipCallSession) -> None:
        if self.midcall is not None:
            self.midcall.stop()
        self._ctx.forget(self.sip_call_id)

    # -- media callbacks ----------------------------------------------------------------

    def _digit(self, digit: str) -> None:
        if self.session is not None:
            self.session.digit_received(digit)

    def _prompt_done(self) -> None:
        if self.session is not None:
            self.session.prompt_finished()

    # -- requests from the far end within this call's dialog --------------------------

    def handle_request(self, request: SipRequest, *, transport: Sender, source: tuple[str, int]) -> None:
        assert self.midcall is not None
        self.midcall.handle_request(request, transport=transport, source=source)

    def handle_ack(self, request: SipRequest) -> None:
        if self.midcall is not None:
            self.midcall.handle_ack(request)


def _identity_headers(request: DialRequest) -> list[tuple[str, str]]:
    """P-Asserted-Identity and Privacy when the dial asks for them (RFC 3325 §9.1, RFC 3323 §4.2)."""
    headers: list[tuple[str, str]] = []
    identity = request.asserted_identity
    if identity:
        if not identity.startswith(("<", "sip:", "sips:", "tel:")):
            identity = f"tel:{identity}"  # a bare number (RFC 3966)
        headers.append(("P-Asserted-Identity", identity if identity.startswith("<") else f"<{identity}>"))
    if request.privacy:
        headers.append(("Privacy", request.privacy))
    return headers


def _stale(response: SipResponse, status: int) -> bool:
    header = response.get_header("WWW-Authenticate" if status == 401 else "Proxy-Authenticate") or ""
    return "stale=true" in header.replace(" ", "").lower()
