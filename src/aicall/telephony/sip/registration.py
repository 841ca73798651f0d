"""REGISTER with a trunk, refreshed before it expires (RFC 3261 §10.2).

aiosipua's `Registration` sends each REGISTER once (no UDP retransmission) through its own
UAC; this one keeps the same rules (one Call-ID and From tag, rising CSeq, digest retry,
423 Min-Expires, refresh ahead of expiry) but sends through our transaction table.

Un-registering (`Expires: 0`, §10.2.2) follows the same rules: a registrar challenges it
like any REGISTER (RFC 3261 §22), and an unREGISTER left unanswered with credentials leaves
the binding in place until it expires, with calls routed to a user agent that is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiosipua import (
    SipRequest,
    SipResponse,
    Via,
    generate_branch,
    generate_call_id,
    generate_tag,
    stringify_via,
)
from aiosipua.auth import SipDigestAuth, answer_challenge

from aicall.telephony.session import TrunkConfig
from aicall.telephony.sip.messages import USER_AGENT, Endpoint, sip_uri
from aicall.telephony.sip.transactions import Sender, SipTimers, TransactionTable

logger = logging.getLogger(__name__)

REQUESTED_EXPIRES = 600
RETRY_AFTER_FAILURE = 30.0


class Registration:
    """One binding of our Contact at a trunk's registrar, kept alive until `unregister`."""

    def __init__(
        self,
        trunk: TrunkConfig,
        *,
        me: Endpoint,
        transactions: TransactionTable,
        timers: SipTimers,
        expires: int = REQUESTED_EXPIRES,
        transport: Sender | None = None,
    ) -> None:
        self._trunk = trunk
        self._me = me
        self._transactions = transactions
        self._transport = transport
        self._timers = timers
        self._peer = (trunk.host, trunk.port)
        domain = trunk.from_domain or trunk.host
        user = trunk.username or "aicall"
        self.aor = sip_uri(user, domain)
        self._registrar_uri = f"sip:{domain}"
        self._contact = me.contact(user)
        self._auth = SipDigestAuth(trunk.username, trunk.password or "") if trunk.username else None
        self._call_id = generate_call_id(me.host)
        self._from_tag = generate_tag()
        self._cseq = 0
        self.expires = expires
        self.granted = 0
        self.registered = False
        self.last_status: int | None = None
        self.refreshes = 0
        self._refresh: asyncio.TimerHandle | None = None

    async def start(self) -> bool:
        """Register now; True if the registrar accepted. Refreshes (or retries) follow by themselves."""
        return await self._register(self.expires)

    def unregister(self) -> asyncio.Task[bool]:
        """Remove the binding (Expires: 0, answering a challenge) and stop refreshing.

        The task's result: True once the registrar confirmed the removal.
        """
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None
        self.registered = False
        return asyncio.get_running_loop().create_task(self._unregister(), name=f"unregister {self.aor}")

    async def _unregister(self) -> bool:
        response = await self._exchange(0)
        self.last_status = response.status_code if response is not None else 408
        removed = response is not None and 200 <= response.status_code < 300
        if removed:
            logger.info("unregistered %s", self.aor)
        else:
            logger.warning("unREGISTER %s failed: %s", self.aor, self.last_status)
        return removed

    async def _exchange(self, expires: int) -> SipResponse | None:
        """One REGISTER, and its retry with credentials if the registrar challenges it."""
        response = await self._send(expires, None)
        if response is not None and response.status_code in (401, 407) and self._auth is not None:
            header = answer_challenge(
                self._auth, response, response.status_code, "REGISTER", self._registrar_uri
            )
            if header is not None:
                response = await self._send(expires, header)
        return response

    async def _send(self, expires: int, auth_header: tuple[str, str] | None) -> SipResponse | None:
        txn = self._transactions.send_request(
            self._request(expires, auth_header), self._peer, transport=self._transport
        )
        return await txn.done

    async def _register(self, expires: int) -> bool:
        auth_header: tuple[str, str] | None = None
        for _ in range(3):  # first try, one digest retry, one 423 retry
            response = await self._send(expires, auth_header)
            status = response.status_code if response is not None else 408
            self.last_status = status
            if response is not None and 200 <= status < 300:
                self.granted = _granted_expires(response, expires)
                self.registered = True
                self._schedule(max(1.0, self.granted * 0.9 if self.granted > 10 else self.granted - 1.0))
                logger.info("registered %s for %ds", self.aor, self.granted)
                return True
            if (
                response is not None
                and status in (401, 407)
                and self._auth is not None
                and auth_header is None
            ):
                auth_header = answer_challenge(self._auth, response, status, "REGISTER", self._registrar_uri)
                if auth_header is not None:
                    continue
            if response is not None and status == 423:
                with contextlib.suppress(ValueError):
                    expires = self.expires = int(response.get_header("min-expires") or "")
                    continue
            break
        self.registered = False
        logger.warning(
            "REGISTER %s failed: %s; retrying in %.0fs", self.aor, self.last_status, RETRY_AFTER_FAILURE
        )
        self._schedule(RETRY_AFTER_FAILURE)
        return False

    def _schedule(self, delay: float) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
        self._refresh = asyncio.get_running_loop().call_later(delay, self._on_refresh)

    def _on_refresh(self) -> None:
        self.refreshes += 1
        task = asyncio.get_running_loop().create_task(self._register(self.expires))
        task.add_done_callback(_log_failure)

    def _request(self, expires: int, auth_header: tuple[str, str] | None) -> SipRequest:
        self._cseq += 1
        request = SipRequest(method="REGISTER", uri=self._registrar_uri)
        via = Via(
            transport=self._me.transport,
            host=self._me.host,
            port=self._me.port,
            params={"branch": generate_branch(), "rport": None},
        )
        request.headers.append("Via", stringify_via(via))
        request.headers.set_single("From", f"<{self.aor}>;tag={self._from_tag}")
        request.headers.set_single("To", f"<{self.aor}>")
        request.headers.set_single("Call-ID", self._call_id)
        request.headers.set_single("CSeq", f"{self._cseq} REGISTER")
        request.headers.set_single("Max-Forwards", "70")
        request.headers.set_single("Contact", self._contact)
        request.headers.set_single("Expires", str(expires))
        request.headers.set_single("User-Agent", USER_AGENT)
        if auth_header is not None:
            request.headers.set_single(*auth_header)
        return request


def _granted_expires(response: SipResponse, asked: int) -> int:
    """Contact `expires` parameter, else the Expires header, else what we asked (§10.2.4)."""
    for contact in response.contact:
        value = contact.params.get("expires")
        if value:
            with contextlib.suppress(ValueError):
                return int(value)
    with contextlib.suppress(ValueError, TypeError):
        return int(response.get_header("expires") or "")
    return asked


def _log_failure(task: asyncio.Task[bool]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("REGISTER refresh failed", exc_info=task.exception())
