"""A call's dialog once the INVITE is out: the far end's requests, and session timers.

* re-INVITE and UPDATE (RFC 3311) with an SDP offer: we follow the new address and
  direction, keep our codec when it is still offered, and answer with the mirrored
  direction (RFC 3264 §6.1: `sendonly` -> `recvonly`, `inactive` -> `inactive`). Our `o=`
  version moves only when our answer differs from what we described last (§8). While the
  far end holds us (`sendonly`/`inactive`, or `c=0.0.0.0` as in RFC 2543) we send no RTP.
  A re-INVITE without SDP gets our description as an offer and its ACK carries the answer.
* Our 2xx to a re-INVITE is retransmitted over UDP until its ACK comes (RFC 3261
  §13.3.1.4); without an ACK after 64*T1 the call is ended with BYE.
* Session timers (RFC 4028): the interval and refresher come from the 2xx to our INVITE or
  from the far end's refresh requests (answered with `Session-Expires` and
  `Require: timer`). When we are the refresher we send UPDATE (re-INVITE if the far end
  does not allow UPDATE) at half the interval; when they are, a session not refreshed in
  time is ended with our BYE (§10), as is one whose refresh gets 408 or 481 or no answer.
"""

from __future__ import annotations

import asyncio
import logging
import random

from aiosipua import Dialog, SipRequest, SipResponse, stringify_uri
from aiosipua.dialog import dialog_matches, remote_cseq_valid
from aiosipua.session_timer import REFRESH_FRACTION, parse_session_expires, watchdog_delay

from aicall.calls.outcomes import EndReason
from aicall.telephony.sip.media import RtpStream
from aicall.telephony.sip.messages import (
    ALLOW,
    SUPPORTED,
    Endpoint,
    allows,
    build_ack_for_2xx,
    build_in_dialog,
    info_digit,
    option_tags,
    response_to,
)
from aicall.telephony.sip.sdp import OFFER_DTMF_PT, LocalSdp, MediaAnswer, has_sdp, media_answer
from aicall.telephony.sip.session import SipCallSession
from aicall.telephony.sip.transactions import Sender, SipTimers, TransactionTable, is_reliable

logger = logging.getLogger(__name__)


