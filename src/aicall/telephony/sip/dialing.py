"""One outbound call from INVITE to answer or outcome, then its dialog's in-call requests."""

from __future__ import annotations

import asyncio
import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiosipua import SipRequest, SipResponse, serialize_sdp
from aiosipua.auth import SipDigestAuth, answer_challenge
from aiosipua.dialog import dialog_matches

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.session import DialRequest, DialResult, TrunkConfig
from aicall.telephony.sip.media import MediaClock, PortPool, PromptCache, RtpStream
from aicall.telephony.sip.messages import (
    ALLOW,
    OFFER_DTMF_PT,
    Endpoint,
    MediaAnswer,
    SdpAnswerError,
    build_ack_for_2xx,
    build_cancel,
    build_in_dialog,
    build_invite,
    confirm_dialog,
    info_digit,
    learn_remote_tag,
    media_answer,
    new_dialog,
    response_to,
    sdp_offer,
    sip_uri,
)
from aicall.telephony.sip.outcomes import outcome_for_status
from aicall.telephony.sip.recording import Recorder, recording_path
from aicall.telephony.sip.session import SipCallSession
from aicall.telephony.sip.transactions import InviteClientTransaction, SipTimers, TransactionTable

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
    timers: SipTimers
    clock: MediaClock
    ports: PortPool
    prompts: PromptCache
    recordings_dir: Path | None
    wall_clock: Callable[[], datetime]
    forget: Callable[[str], None]  # drop a SIP Call-ID from the backend's routing table


