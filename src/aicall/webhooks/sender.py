"""The HTTP sender: POSTs one job, signed, through httpx, and says how it went."""

from __future__ import annotations

import asyncio
import logging
import time

import httpcore
import httpx

from aicall.clock import Clock, utc_now
from aicall.webhooks import guard, signing
from aicall.webhooks.delivery import Job, Outcome

__all__ = ["GuardedTransport", "HttpSender"]

log = logging.getLogger("aicall.webhooks")

KEEP_RESPONSE_BYTES = 1024  # of each answer's body, in the delivery log
READ_RESPONSE_BYTES = 64 * 1024  # read at most this much; a longer answer closes the connection
DEFAULT_LIMITS = httpx.Limits()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, connecting only to public addresses it resolved itself."""

    def __init__(self, *, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx 0.28 (pinned) has no public hook for the network backend, so the pool it
        # built is replaced by the same pool over the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=guard.GuardedNetworkBackend(),
        )


class HttpSender:
    """`Sender` over httpx. `timeout`: seconds a receiver has to answer, all in (DNS check,
    connect, request, the start of the answer). Unless `allow_private`, only public addresses
    are connected to, checked again at every send. `connections` sizes the pool of the client
    made here; a `client` passed in is used as it is and left open by `aclose()`."""

    def __init__(
        self,
        *,
        allow_private: bool,
        clock: Clock = utc_now,
        timeout: float = 10.0,
        connections: int = 16,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if timeout <= 0 or connections < 1:
            raise ValueError("timeout must be positive and connections at least 1")
        self.allow_private = allow_private
        self.clock = clock
        self.timeout = timeout
        self.connections = connections
        self._client = client
        self._owns_client = client is None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(
                max_connections=self.connections * 2, max_keepalive_connections=self.connections
            )
            transport = (
                httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
                if self.allow_private
                else GuardedTransport(limits=limits)
            )
            self._client = httpx.AsyncClient(
                transport=transport, timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        return self._client

    async def aclose(self) -> None:
        """Close the client made here (a client passed in belongs to its owner)."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, job: Job) -> Outcome:
        """POST `job` with fresh Standard Webhooks headers; success is a 2xx answer. Never
        raises: timeouts, refused URLs, broken connections and redirects are failed Outcomes."""
        started_at = self.clock()
        began = time.perf_counter()
        status_code: int | None = None
        response_body: str | None = None
        error: str | None = None
        location = ""
        try:
            async with asyncio.timeout(self.timeout):
                if not self.allow_private:
                    await guard.resolve_public(job.url)  # DNS may have changed since it was set
                headers = signing.signed_headers(
                    job.signer, event_id=job.event_id, timestamp=self.clock(), body=job.body
                )
                async with self.client.stream(
                    "POST", job.url, content=job.body.encode(), headers=headers
                ) as response:
                    status_code = response.status_code
                    location = response.headers.get("location", "")
                    response_body = await _read_start(response)
        except (TimeoutError, httpx.TimeoutException):
            error = f"no answer within {self.timeout:g} s"
        except guard.InvalidWebhookUrl as exc:
            error = str(exc)
        except httpx.RemoteProtocolError as exc:
            error = f"the connection closed without a complete answer ({exc})"
        except httpx.ConnectError as exc:
            error = f"cannot connect: {exc}" if str(exc) else "cannot connect"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug must not stop the dispatcher; it shows in the log
            log.exception("webhook %s: unexpected delivery error", job.event_id)
            error = f"internal error: {exc!r}"
        latency_ms = round((time.perf_counter() - began) * 1000)
        succeeded = error is None and status_code is not None and 200 <= status_code < 300
        if error is None and not succeeded:
            error = f"HTTP {status_code}"
            if status_code is not None and 300 <= status_code < 400:
                target = location or "(no Location)"
                error += f": redirect to {target} not followed; answer 2xx at the webhook URL"
        if not succeeded:
            log.info(
                "webhook %s (%s) attempt %d to application %s failed: %s",
                job.event_id,
                job.event_type,
                job.attempt,
                job.application_id,
                error,
            )
        return Outcome(job, started_at, succeeded, status_code, latency_ms, error, response_body)


async def _read_start(response: httpx.Response) -> str:
    """The beginning of the answer's body, for the delivery log; the rest is not read."""
    received = bytearray()
    async for chunk in response.aiter_bytes():
        received += chunk
        if len(received) >= READ_RESPONSE_BYTES:
            break
    text = bytes(received[:KEEP_RESPONSE_BYTES]).decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL; one must not stall a batch