class CallDialog:
    """The dialog of one outbound call: what the far end asks mid-call, and our refreshes."""

    def __init__(
        self,
        *,
        call_id: str,
        dialog: Dialog,
        me: Endpoint,
        contact_user: str,
        peer: tuple[str, int],
        transport: Sender,
        transactions: TransactionTable,
        timers: SipTimers,
        stream: RtpStream,
        local_sdp: LocalSdp,
    ) -> None:
        self.call_id = call_id
        self.dialog = dialog
        self._me = me
        self._contact_user = contact_user
        self._peer = peer
        self._transport = transport
        self._transactions = transactions
        self._timers = timers
        self._stream = stream
        self.local_sdp = local_sdp
        self.session: SipCallSession | None = None
        self._session_timer: asyncio.TimerHandle | None = None
        self.session_interval: int | None = None
        self.we_refresh = False
        self.refreshes_sent = 0
        self.refreshes_received = 0
        self._peer_allows_update = False
        self._unacked: SipRequest | None = None  # a re-INVITE whose 2xx awaits its ACK
        self._offered_in_2xx = False  # that 2xx carried our offer: the ACK carries the answer
        self._retransmit: asyncio.TimerHandle | None = None
        self._our_reinvite_pending = False  # our refresh re-INVITE awaits its final response
        self._stopped = False

    # -- media: answers to our offers, offers from the far end ---------------------------

    def apply_answer(self, answer: MediaAnswer) -> None:
        """The far end's answer (18x, 2xx, or an ACK) to our offer."""
        self._configure(answer, answer.payload_type)

    def _configure(self, media: MediaAnswer, payload_type: int) -> None:
        dtmf = {OFFER_DTMF_PT}
        if media.dtmf_payload_type is not None:
            dtmf.add(media.dtmf_payload_type)
        self._stream.configure(media.remote, payload_type, dtmf)
        self._stream.set_direction(
            send=media.they_receive, receive=media.they_send and media.remote is not None
        )

    def _answer_offer(self, offer: MediaAnswer) -> str:
        """Take the far end's offer; our answer keeps our codec while it is offered (RFC 3264 §6.1)."""
        payload_type = (
            self._stream.payload_type if self._stream.payload_type in offer.offered else offer.payload_type
        )
        self._configure(offer, payload_type)
        if offer.remote is None or offer.direction != "sendrecv":
            logger.info("call %s: held by the far end (%s, %s)", self.call_id, offer.direction, offer.remote)
        return self.local_sdp.answer(offer, payload_type)

    # -- requests from the far end ------------------------------------------------------

    def handle_request(self, request: SipRequest, *, transport: Sender, source: tuple[str, int]) -> None:
        method = request.method.upper()

        def reply(status: int, reason: str = "") -> SipResponse:
            response = response_to(request, status, reason)
            if status in (405, 501) or method == "OPTIONS":
                response.headers.set_single("Allow", ALLOW)
                response.headers.set_single("Supported", SUPPORTED)
            self._transactions.answer(request, response, transport=transport, source=source)
            return response

        if method == "OPTIONS":
            reply(200)
            return
        if not dialog_matches(self.dialog, request):
            reply(481)
            return
        if method == "CANCEL":
            reply(200)  # we answer at once: nothing is left to cancel (§9.2)
            return
        if not remote_cseq_valid(self.dialog, request):
            reply(500, "CSeq Out of Order")  # §12.2.2
            return
        if method == "BYE":
            reply(200)
            if self.session is not None:
                self.session.remote_hangup()
        elif method == "INFO":
            reply(200)
            digit = info_digit(request)
            if digit is not None and self.session is not None:
                self.session.digit_received(digit)
        elif method == "NOTIFY":
            reply(200)
        elif method in ("INVITE", "UPDATE"):
            if self._our_reinvite_pending and (method == "INVITE" or has_sdp(request)):
                # both sides offering at once (RFC 3261 §14.2, RFC 3311 §5.2): theirs waits
                reply(491)
                return
            self._offer_answer(request, transport=transport, source=source)
        else:
            reply(501)

    def _offer_answer(self, request: SipRequest, *, transport: Sender, source: tuple[str, int]) -> None:
        """A re-INVITE or UPDATE: media changes, target refresh, session refresh."""
        method = request.method.upper()
        try:
            offer = media_answer(request)
        except ValueError as exc:
            # the session stays as it was (RFC 3261 §14.2, RFC 3311 §5.2)
            logger.info("call %s: %s offer refused: %s", self.call_id, method, exc)
            response = response_to(request, 488)
            response.headers.set_single("Warning", '304 aicall "no usable PCMU/PCMA audio stream"')
            self._transactions.answer(request, response, transport=transport, source=source)
            return
        contacts = request.contact
        if contacts:
            self.dialog.remote_target = stringify_uri(contacts[0].uri)  # a target refresh request (§12.2.2)
        response = response_to(request, 200)
        response.headers.set_single("Contact", self._me.contact(self._contact_user))
        response.headers.set_single("Allow", ALLOW)
        response.headers.set_single("Supported", SUPPORTED)
        self._take_refresh(request, response)
        sdp: str | None = None
        self._offered_in_2xx = False
        if offer is not None:
            sdp = self._answer_offer(offer)
        elif method == "INVITE":
            sdp = self.local_sdp.repeat()  # an offer in our 2xx; the answer comes in the ACK
            self._offered_in_2xx = True
        if sdp is not None:
            response.headers.set_single("Content-Type", "application/sdp")
            response.text = sdp
        self._transactions.answer(request, response, transport=transport, source=source)
        if method == "INVITE":
            self._await_ack(request, retransmit=not is_reliable(transport))

    def _await_ack(self, request: SipRequest, *, retransmit: bool) -> None:
        """Until the ACK of our 2xx (which may carry the answer to an offer we made in it),
        retransmit the 2xx at T1, 2T1... up to T2 over UDP (RFC 3261 §13.3.1.4)."""
        self._stop_retransmitting()
        self._unacked = request
        if not retransmit:
            return  # over TCP the transport delivers it (§17.2.1)
        loop = asyncio.get_running_loop()

        def again(interval: float) -> None:
            if self._unacked is not request or self._stopped:
                return
            if not self._transactions.retransmitted(request):  # kept 64*T1: no ACK in that time
                self._unacked = None
                self._expire("no ACK for our 2xx to a re-INVITE (RFC 3261 §13.3.1.4)")
                return
            next_interval = min(interval * 2, self._timers.t2)
            self._retransmit = loop.call_later(next_interval, again, next_interval)

        self._retransmit = loop.call_later(self._timers.t1, again, self._timers.t1)

    def handle_ack(self, ack: SipRequest) -> None:
        unacked = self._unacked
        if unacked is None or ack.cseq is None or unacked.cseq is None or ack.cseq.seq != unacked.cseq.seq:
            return
        self._stop_retransmitting()
        if self._offered_in_2xx:
            self._offered_in_2xx = False
            try:
                answer = media_answer(ack)
            except ValueError as exc:
                logger.info("call %s: unusable SDP answer in ACK: %s", self.call_id, exc)
                self._expire("unusable SDP answer in the ACK of a re-INVITE")
                return
            if answer is not None:
                self.apply_answer(answer)

    def _stop_retransmitting(self) -> None:
        self._unacked = None
        if self._retransmit is not None:
            self._retransmit.cancel()
            self._retransmit = None

    # -- session timers (RFC 4028) ------------------------------------------------------

    def answered(self, response: SipResponse) -> None:
        """The 2xx to our INVITE: does the far end take UPDATE, who refreshes, how often (§7.2)."""
        self._peer_allows_update = allows(response, "UPDATE")
        header = response.get_header("Session-Expires")
        if not header:
            return
        interval, refresher = parse_session_expires(header)
        if interval > 0:
            # we were the UAC of that transaction; a 2xx without refresher leaves it to us
            self._start_session_timer(interval, we_refresh=(refresher or "uac") == "uac")

    def _take_refresh(self, request: SipRequest, response: SipResponse) -> None:
        """The far end's re-INVITE/UPDATE is a session refresh request (§9): answer for the timer."""
        header = request.get_header("Session-Expires")
        if not header:
            return  # no Session-Expires: no session timer from here on (§9)
        interval, refresher = parse_session_expires(header)
        if interval <= 0:
            return
        refresher = refresher or "uac"  # the UAS picks; the side that refreshes already keeps doing it
        response.headers.set_single("Session-Expires", f"{interval};refresher={refresher}")
        if "timer" in option_tags(request, "supported"):
            response.headers.set_single("Require", "timer")
        self.refreshes_received += 1
        self._start_session_timer(interval, we_refresh=refresher == "uas")

    def _start_session_timer(self, interval: int, *, we_refresh: bool) -> None:
        self._cancel_session_timer()
        if self._stopped:
            return
        self.session_interval = interval
        self.we_refresh = we_refresh
        delay = interval * REFRESH_FRACTION if we_refresh else watchdog_delay(interval)
        self._session_timer = asyncio.get_running_loop().call_later(delay, self._on_session_timer)

    def _cancel_session_timer(self) -> None:
        if self._session_timer is not None:
            self._session_timer.cancel()
            self._session_timer = None

    def _on_session_timer(self) -> None:
        self._session_timer = None
        if self.we_refresh:
            self._refresh()
        else:
            self._expire("session expired without a refresh (RFC 4028 §10)")

    def _refresh(self) -> None:
        assert self.session_interval is not None
        self.refreshes_sent += 1
        headers = {"Session-Expires": f"{self.session_interval};refresher=uac", "Supported": SUPPORTED}
        if self._peer_allows_update:
            # UPDATE without a body: a refresh that changes no media (RFC 4028 §9)
            update = build_in_dialog(
                self.dialog, "UPDATE", me=self._me, contact_user=self._contact_user, headers=headers
            )
            self._transactions.send_request(
                update,
                self._peer,
                on_response=self._refresh_answered,
                on_timeout=self._refresh_timed_out,
                transport=self._transport,
            )
            return
        invite = build_in_dialog(
            self.dialog,
            "INVITE",
            me=self._me,
            contact_user=self._contact_user,
            body=self.local_sdp.repeat(),  # same description, same version (RFC 3264 §8)
            content_type="application/sdp",
            headers=headers,
        )
        self._our_reinvite_pending = True
        self._transactions.send_invite(
            invite,
            self._peer,
            on_response=self._reinvite_answered,
            on_timeout=self._refresh_timed_out,
            transport=self._transport,
        )

    def _reinvite_answered(self, response: SipResponse) -> None:
        if response.status_code < 200:
            return
        self._our_reinvite_pending = False
        if response.status_code < 300:
            # our ACK for every 2xx, retransmissions included (§13.2.2.4)
            self._transport.send(build_ack_for_2xx(self.dialog, response, me=self._me), self._peer)
            try:
                answer = media_answer(response)
            except ValueError:
                answer = None
            if answer is not None:
                self.apply_answer(answer)
        self._refresh_answered(response)

    def _refresh_answered(self, response: SipResponse) -> None:
        status = response.status_code
        if status < 200 or self._stopped:
            return
        if status < 300:
            header = response.get_header("Session-Expires")
            interval, refresher = parse_session_expires(header) if header else (0, None)
            if interval <= 0:
                self._cancel_session_timer()  # the far end dropped the timer (§7.4)
                return
            self._start_session_timer(interval, we_refresh=(refresher or "uac") == "uac")
            return
        if status in (408, 481):
            self._expire(f"session refresh answered {status} (RFC 4028 §10)")
            return
        if status in (405, 501) and self._peer_allows_update:
            self._peer_allows_update = False  # refresh by re-INVITE from now on
            self._refresh()
            return
        # any other refusal (491 glare, 500...): try again in 2.1-4 s (RFC 3261 §14.1), well
        # before the far end's own deadline for the refresh
        self._cancel_session_timer()
        self._session_timer = asyncio.get_running_loop().call_later(
            random.uniform(2.1, 4.0), self._on_session_timer
        )

    def _refresh_timed_out(self) -> None:
        self._our_reinvite_pending = False
        self._expire("session refresh got no response (RFC 4028 §10)")

    # -- the end ------------------------------------------------------------------------

    def _expire(self, why: str) -> None:
        logger.info("call %s: %s; hanging up", self.call_id, why)
        if self.session is not None and not self.session.ended:
            self.session.expire(EndReason.DEAD_MEDIA)

    def stop(self) -> None:
        """The call is over: no more timers."""
        self._stopped = True
        self._cancel_session_timer()
        self._stop_retransmitting()