class OutboundCall:
    """The UAC side of one dial: INVITE transaction(s), CANCEL, ACK, and the answered session."""

    def __init__(self, ctx: CallContext, request: DialRequest, trunk: TrunkConfig) -> None:
        self._ctx = ctx
        self._request = request
        self._trunk = trunk
        self._peer = (trunk.host, trunk.port)
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
        self._early: MediaAnswer | None = None
        self._stream: RtpStream | None = None
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
        )
        answered = False
        try:
            result = await self._negotiate()
            answered = result.outcome is CallOutcome.ANSWERED
            result.started_at = started_at
            return result
        except asyncio.CancelledError:
            self.abandon()
            raise
        finally:
            if not answered:
                self._stream.close()
                if not self._abandoned:
                    self._ctx.forget(self.sip_call_id)

    def abandon(self) -> None:
        """Give up a dial still in progress (caller cancelled, backend closing).

        A ringing INVITE is CANCELled; the call stays known for `cancel_wait` so that its
        final response is ACKed, and a 2xx that still comes is ACKed and hung up.
        """
        if self._abandoned or self.session is not None:
            return
        self._abandoned = True
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
            if event is _TIMER_B:  # the trunk never answered our INVITE
                return DialResult(CallOutcome.FAILED, 408, "no response from the trunk (Timer B)")
            if event is _CLOSING:
                return DialResult(CallOutcome.FAILED, None, "dial abandoned (backend closing)")
            assert isinstance(event, SipResponse)
            status = event.status_code
            if status < 200:
                self._provisional = True
                if status > 100:
                    learn_remote_tag(self.dialog, event)
                    self._early_media(event)
                if cancel_due and not self._cancelled:
                    self._cancel()
                    give_up_at = loop.time() + timers.cancel_wait
                continue
            if status < 300:
                if self._cancelled:
                    self._bye_unwanted()
                    return DialResult(
                        CallOutcome.NO_ANSWER, status, "answered after the ring timeout; hung up"
                    )
                return await self._answered(event)
            header = None if self._cancelled else self._credentials_for(event, auth_attempts)
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

    @property
    def _request_uri(self) -> str:
        return self.dialog.remote_target or self.dialog.remote_uri

    def _send_invite(self, auth_header: tuple[str, str] | None) -> None:
        assert self._stream is not None
        self.dialog.remote_tag = ""  # a retried INVITE starts a new early dialog
        offer = sdp_offer(self._ctx.me.host, self._stream.local_port)
        invite = build_invite(self.dialog, me=self._ctx.me, contact_user=self._contact_user, sdp=offer)
        if auth_header is not None:
            invite.headers.set_single(*auth_header)
        self._invite = invite
        self._invite_txn = self._ctx.transactions.send_invite(
            invite, self._peer, on_response=self._on_invite_response, on_timeout=self._on_timer_b
        )

    def _cancel(self) -> None:
        assert self._invite is not None
        logger.info("call %s: CANCEL", self._request.call_id)
        self._cancelled = True
        self._ctx.transactions.send_request(build_cancel(self._invite), self._peer)

    def _on_invite_response(self, response: SipResponse) -> None:
        if self._abandoned and response.status_code < 200:
            self._provisional = True
            if not self._cancelled:
                self._cancel()  # abandoned before any provisional: CANCEL now that one came
            return
        if 200 <= response.status_code < 300:
            # the TU ACKs every 2xx, retransmissions included (§13.2.2.4)
            if self._ack is None:
                confirm_dialog(self.dialog, response)
                self._ack = build_ack_for_2xx(self.dialog, response, me=self._ctx.me)
            else:
                self.resend_ack()
                return
            self._send(self._ack)
            if self._abandoned:
                self._bye_unwanted()
                return
        self._events.put_nowait(response)

    def resend_ack(self) -> None:
        """A 2xx came again: our ACK was lost."""
        if self._ack is not None:
            self._send(self._ack)

    def _send(self, message: SipRequest | SipResponse) -> None:
        self._ctx.transactions.sender.send(message, self._peer)

    def _on_timer_b(self) -> None:
        self._events.put_nowait(_TIMER_B)

    def _early_media(self, response: SipResponse) -> None:
        """183 (or 180) with SDP: listen to the far end's announcements before answer."""
        try:
            answer = media_answer(response)
        except SdpAnswerError:
            return
        if answer is None or self._stream is None:
            return
        self._early = answer
        self._configure(answer)
        self._stream.listen()

    def _configure(self, answer: MediaAnswer) -> None:
        assert self._stream is not None
        dtmf = {OFFER_DTMF_PT}
        if answer.dtmf_payload_type is not None:
            dtmf.add(answer.dtmf_payload_type)
        self._stream.configure(answer.remote, answer.payload_type, dtmf)

    def _bye_unwanted(self) -> None:
        bye = build_in_dialog(self.dialog, "BYE", me=self._ctx.me, contact_user=self._contact_user)
        self._ctx.transactions.send_request(bye, self._peer)

    async def _answered(self, response: SipResponse) -> DialResult:
        try:
            answer = media_answer(response) or self._early
        except SdpAnswerError as exc:
            answer = None
            reason = str(exc)
        else:
            reason = "the 2xx carried no SDP answer"
        if answer is None:
            self._bye_unwanted()
            return DialResult(CallOutcome.FAILED, 488, reason)
        self._configure(answer)
        assert self._stream is not None
        recorder = None
        if self._request.record and self._ctx.recordings_dir is not None:
            recorder = Recorder(recording_path(self._ctx.recordings_dir, self._request.call_id))
        self.session = SipCallSession(
            call_id=self._request.call_id,
            dialog=self.dialog,
            peer=self._peer,
            me=self._ctx.me,
            contact_user=self._contact_user,
            transactions=self._ctx.transactions,
            stream=self._stream,
            prompts=self._ctx.prompts,
            recorder=recorder,
            wall_clock=self._ctx.wall_clock,
            refer_domain=self._trunk.from_domain or self._trunk.host,
            on_ended=lambda _session: self._ctx.forget(self.sip_call_id),
        )
        self.session.begin(max_duration=self._request.max_duration, dead_media=self._ctx.timers.dead_media)
        logger.info("call %s answered (%s)", self._request.call_id, self.sip_call_id)
        return DialResult(
            CallOutcome.ANSWERED,
            response.status_code,
            response.reason_phrase,
            session=self.session,
            answered_at=self._ctx.wall_clock(),
        )

    # -- media callbacks ----------------------------------------------------------------

    def _digit(self, digit: str) -> None:
        if self.session is not None:
            self.session.digit_received(digit)

    def _prompt_done(self) -> None:
        if self.session is not None:
            self.session.prompt_finished()

    # -- requests from the far end within this call's dialog --------------------------

    def handle_request(self, request: SipRequest) -> None:
        method = request.method.upper()
        transactions = self._ctx.transactions
        if method == "OPTIONS":
            response = response_to(request, 200)
            response.headers.set_single("Allow", ALLOW)
            transactions.answer(request, response)
            return
        if not dialog_matches(self.dialog, request):
            transactions.answer(request, response_to(request, 481))
            return
        if method == "BYE":
            transactions.answer(request, response_to(request, 200))
            if self.session is not None:
                self.session.remote_hangup()
        elif method == "INFO":
            transactions.answer(request, response_to(request, 200))
            digit = info_digit(request)
            if digit is not None:
                self._digit(digit)
        elif method in ("NOTIFY", "UPDATE"):
            transactions.answer(request, response_to(request, 200))
        elif method == "INVITE":
            self._reinvite(request)
        else:
            response = response_to(request, 501)
            response.headers.set_single("Allow", ALLOW)
            transactions.answer(request, response)

    def _reinvite(self, request: SipRequest) -> None:
        """A session refresh or a media move: follow the new address, keep our codec."""
        assert self._stream is not None
        try:
            offer = media_answer(request)
        except SdpAnswerError:
            self._ctx.transactions.answer(request, response_to(request, 488))
            return
        if offer is not None:
            dtmf = {OFFER_DTMF_PT}
            if offer.dtmf_payload_type is not None:
                dtmf.add(offer.dtmf_payload_type)
            self._stream.configure(offer.remote, self._stream.payload_type, dtmf)
        response = response_to(request, 200)
        response.headers.set_single("Contact", f"<sip:{self._contact_user}@{self._ctx.me.hostport}>")
        response.headers.set_single("Content-Type", "application/sdp")
        answer = sdp_offer(self._ctx.me.host, self._stream.local_port, codecs=(self._stream.payload_type,))
        response.text = serialize_sdp(answer)
        self._ctx.transactions.answer(request, response)


def _stale(response: SipResponse, status: int) -> bool:
    header = response.get_header("WWW-Authenticate" if status == 401 else "Proxy-Authenticate") or ""
    return "stale=true" in header.replace(" ", "").lower()
